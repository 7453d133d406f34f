#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/completion.hpp"
#include "models/request.hpp"

/// The worker protocol (docs/backends.md, "Worker processes"): JSON Lines over a worker process's
/// stdin (lmmbench → worker: request, cancel, shutdown) and stdout (worker → lmmbench: hello,
/// token, done, error). One JSON object per line, UTF-8, '\n'-terminated. This file is the
/// protocol's one definition on the C++ side: the messages, how they are written and read.
namespace lmmbench::models::worker {

/// The version this lmmbench speaks. A worker whose hello names another is refused.
inline constexpr std::int64_t kProtocolVersion = 1;

/// A line from the worker that does not follow the protocol (not JSON, not an object, an unknown
/// type, a field of the wrong type). The worker is no longer trusted after one.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How images travel to the worker.
enum class ImageTransport {
  bytes,  ///< base64 inside the request line.
  path,   ///< a file that lmmbench writes (the image as sent, after any re-encoding).
};

/// What a worker says it can do, in its hello.
struct WorkerCapabilities {
  std::int64_t max_in_flight = 1;  ///< Requests it takes at once; more wait in lmmbench.
  bool batching = false;           ///< It answers requests in flight together (informational).
  /// Image transports it reads, preferred first ("bytes", "path"); empty: text only.
  std::vector<std::string> images;
  std::int64_t max_images = 0;  ///< Images per request; 0: text only.
  /// MIME types it decodes ("image/png", ...); empty: any.
  std::vector<std::string> image_formats;
  bool streaming = false;  ///< Sends token events before done.
};

/// The worker's first line.
struct Hello {
  std::int64_t protocol = 0;
  std::string model;           ///< What it serves (name, path or hub id), for logs and fingerprint.
  std::string fingerprint;     ///< Everything else that decides its answers (dtype, revision, ...).
  std::optional<double> time;  ///< Its clock, seconds, when it wrote the hello.
  WorkerCapabilities capabilities;
};

/// A piece of the answer of request `id` (streaming workers).
struct TokenEvent {
  std::uint64_t id = 0;
  std::string text;
  std::optional<double> time;  ///< Worker clock, seconds.
};

/// Token counts of an answer; prompt_tokens include the image tokens.
struct Usage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
};

/// The answer to request `id`.
struct Done {
  std::uint64_t id = 0;
  std::string text;           ///< The whole answer (token events' texts are not joined).
  std::string finish_reason;  ///< "stop" or "length".
  Usage usage;
  std::optional<double> time;
};

/// Why a worker could not answer.
enum class WorkerErrorKind {
  bad_request,  ///< The request cannot be served as given (too many images, undecodable image).
  model_error,  ///< The model code failed (an exception, out of memory).
  overloaded,   ///< Too much in flight; try later.
  refused,      ///< Declined to answer (a safety filter).
  cancelled,    ///< Acknowledges a cancel.
};

std::string_view to_string(WorkerErrorKind kind);

/// A failure: of request `id`, or of the worker itself (no id: it cannot go on).
struct ErrorEvent {
  std::optional<std::uint64_t> id;
  WorkerErrorKind kind = WorkerErrorKind::model_error;
  std::string message;
};

using WorkerMessage = std::variant<Hello, TokenEvent, Done, ErrorEvent>;

/// Reads one line of the worker's stdout (without its '\n'). Throws ProtocolError.
WorkerMessage parse_worker_line(std::string_view line);

/// The completion error a worker's error kind stands for (docs/backends.md): bad_request →
/// unsupported, model_error → internal, overloaded → http 503 (retried), refused → refused,
/// cancelled → cancelled.
Completion completion_of(const ErrorEvent& error);

/// The request line for `request` (no '\n'). `image_path` gives the file of an image part when
/// images go by path.
nlohmann::json request_message(std::uint64_t id, const Request& request, ImageTransport transport,
                               const std::function<std::string(const ImagePart&)>& image_path);
nlohmann::json cancel_message(std::uint64_t id);
nlohmann::json shutdown_message();

/// The first `n` bytes of `line`, quoted and with control bytes escaped, for error messages.
std::string excerpt(std::string_view line, std::size_t n = 120);

}  // namespace lmmbench::models::worker
