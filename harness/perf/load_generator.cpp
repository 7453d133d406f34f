#include "harness/perf/load_generator.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <sys/prctl.h>

namespace lmmbench::harness::perf {

namespace {

/// How many generator submits this thread is inside (Backend::submit called by a generator).
/// A completion delivered synchronously inside submit() sees it and hands its slot to the
/// harness thread instead of submitting again: no recursion, and no try_lock of the submit
/// mutex by the thread that already holds it (undefined for std::mutex).
thread_local int t_inside_submit = 0;

/// Counts this thread inside a generator's submit while it lives (exception-safe).
class InsideSubmit {
 public:
  InsideSubmit() { ++t_inside_submit; }
  ~InsideSubmit() { --t_inside_submit; }
  InsideSubmit(const InsideSubmit&) = delete;
  InsideSubmit& operator=(const InsideSubmit&) = delete;
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

/// One generate_load call. The harness thread runs run(); completions arrive in on_completion()
/// on the backend's threads.
///
/// Two locks, never held together by a callback:
/// - submit_mutex_ is held across choosing the next request and Backend::submit, so submits never
///   overlap. The harness thread locks it; a callback only try-locks it (a backend's thread
///   never waits on the harness).
/// - mutex_ guards the counts the harness thread waits on. It is held only for a few
///   instructions and never across a submit or a callback. Lock order: submit_mutex_, then
///   mutex_.
///
/// Lifetime: callbacks capture `this`. The harness returns only when nothing is in flight, and a
/// callback's last touch of the generator is the release of one of the two mutexes, which the
/// harness thread takes before it returns.
class Generator {
 public:
  Generator(models::Backend& backend, const Clock& clock, std::span<const models::Request> requests,
            const LoadPlan& plan, bool (*stop)())
      : backend_(backend),
        clock_(clock),
        requests_(requests),
        plan_(plan),
        stop_(stop),
        open_loop_(!plan.schedule.empty()),
        relay_(plan.max_in_flight.has_value() && backend.capabilities().submit_from_callback),
        records_(requests.size()) {}

  std::vector<RequestRecord> run(LoadCounters& counters);

 private:
  [[nodiscard]] bool stopped() const { return stop_ != nullptr && stop_(); }
  [[nodiscard]] bool capped() const { return plan_.max_in_flight.has_value(); }

  /// The harness thread's turn: sends every request that is due and has a slot. Returns whether
  /// more may be sent later; `deadline` is the due time of the next request when it has a slot
  /// but is not yet due, `slot_wanted` whether the next is due but every slot is taken.
  bool send_due(std::optional<Nanos>& deadline, bool& slot_wanted);
  /// Submits request next_ (due at `due`). submit_mutex_ held. A callback that relays passes
  /// `relayed`: its request takes over the slot of the completion it runs in.
  void send(Nanos due, bool relayed);
  void on_completion(std::size_t slot, models::Completion c);
  /// A completion that sent nothing in its place: frees its slot and wakes the harness thread
  /// when that is what it waits for. `hand_over`: the slot's next request may be due (closed
  /// loop: at `end`) and the harness thread must send it.
  void release(Nanos end, bool hand_over);
  /// Whether the harness thread has something to do (mutex_ held).
  [[nodiscard]] bool harness_needed() const {
    return !handed_over_.empty() || (in_flight_ == 0 && (!open_loop_ || draining_)) ||
           (slot_wanted_ && in_flight_ < *plan_.max_in_flight);
  }

  models::Backend& backend_;
  const Clock& clock_;
  const std::span<const models::Request> requests_;
  const LoadPlan& plan_;
  bool (*const stop_)();
  const bool open_loop_;
  /// A capped load through a backend that takes submit() from its callbacks.
  const bool relay_;
  Nanos start_{0};
  /// One per request, in send order (= request order); sized up front so that a callback writes
  /// its own record while others are sent. A record's send fields are written before submit(),
  /// its completion by the callback; times are raw clock readings until run() shifts them.
  std::vector<RequestRecord> records_;

  std::mutex submit_mutex_;
  std::size_t next_ = 0;  ///< The next request to send. Guarded by submit_mutex_.
  /// Closed loop: when the slots handed to the harness thread were freed, oldest first; each is
  /// the due time of one request. Guarded by submit_mutex_.
  std::deque<Nanos> freed_;
  std::size_t sent_by_harness_ = 0;      ///< Guarded by submit_mutex_.
  std::size_t sent_from_callbacks_ = 0;  ///< Guarded by submit_mutex_.

  std::mutex mutex_;
  std::condition_variable wake_;
  /// Submitted and not completed; a relayed request takes over its completion's slot, so a
  /// relay leaves it unchanged. Guarded by mutex_.
  std::size_t in_flight_ = 0;
  std::vector<Nanos> handed_over_;  ///< Closed loop: freed slots to fill. Guarded by mutex_.
  /// Open loop: the harness thread has sent all it will and waits for the last completion.
  bool draining_ = false;     ///< Guarded by mutex_.
  bool slot_wanted_ = false;  ///< The harness thread waits for a slot. Guarded by mutex_.
  std::size_t wakeups_ = 0;   ///< Guarded by mutex_.
};

std::vector<RequestRecord> Generator::run(LoadCounters& counters) {
  const TightTimers tight_timers;
  if (plan_.max_in_flight) handed_over_.reserve(std::min(*plan_.max_in_flight, requests_.size()));
  std::vector<Nanos> taken;  // handed_over_ is swapped with it: no allocation per hand-over
  taken.reserve(handed_over_.capacity());
  start_ = clock_.now();
  while (true) {
    std::optional<Nanos> deadline;
    bool slot_wanted = false;
    bool more = false;
    {
      const std::lock_guard submit(submit_mutex_);
      if (!open_loop_) {
        {
          const std::lock_guard lock(mutex_);
          taken.swap(handed_over_);
        }
        freed_.insert(freed_.end(), taken.begin(), taken.end());
        taken.clear();
      }
      more = send_due(deadline, slot_wanted);
    }
    std::unique_lock lock(mutex_);
    if (!more && in_flight_ == 0 && handed_over_.empty()) break;
    draining_ = !more;
    slot_wanted_ = slot_wanted;
    if (deadline) {
      wake_.wait_until(lock, clock_.epoch() + *deadline, [&] { return harness_needed(); });
    } else {
      // Poll the stop flag now and then while waiting for completions.
      wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return harness_needed(); });
    }
    slot_wanted_ = false;
  }
  {
    const std::lock_guard submit(submit_mutex_);
    counters.sent_by_harness = sent_by_harness_;
    counters.sent_from_callbacks = sent_from_callbacks_;
    records_.resize(next_);
  }
  {
    const std::lock_guard lock(mutex_);
    counters.harness_wakeups = wakeups_;
  }
  // Every time relative to the level's start.
  for (auto& r : records_) {
    r.end -= start_;
    auto& t = r.completion.timings;
    t.submitted = r.sent;
    t.finished = r.end;
    if (t.first_token) *t.first_token -= start_;
    for (auto& e : t.token_events)
      e -= start_;
  }
  return std::move(records_);
}

bool Generator::send_due(std::optional<Nanos>& deadline, bool& slot_wanted) {
  const std::size_t n = requests_.size();
  const InsideSubmit inside;  // a completion inside these submits hands its slot back to this loop
  while (next_ < n && !stopped()) {
    Nanos due = start_;
    if (open_loop_) {
      due = start_ + plan_.schedule[next_];
    } else if (capped() && next_ >= *plan_.max_in_flight) {
      if (freed_.empty()) break;  // every slot is taken
      due = freed_.front();
    }
    if (clock_.now() < due) {
      deadline = due;
      break;
    }
    if (open_loop_ && capped()) {
      // With a cap in the open loop a request may wait for a slot: sent - scheduled is then
      // the client queueing delay.
      const std::lock_guard lock(mutex_);
      if (in_flight_ >= *plan_.max_in_flight) {
        slot_wanted = true;
        break;
      }
    }
    if (!open_loop_ && capped() && next_ >= *plan_.max_in_flight) freed_.pop_front();
    send(due, false);
  }
  return next_ < n && !stopped();
}

void Generator::send(Nanos due, bool relayed) {
  const std::size_t i = next_++;
  RequestRecord& r = records_[i];
  r.index = i;
  // Closed loop: it became due when a slot was freed.
  r.scheduled = due - start_;
  r.images = requests_[i].image_count();
  if (relayed) {
    ++sent_from_callbacks_;
  } else {
    ++sent_by_harness_;
    const std::lock_guard lock(mutex_);
    ++in_flight_;
  }
  models::Request request = requests_[i];  // images are shared, not copied
  r.sent = clock_.now() - start_;
  const InsideSubmit inside;
  // Two words of capture: std::function keeps them without allocating.
  backend_.submit(std::move(request),
                  [this, i](models::Completion c) { on_completion(i, std::move(c)); });
}

void Generator::on_completion(std::size_t slot, models::Completion c) {
  const Nanos end = clock_.now();
  RequestRecord& r = records_[slot];
  r.end = end;
  r.completion = std::move(c);
  if (!relay_) {
    release(end, true);
    return;
  }
  if (t_inside_submit > 0 || stopped()) {
    // Delivered inside a submit (on the harness thread, or in a relay): the submitter holds the
    // submit mutex, and sending from here would recurse.
    release(end, t_inside_submit > 0);
    return;
  }
  std::unique_lock submit(submit_mutex_, std::try_to_lock);
  if (!submit.owns_lock()) {
    release(end, true);  // the harness thread is sending: it fills this slot too
    return;
  }
  if (next_ < requests_.size() && (!open_loop_ || start_ + plan_.schedule[next_] <= end)) {
    // The slot's next request is due now (open loop: it was waiting for a slot). A slot handed
    // to the harness thread a moment ago may still be waiting for it; this one is used first:
    // that changes only which freed slot serves which request, each still serving one.
    send(open_loop_ ? start_ + plan_.schedule[next_] : end, true);
    return;
  }
  submit.unlock();
  release(end, false);  // nothing is due: every request is sent, or the next one is not yet due
}

void Generator::release(Nanos end, bool hand_over) {
  const std::lock_guard lock(mutex_);
  --in_flight_;
  if (hand_over && !open_loop_ && capped()) handed_over_.push_back(end);
  if (harness_needed()) {
    ++wakeups_;
    // Under the lock: once it is released the harness thread may return and the generator be
    // gone.
    wake_.notify_one();
  }
}

}  // namespace

std::vector<RequestRecord> generate_load(models::Backend& backend, const Clock& clock,
                                         std::span<const models::Request> requests,
                                         const LoadPlan& plan, bool (*stop)(),
                                         LoadCounters* counters) {
  LoadCounters ignored;
  Generator generator(backend, clock, requests, plan, stop);
  return generator.run(counters != nullptr ? *counters : ignored);
}

}  // namespace lmmbench::harness::perf
