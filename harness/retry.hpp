#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "core/clock.hpp"
#include "core/json_source.hpp"
#include "models/completion.hpp"

namespace lmmbench::harness {

/// A model config's "retry" object: how the harness retries a failed attempt of one request.
/// The harness owns the schedule (STYLE.md): backends report each attempt's failure with its kind,
/// HTTP status and the server's Retry-After, and the harness decides whether and when to try again.
struct RetryConfig {
  int max_attempts = 4;            ///< Per request, the first try included (1 = never retry).
  double base_delay_s = 0.5;       ///< Backoff before the 2nd try; doubles for every further try.
  double max_delay_s = 30.0;       ///< Cap of the computed backoff.
  double max_retry_after_s = 120;  ///< A longer Retry-After is not waited for: the sample fails.
  std::size_t run_budget = 1000;   ///< Retries of this model in one run, all cells together.
};

/// Reads a "retry" object; unknown keys are rejected.
RetryConfig load_retry_config(const ConfigNode& node);

/// Whether a failed attempt may succeed when repeated: timeouts, lost connections, malformed
/// replies, and HTTP 408, 409, 425, 429 and 5xx. Other HTTP errors (400, 401, 403, 404, 422 ...)
/// fail fast with the server's message, as do refusals, truncation and unsupported requests.
bool is_retryable(const models::Completion& failed);

/// Decides, attempt by attempt, whether the harness tries a request again and after how long:
/// exponential backoff with jitter ("equal jitter": half the backoff plus a uniform draw over the
/// other half), or the server's Retry-After when it sent one. Counts retries against the per-run
/// budget. Used from the harness thread only.
class RetryPolicy {
 public:
  RetryPolicy(RetryConfig config, std::uint64_t seed);

  /// For a failed attempt (the `attempt`-th try of its request, 1-based): the wait before the next
  /// try, or nullopt when it is not retried — then `why_not` says why (empty when the failure is
  /// simply not retryable).
  std::optional<Nanos> next_delay(const models::Completion& failed, int attempt,
                                  std::string& why_not);

  [[nodiscard]] const RetryConfig& config() const { return config_; }
  [[nodiscard]] std::size_t retries_used() const { return used_; }

 private:
  RetryConfig config_;
  std::mt19937_64 random_;
  std::size_t used_ = 0;
};

}  // namespace lmmbench::harness
