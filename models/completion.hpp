#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace lmmbench::models {

/// Why a request produced no usable answer. A failed request is recorded per sample and is never
/// scored as an answer.
enum class ErrorKind {
  none,             ///< Success.
  http,             ///< The server answered with an error status.
  timeout,          ///< Connect, total or idle-stream timeout.
  connection,       ///< Could not connect / connection lost.
  malformed_reply,  ///< The reply could not be parsed.
  refused,          ///< Refusal or content filter.
  truncated,        ///< Stopped at max tokens where the task forbids it.
  unsupported,      ///< The backend cannot answer this request (e.g. too many images).
  missing,          ///< A replay source has no answer for this sample.
  internal,         ///< A bug or unexpected exception inside the backend.
  cancelled,        ///< The run stopped before the request finished.
  invalid_input,    ///< The sample's own input is unusable (missing, corrupt or unsafe image);
                    ///< no model was asked. Deterministic: kept on resume.
};

std::string_view to_string(ErrorKind kind);
std::optional<ErrorKind> parse_error_kind(std::string_view name);

/// Token counts as the server reports them (image tokens are part of the prompt count).
struct TokenUsage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
};

/// Timestamps on the harness clock (Clock::now()). The harness sets `submitted` and `finished`;
/// a backend sets `first_token` and `token_events` only if it streams.
struct Timings {
  Nanos submitted{0};
  std::optional<Nanos> first_token;
  std::vector<Nanos> token_events;
  Nanos finished{0};
};

/// The answer to one Request.
struct Completion {
  std::string text;  ///< The model's answer (empty on error).
  TokenUsage usage;
  Timings timings;
  ErrorKind error = ErrorKind::none;
  std::string error_message;  ///< Human-readable; never contains secrets.
  int attempts = 1;           ///< Tries made, including retries.
  /// For failures reported by a server: its HTTP status (0 when no status was received), which the
  /// harness uses to tell retryable (408, 429, 5xx) from permanent (400, 401, 403, 404) errors.
  int http_status = 0;
  /// The server's requested wait before another try (Retry-After, or a provider's retry hint).
  std::optional<Nanos> retry_after;
  /// Served by the harness's response cache instead of the backend (never set by a backend).
  bool cached = false;
  /// The failure says that no request to this backend can succeed for the rest of the run: the
  /// endpoint cannot be reached as configured (unresolvable host, refused connection, TLS
  /// failure) or refuses the credentials or the model (HTTP 401, 403, 404). When a request's last
  /// attempt fails so, the harness stops the backend (inference.hpp). Not logged.
  bool fatal = false;

  [[nodiscard]] bool ok() const { return error == ErrorKind::none; }

  static Completion failure(ErrorKind kind, std::string message) {
    Completion c;
    c.error = kind;
    c.error_message = std::move(message);
    return c;
  }
};

}  // namespace lmmbench::models
