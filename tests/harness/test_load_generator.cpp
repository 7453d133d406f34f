// `lmmbench perf`'s load generator against a fake backend that completes on threads of its own,
// inside submit() or in bursts, with and without Capabilities::submit_from_callback: every
// request sent once, never more in flight than the cap, never two submits at once, the records
// in send order with consistent times, `stop` honoured, and with the capability the next request
// sent by the completion that freed its slot instead of by a woken harness thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/perf/load_generator.hpp"

namespace lmmbench::harness::perf {
namespace {

using namespace std::chrono_literals;

/// How the fake answers.
enum class Answer {
  on_its_threads,  ///< Each request on one of its completion threads, after `delay`.
  inside_submit,   ///< Synchronously, before submit() returns.
  in_bursts,  ///< Its threads wait for `burst` requests (or 2 ms), then complete them back to back.
  mixed,      ///< Every third inside submit(), the rest on its threads.
};

/// Submits since the process started, for the `stop` function (a plain function pointer).
std::atomic<std::size_t> g_submits{0};
std::atomic<std::size_t> g_stop_after{std::numeric_limits<std::size_t>::max()};
bool stop_after_limit() {
  return g_submits.load() >= g_stop_after.load();
}

/// Answers each request with its sample id and checks the generator's side of the Backend
/// contract.
class FakeBackend final : public models::Backend {
 public:
  FakeBackend(Answer answer, bool submit_from_callback, std::size_t threads = 1,
              std::chrono::microseconds delay = 0us, std::size_t burst = 1)
      : answer_(answer), delay_(delay), burst_(burst) {
    caps_.submit_from_callback = submit_from_callback;
    for (std::size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this] { complete_loop(); });
  }
  ~FakeBackend() override {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

  [[nodiscard]] const models::Capabilities& capabilities() const override { return caps_; }
  [[nodiscard]] std::string fingerprint() const override { return "fake"; }

  void submit(models::Request request, models::CompletionCallback done) override {
    if (inside_submit_.exchange(true)) overlapping_submits_ = true;
    if (std::this_thread::get_id() != harness_thread_) ++submits_off_harness_thread_;
    ++g_submits;
    const std::size_t now = ++in_flight_;
    std::size_t seen = max_in_flight_.load();
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
    const std::size_t index = std::stoul(request.sample_id);
    {
      const std::lock_guard lock(mutex_);
      if (submits_per_request_.size() <= index) submits_per_request_.resize(index + 1);
      ++submits_per_request_[index];
    }
    const bool now_here =
        answer_ == Answer::inside_submit || (answer_ == Answer::mixed && index % 3 == 0);
    if (now_here) {
      complete(request.sample_id, done);
    } else {
      {
        const std::lock_guard lock(mutex_);
        queue_.push_back({std::move(request.sample_id), std::move(done),
                          std::chrono::steady_clock::now() + delay_});
      }
      ready_.notify_one();
    }
    inside_submit_ = false;
  }

  /// Submits of one request each (index = sample id).
  [[nodiscard]] std::vector<std::size_t> submits_per_request() const {
    const std::lock_guard lock(mutex_);
    return submits_per_request_;
  }
  [[nodiscard]] std::size_t max_in_flight() const { return max_in_flight_; }
  [[nodiscard]] bool overlapping_submits() const { return overlapping_submits_; }
  [[nodiscard]] std::size_t submits_off_harness_thread() const {
    return submits_off_harness_thread_;
  }

 private:
  struct Pending {
    std::string id;
    models::CompletionCallback done;
    std::chrono::steady_clock::time_point due;
  };

  void complete(const std::string& id, const models::CompletionCallback& done) {
    --in_flight_;  // before the callback, which may send the next request
    models::Completion c;
    c.text = id;
    done(std::move(c));
  }

  void complete_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      if (answer_ == Answer::in_bursts) {
        // Let a burst gather: many completions delivered back to back on this thread.
        ready_.wait_for(lock, 2ms, [&] { return stopping_ || queue_.size() >= burst_; });
      } else {
        ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      }
      if (stopping_ && queue_.empty()) return;
      if (queue_.empty()) continue;
      std::deque<Pending> batch;
      if (answer_ == Answer::in_bursts) {
        batch.swap(queue_);
      } else {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();  // the callbacks may submit, which takes mutex_
      for (auto& p : batch) {
        std::this_thread::sleep_until(p.due);
        complete(p.id, p.done);
      }
      lock.lock();
    }
  }

  models::Capabilities caps_;
  const Answer answer_;
  const std::chrono::microseconds delay_;
  const std::size_t burst_;
  const std::thread::id harness_thread_ = std::this_thread::get_id();
  std::atomic<bool> inside_submit_{false};
  std::atomic<bool> overlapping_submits_{false};
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> max_in_flight_{0};
  std::atomic<std::size_t> submits_off_harness_thread_{0};
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Pending> queue_;
  std::vector<std::size_t> submits_per_request_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

std::vector<models::Request> numbered_requests(std::size_t n) {
  std::vector<models::Request> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i].sample_id = std::to_string(i);
  return out;
}

/// What holds for every load: each record answers its own request, in send order, with times in
/// order; no request sent twice; no submit inside another; never more than the cap in flight.
void expect_consistent(const std::vector<RequestRecord>& records, const FakeBackend& backend,
                       std::optional<std::size_t> cap) {
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    ASSERT_EQ(r.index, i) << "records are in send order";
    EXPECT_EQ(r.completion.text, std::to_string(i)) << "record " << i;
    EXPECT_LE(r.scheduled, r.sent) << "record " << i;
    EXPECT_LE(r.sent, r.end) << "record " << i;
    EXPECT_EQ(r.completion.timings.submitted, r.sent);
    EXPECT_EQ(r.completion.timings.finished, r.end);
  }
  const auto submits = backend.submits_per_request();
  ASSERT_EQ(submits.size(), records.size());
  for (std::size_t i = 0; i < submits.size(); ++i)
    EXPECT_EQ(submits[i], 1U) << "request " << i << " was sent " << submits[i] << " times";
  EXPECT_FALSE(backend.overlapping_submits());
  if (cap) {
    EXPECT_LE(backend.max_in_flight(), *cap);
  }
}

/// Closed loop: request i >= cap became due when a slot was freed, i.e. at the end of some
/// earlier request, and each freed slot serves one request.
void expect_closed_loop_times(const std::vector<RequestRecord>& records, std::size_t cap) {
  std::vector<Nanos> ends;
  std::vector<Nanos> due;
  for (const auto& r : records) {
    ends.push_back(r.end);
    if (r.index < cap) {
      EXPECT_EQ(r.scheduled, Nanos{0}) << "record " << r.index;
    } else {
      due.push_back(r.scheduled);
    }
  }
  std::sort(ends.begin(), ends.end());
  std::sort(due.begin(), due.end());
  EXPECT_TRUE(std::includes(ends.begin(), ends.end(), due.begin(), due.end()))
      << "every closed-loop due time is the end of another request, used once";
}

struct Case {
  const char* name;
  Answer answer;
  std::size_t threads;
  std::chrono::microseconds delay;
  std::size_t burst;
};

constexpr Case kCases[] = {
    {"on another thread", Answer::on_its_threads, 1, 20us, 1},
    {"on two threads at once", Answer::on_its_threads, 2, 0us, 1},
    {"inside submit", Answer::inside_submit, 1, 0us, 1},
    {"in bursts", Answer::in_bursts, 2, 0us, 8},
    {"mixed", Answer::mixed, 2, 0us, 1},
};

TEST(LoadGenerator, ClosedLoopSendsEachRequestOnceWithinTheCapHoweverTheBackendCompletes) {
  const Clock clock;
  const auto requests = numbered_requests(600);
  for (const bool from_callback : {false, true}) {
    for (const auto& c : kCases) {
      for (const std::size_t cap : {1, 4, 16}) {
        SCOPED_TRACE(testing::Message() << c.name << ", " << cap << " in flight, "
                                        << (from_callback ? "" : "no ") << "submit_from_callback");
        FakeBackend backend(c.answer, from_callback, c.threads, c.delay, std::min(c.burst, cap));
        LoadPlan plan;
        plan.max_in_flight = cap;
        LoadCounters counters;
        const auto records = generate_load(backend, clock, requests, plan, nullptr, &counters);
        ASSERT_EQ(records.size(), requests.size());
        expect_consistent(records, backend, cap);
        expect_closed_loop_times(records, cap);
        EXPECT_EQ(counters.sent_by_harness + counters.sent_from_callbacks, requests.size());
        EXPECT_EQ(counters.sent_from_callbacks, backend.submits_off_harness_thread());
        if (!from_callback || c.answer == Answer::inside_submit) {
          // Never from a callback: without the capability, nor from one delivered inside
          // submit() (that would recurse).
          EXPECT_EQ(counters.sent_from_callbacks, 0U);
        }
      }
    }
  }
}

TEST(LoadGenerator, WithSubmitFromCallbackTheHarnessThreadIsNotWokenPerRequest) {
  // One completion thread, each reply 20 µs after its request: the completion that frees a slot
  // sends the next request. Without the capability every completion wakes the harness thread.
  const Clock clock;
  const std::size_t n = 1000;
  const std::size_t cap = 4;
  const auto requests = numbered_requests(n);
  LoadPlan plan;
  plan.max_in_flight = cap;

  FakeBackend handed(Answer::on_its_threads, false, 1, 20us);
  LoadCounters before;
  const auto a = generate_load(handed, clock, requests, plan, nullptr, &before);
  expect_consistent(a, handed, cap);
  EXPECT_EQ(before.sent_by_harness, n);
  EXPECT_GE(before.harness_wakeups, n - cap);

  FakeBackend relayed(Answer::on_its_threads, true, 1, 20us);
  LoadCounters after;
  const auto b = generate_load(relayed, clock, requests, plan, nullptr, &after);
  expect_consistent(b, relayed, cap);
  expect_closed_loop_times(b, cap);
  // The first `cap` come from the harness thread; a few more where a completion raced one of
  // its sends (it then hands its slot over). On a loaded machine such races stay rare: the
  // harness thread holds the submit lock only while it sends.
  EXPECT_GE(after.sent_from_callbacks, n * 9 / 10) << after.sent_by_harness << " by the harness";
  EXPECT_LE(after.harness_wakeups, n / 10);
}

TEST(LoadGenerator, StopIsHonouredFromTheCallbacksToo) {
  const Clock clock;
  const auto requests = numbered_requests(2000);
  for (const bool from_callback : {false, true}) {
    SCOPED_TRACE(from_callback ? "submit_from_callback" : "harness thread only");
    FakeBackend backend(Answer::on_its_threads, from_callback, 2, 10us);
    LoadPlan plan;
    plan.max_in_flight = 8;
    g_stop_after = g_submits.load() + 100;
    const auto records = generate_load(backend, clock, requests, plan, &stop_after_limit);
    g_stop_after = std::numeric_limits<std::size_t>::max();
    // stop() is polled before each send: once 100 went out, only sends that had already polled
    // it (at most one per slot) may follow.
    EXPECT_GE(records.size(), 100U);
    EXPECT_LE(records.size(), 100U + 8U);
    expect_consistent(records, backend, 8);
  }
}

TEST(LoadGenerator, CappedOpenLoopKeepsTheScheduleAndSendsAWaitingRequestWhenASlotFrees) {
  // Requests due every 10 µs, replies after 200 µs, 4 in flight: the cap binds, requests wait
  // for a slot, and with the capability the completion that frees one sends the waiting request.
  const Clock clock;
  const std::size_t n = 400;
  const auto requests = numbered_requests(n);
  LoadPlan plan;
  plan.max_in_flight = 4;
  for (std::size_t i = 0; i < n; ++i)
    plan.schedule.push_back(std::chrono::microseconds(10 * i));
  for (const bool from_callback : {false, true}) {
    for (const auto& c : kCases) {
      SCOPED_TRACE(testing::Message()
                   << c.name << ", " << (from_callback ? "" : "no ") << "submit_from_callback");
      FakeBackend backend(c.answer, from_callback, c.threads,
                          c.answer == Answer::on_its_threads ? 200us : c.delay,
                          std::min<std::size_t>(c.burst, 4));
      LoadCounters counters;
      const auto records = generate_load(backend, clock, requests, plan, nullptr, &counters);
      ASSERT_EQ(records.size(), n);
      expect_consistent(records, backend, 4);
      for (const auto& r : records)
        EXPECT_EQ(r.scheduled, plan.schedule[r.index]) << "the open loop keeps its schedule";
      if (from_callback && c.answer == Answer::on_its_threads) {
        EXPECT_GT(counters.sent_from_callbacks, n / 2);
      }
      if (!from_callback) {
        EXPECT_EQ(counters.sent_from_callbacks, 0U);
      }
    }
  }
}

TEST(LoadGenerator, OpenLoopWithoutCapAndOfflineSendFromTheHarnessThreadOnly) {
  const Clock clock;
  const auto requests = numbered_requests(200);
  LoadPlan open;
  for (std::size_t i = 0; i < requests.size(); ++i)
    open.schedule.push_back(std::chrono::microseconds(20 * i));
  for (const LoadPlan& plan : {open, LoadPlan{}}) {
    FakeBackend backend(Answer::mixed, true, 2, 50us);
    LoadCounters counters;
    const auto records = generate_load(backend, clock, requests, plan, nullptr, &counters);
    ASSERT_EQ(records.size(), requests.size());
    expect_consistent(records, backend, std::nullopt);
    EXPECT_EQ(counters.sent_from_callbacks, 0U);
    if (plan.schedule.empty()) {
      for (const auto& r : records)
        EXPECT_EQ(r.scheduled, Nanos{0}) << "offline: every request is due at the start";
    }
  }
}

TEST(LoadGenerator, NoRequestsReturnsAtOnce) {
  const Clock clock;
  FakeBackend backend(Answer::on_its_threads, true);
  LoadPlan plan;
  plan.max_in_flight = 4;
  EXPECT_TRUE(generate_load(backend, clock, {}, plan).empty());
}

}  // namespace
}  // namespace lmmbench::harness::perf
