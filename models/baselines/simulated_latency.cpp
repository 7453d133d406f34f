#include "models/baselines/simulated_latency.hpp"

#include <algorithm>
#include <string>

#include "core/sha256.hpp"

namespace lmmbench::models {

double stable_uniform(std::uint64_t seed, std::string_view key) {
  const std::string digest = sha256_hex(std::to_string(seed) + '\0' + std::string(key));
  const std::uint64_t bits = std::stoull(digest.substr(0, 13), nullptr, 16);  // 52 bits
  return static_cast<double>(bits) / static_cast<double>(std::uint64_t{1} << 52);
}

SimulatedLatency::SimulatedLatency(double mean_ms, double jitter_ms, std::uint64_t seed)
    : mean_ms_(mean_ms), jitter_ms_(jitter_ms), seed_(seed) {
  if (enabled()) worker_ = std::thread([this] { run(); });
}

SimulatedLatency::~SimulatedLatency() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void SimulatedLatency::deliver(std::string_view key, Completion completion,
                               CompletionCallback done) {
  if (!enabled()) {
    done(std::move(completion));
    return;
  }
  const double u = stable_uniform(seed_, key);
  const double delay_ms = std::max(0.0, mean_ms_ + jitter_ms_ * (2.0 * u - 1.0));
  const auto due = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double, std::milli>(delay_ms));
  {
    std::lock_guard lock(mutex_);
    queue_.push(Pending{due, next_order_++, std::move(completion), std::move(done)});
  }
  wake_.notify_all();
}

void SimulatedLatency::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (queue_.empty()) {
      if (stopping_) return;
      wake_.wait(lock);
      continue;
    }
    const auto due = queue_.top().due;
    if (!stopping_ && std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    // priority_queue::top is const; the element is popped right after, so moving from it is safe.
    Pending next = std::move(const_cast<Pending&>(queue_.top()));
    queue_.pop();
    lock.unlock();
    next.done(std::move(next.completion));
    lock.lock();
  }
}

}  // namespace lmmbench::models
