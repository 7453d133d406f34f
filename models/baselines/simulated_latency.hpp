#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <queue>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "models/backend.hpp"

namespace lmmbench::models {

/// Delivers baseline completions after a simulated service time instead of inline, so that a
/// baseline behaves like a remote model: completions arrive on another thread and out of order.
/// The delay of each request is mean ± jitter, drawn from a hash of (seed, request key), so it does
/// not depend on submission order. With mean 0 and jitter 0, completions are delivered inline.
/// Thread-safe. The destructor delivers every pending completion before returning.
class SimulatedLatency {
 public:
  SimulatedLatency(double mean_ms, double jitter_ms, std::uint64_t seed);
  ~SimulatedLatency();
  SimulatedLatency(const SimulatedLatency&) = delete;
  SimulatedLatency& operator=(const SimulatedLatency&) = delete;

  void deliver(std::string_view key, Completion completion, CompletionCallback done);
  [[nodiscard]] bool enabled() const { return mean_ms_ > 0.0 || jitter_ms_ > 0.0; }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    std::uint64_t order;
    Completion completion;
    CompletionCallback done;
    bool operator>(const Pending& other) const {
      return due != other.due ? due > other.due : order > other.order;
    }
  };
  void run();

  double mean_ms_;
  double jitter_ms_;
  std::uint64_t seed_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  std::uint64_t next_order_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

/// A uniform draw in [0, 1) from a stable hash of (seed, key): the same inputs give the same value
/// on every machine and in every order of calls.
double stable_uniform(std::uint64_t seed, std::string_view key);

}  // namespace lmmbench::models
