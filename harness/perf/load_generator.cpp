#include "harness/perf/load_generator.hpp"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include <sys/prctl.h>

namespace lmmbench::harness::perf {

namespace {

/// Completions handed from the backend's threads to the harness thread.
struct Mailbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::pair<std::size_t, models::Completion>> done;  ///< (record slot, completion)
};

/// Sets this thread's timer slack to 1 µs while it lives. Linux defers the expiry of a sleeping
/// thread's timers by up to the slack (50 µs by default) to batch wake-ups; the generator sleeps
/// until each request's due time, so the slack would be added to the send delay.
class TightTimers {
 public:
  TightTimers() : saved_(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
    if (saved_ > 0) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  }
  ~TightTimers() {
    if (saved_ > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(saved_), 0UL, 0UL, 0UL);
  }
  TightTimers(const TightTimers&) = delete;
  TightTimers& operator=(const TightTimers&) = delete;

 private:
  int saved_;
};

}  // namespace

std::vector<RequestRecord> generate_load(models::Backend& backend, const Clock& clock,
                                         std::span<const models::Request> requests,
                                         const LoadPlan& plan, bool (*stop)()) {
  const TightTimers tight_timers;
  const std::size_t n = requests.size();
  std::vector<RequestRecord> records;
  records.reserve(n);
  auto mailbox = std::make_shared<Mailbox>();
  const Nanos start = clock.now();
  std::size_t next = 0;
  std::size_t in_flight = 0;
  std::size_t finished = 0;
  // Closed loop: the times slots were freed, oldest first; each becomes one request's due time.
  std::deque<Nanos> freed;
  const bool open_loop = !plan.schedule.empty();

  auto due_time = [&](std::size_t i) -> Nanos {
    if (open_loop) return start + plan.schedule[i];
    if (plan.max_in_flight && i >= *plan.max_in_flight)
      return freed.empty() ? start : freed.front();
    return start;
  };
  auto slot_free = [&] { return !plan.max_in_flight || in_flight < *plan.max_in_flight; };

  while (finished < records.size() || (next < n && !(stop && stop()))) {
    // Send every request that is due and has a slot.
    while (next < n && slot_free() && !(stop && stop())) {
      const Nanos due = due_time(next);
      if (clock.now() < due) break;
      RequestRecord r;
      r.index = next;
      // With a cap in the open loop a request may wait for a slot: sent - scheduled is then the
      // client queueing delay. Closed loop: it became due when a slot was freed.
      r.scheduled = due - start;
      if (!open_loop && plan.max_in_flight && next >= *plan.max_in_flight) freed.pop_front();
      r.images = requests[next].image_count();
      const std::size_t slot = records.size();
      records.push_back(std::move(r));
      ++in_flight;
      ++next;
      models::Request request = requests[records.back().index];  // images are shared, not copied
      const Nanos sent = clock.now();
      records.back().sent = sent - start;
      backend.submit(std::move(request), [mailbox, slot, &clock](models::Completion c) {
        c.timings.finished = clock.now();
        {
          std::lock_guard lock(mailbox->mutex);
          mailbox->done.emplace_back(slot, std::move(c));
        }
        mailbox->ready.notify_one();
      });
    }
    // Wait for a completion or the next due time, whichever comes first.
    std::unique_lock lock(mailbox->mutex);
    if (mailbox->done.empty()) {
      if (next < n && slot_free() && !(stop && stop())) {
        const auto deadline = clock.epoch() + due_time(next);
        mailbox->ready.wait_until(lock, deadline, [&] { return !mailbox->done.empty(); });
      } else if (finished < records.size()) {
        // Poll the stop flag now and then while only waiting for replies.
        mailbox->ready.wait_for(lock, std::chrono::milliseconds(100),
                                [&] { return !mailbox->done.empty(); });
      }
    }
    auto done = std::move(mailbox->done);
    mailbox->done.clear();
    lock.unlock();
    for (auto& [slot, c] : done) {
      RequestRecord& r = records[slot];
      const Nanos end = c.timings.finished;
      r.end = end - start;
      c.timings.submitted = r.sent;
      c.timings.finished = r.end;
      if (c.timings.first_token) *c.timings.first_token -= start;
      for (auto& t : c.timings.token_events)
        t -= start;
      r.completion = std::move(c);
      --in_flight;
      ++finished;
      if (!open_loop && plan.max_in_flight) freed.push_back(end);
    }
  }
  return records;
}

}  // namespace lmmbench::harness::perf
