#pragma once

#include <chrono>
#include <cstdint>

namespace lmmbench {

/// Nanoseconds on the harness's monotonic clock since the clock's epoch.
using Nanos = std::chrono::nanoseconds;

/// The harness's clock. Backends receive it to timestamp events they alone can observe (first
/// token, each streamed token); everything else is stamped by the harness. Thread-safe.
class Clock {
 public:
  Clock() : epoch_(std::chrono::steady_clock::now()) {}
  [[nodiscard]] Nanos now() const {
    return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now() - epoch_);
  }
  [[nodiscard]] std::chrono::steady_clock::time_point epoch() const { return epoch_; }

 private:
  std::chrono::steady_clock::time_point epoch_;
};

inline double to_seconds(Nanos n) {
  return std::chrono::duration<double>(n).count();
}

}  // namespace lmmbench
