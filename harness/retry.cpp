#include "harness/retry.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace lmmbench::harness {

RetryConfig load_retry_config(const ConfigNode& node) {
  ObjectReader reader(node);
  RetryConfig c;
  c.max_attempts = static_cast<int>(reader.get_int("max_attempts", c.max_attempts, 1, 100));
  c.base_delay_s = reader.get_number("base_delay_s", c.base_delay_s);
  c.max_delay_s = reader.get_number("max_delay_s", c.max_delay_s);
  c.max_retry_after_s = reader.get_number("max_retry_after_s", c.max_retry_after_s);
  c.run_budget = static_cast<std::size_t>(
      reader.get_int("run_budget", static_cast<std::int64_t>(c.run_budget), 0));
  for (const auto* key : {"base_delay_s", "max_delay_s", "max_retry_after_s"}) {
    if (reader.has(key) && reader.required(key).as_number() < 0) {
      reader.required(key).fail(fmt::format("{} must be >= 0", key));
    }
  }
  reader.finish();
  return c;
}

bool is_retryable(const models::Completion& failed) {
  using models::ErrorKind;
  switch (failed.error) {
    case ErrorKind::timeout:
    case ErrorKind::connection:
    case ErrorKind::malformed_reply:
      return true;
    case ErrorKind::http: {
      const int s = failed.http_status;
      return s == 408 || s == 409 || s == 425 || s == 429 || s >= 500 || s == 0;
    }
    default:
      return false;
  }
}

RetryPolicy::RetryPolicy(RetryConfig config, std::uint64_t seed) : config_(config), random_(seed) {}

std::optional<Nanos> RetryPolicy::next_delay(const models::Completion& failed, int attempt,
                                             std::string& why_not) {
  why_not.clear();
  if (!is_retryable(failed)) return std::nullopt;
  if (attempt >= config_.max_attempts) {
    why_not = fmt::format("gave up after {} attempts (retry.max_attempts)", attempt);
    return std::nullopt;
  }
  if (used_ >= config_.run_budget) {
    why_not = fmt::format("not retried: this run's retry budget of {} is spent (retry.run_budget)",
                          config_.run_budget);
    return std::nullopt;
  }
  double seconds = 0;
  if (failed.retry_after) {
    seconds = to_seconds(*failed.retry_after);
    if (!(seconds <= config_.max_retry_after_s)) {
      why_not = fmt::format(
          "not retried: the server asked to wait {:.0f} s, more than retry.max_retry_after_s "
          "({:.0f} s)",
          seconds, config_.max_retry_after_s);
      return std::nullopt;
    }
  } else {
    const double backoff =
        std::min(config_.max_delay_s, config_.base_delay_s * std::pow(2.0, attempt - 1));
    std::uniform_real_distribution<double> half(0.0, backoff / 2.0);
    seconds = backoff / 2.0 + half(random_);
  }
  ++used_;
  return std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(seconds));
}

}  // namespace lmmbench::harness
