// The schedule of one model x task cell (harness/cell_scheduler.hpp), driven step by step against
// a backend that answers only when the test says so, on a clock the test moves.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "harness/cell_scheduler.hpp"
#include "harness/prompt.hpp"

namespace lmmbench::harness {
namespace {

using models::Completion;
using models::ErrorKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

/// Holds every request until the test completes it; cancel() ends the open ones as cancelled.
class HeldBackend : public models::Backend {
 public:
  struct Call {
    std::string sample_id;
    models::CompletionCallback done;
    bool open = true;
  };

  [[nodiscard]] const models::Capabilities& capabilities() const override { return caps; }
  [[nodiscard]] std::string fingerprint() const override { return "held"; }
  void submit(models::Request request, models::CompletionCallback done) override {
    calls.push_back({request.sample_id, std::move(done)});
    std::size_t open = 0;
    for (const auto& c : calls)
      open += c.open ? 1 : 0;
    max_open = std::max(max_open, open);
  }
  void cancel() override {
    ++cancels;
    for (std::size_t k = 0; k < calls.size(); ++k) {
      if (calls[k].open) finish(k, Completion::failure(ErrorKind::cancelled, "cancelled"));
    }
  }
  /// Completes call `k` (in submission order).
  void finish(std::size_t k, Completion c) {
    ASSERT_TRUE(calls.at(k).open) << k;
    calls[k].open = false;
    calls[k].done(std::move(c));
  }
  void answer(std::size_t k) {
    Completion c;
    c.text = "answer to " + calls.at(k).sample_id;
    finish(k, std::move(c));
  }
  [[nodiscard]] std::vector<std::string> sent() const {
    std::vector<std::string> ids;
    for (const auto& c : calls)
      ids.push_back(c.sample_id);
    return ids;
  }

  models::Capabilities caps;
  std::vector<Call> calls;
  std::size_t max_open = 0;
  int cancels = 0;
};

Completion http_failure(int status) {
  auto c = Completion::failure(ErrorKind::http, "HTTP " + std::to_string(status));
  c.http_status = status;
  return c;
}

class CellSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmmbench-cell-scheduler-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    task_config_.name = "t";
    task_config_.prompt.template_text = "{question}";
    task_.config = &task_config_;
    model_.name = "m";
    log_ = std::make_unique<PredictionLog>(dir_ / "predictions.jsonl");
  }
  void TearDown() override {
    log_.reset();
    cache_.reset();
    std::filesystem::remove_all(dir_);
  }

  void add_samples(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      datasets::Sample s;
      s.id = "s" + std::to_string(task_.selected.size());
      s.question = "question " + s.id;
      task_.selected.push_back(std::move(s));
    }
  }

  CellRun cell(std::size_t concurrency) {
    CellRun run{model_, backend_, task_, *log_, clock_, concurrency, progress_};
    run.cache = cache_.get();
    run.retry = retry_ ? &*retry_ : nullptr;
    run.stopped_by = &stopped_by_;
    return run;
  }
  CellScheduler::Environment environment() {
    return {[this] { return Nanos(now_ns_.load()); }, [this] { return stop_.load(); }};
  }
  void advance_to(std::chrono::milliseconds t) { now_ns_ = Nanos(t).count(); }

  /// The log key plan() gives sample i (a text-only request).
  std::string key_of(std::size_t i) const {
    const auto request = build_request(task_config_, task_.selected[i], backend_.caps);
    return log_key("m", "t", task_.selected[i].id, prompt_sha256(request),
                   params_sha256(request.params), "held");
  }
  void log_answer(std::size_t i, Completion c) {
    const auto request = build_request(task_config_, task_.selected[i], backend_.caps);
    LogEntry e;
    e.key = key_of(i);
    e.model = "m";
    e.task = "t";
    e.sample_id = task_.selected[i].id;
    e.prompt_sha256 = prompt_sha256(request);
    e.params_sha256 = params_sha256(request.params);
    e.backend = "held";
    e.completion = std::move(c);
    log_->append(std::move(e));
  }
  const LogEntry& logged(std::size_t i) const {
    const LogEntry* e = log_->find(key_of(i));
    EXPECT_NE(e, nullptr) << "sample " << i << " is not in the log";
    static const LogEntry none;
    return e != nullptr ? *e : none;
  }

  std::filesystem::path dir_;
  TaskConfig task_config_;
  LoadedTask task_;
  ModelConfig model_;
  HeldBackend backend_;
  std::unique_ptr<PredictionLog> log_;
  std::unique_ptr<ResponseCache> cache_;
  std::optional<RetryPolicy> retry_;
  std::optional<Completion> stopped_by_;
  Clock clock_;
  Progress progress_{false};
  reports::SampleCounts counts_;
  std::atomic<std::int64_t> now_ns_{0};
  std::atomic<bool> stop_{false};
};

TEST_F(CellSchedulerTest, SubmitsInSampleOrderUpToTheConcurrencyLimit) {
  add_samples(5);
  const auto run = cell(2);
  CellScheduler s(run, counts_, environment());
  s.plan();
  EXPECT_THAT(s.sources(), ::testing::Each(SampleSource::send));
  s.fill();
  EXPECT_THAT(backend_.sent(), ElementsAre("s0", "s1"));
  EXPECT_EQ(s.in_flight(), 2u);
  s.fill();  // no free slot: nothing more
  EXPECT_EQ(backend_.calls.size(), 2u);
  backend_.answer(1);  // out of order
  s.drain(Nanos(0));
  EXPECT_EQ(s.in_flight(), 1u);
  EXPECT_EQ(logged(1).completion.text, "answer to s1");
  s.fill();  // one slot: the next sample in order
  EXPECT_THAT(backend_.sent(), ElementsAre("s0", "s1", "s2"));
  while (s.busy()) {
    for (std::size_t k = 0; k < backend_.calls.size(); ++k) {
      if (backend_.calls[k].open) backend_.answer(k);
    }
    s.drain(Nanos(0));
    s.resubmit_due();
    s.fill();
  }
  EXPECT_THAT(backend_.sent(), ElementsAre("s0", "s1", "s2", "s3", "s4"));
  EXPECT_EQ(backend_.max_open, 2u);
  EXPECT_FALSE(s.finish());
  ASSERT_EQ(s.keys().size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s.keys()[i], key_of(i));
    EXPECT_EQ(logged(i).completion.text, "answer to s" + std::to_string(i));
    EXPECT_EQ(logged(i).completion.attempts, 1);
  }
  EXPECT_EQ(s.done(), 5u);
  EXPECT_EQ(s.errors(), 0u);
  EXPECT_EQ(counts_.resumed, 0u);
}

TEST_F(CellSchedulerTest, StampsSubmittedAndFinishedOnItsClock) {
  add_samples(1);
  const auto run = cell(1);
  CellScheduler s(run, counts_, environment());
  s.plan();
  advance_to(std::chrono::milliseconds(10));
  s.fill();
  advance_to(std::chrono::milliseconds(35));
  backend_.answer(0);
  s.drain(Nanos(0));
  EXPECT_EQ(logged(0).completion.timings.submitted, std::chrono::milliseconds(10));
  EXPECT_EQ(logged(0).completion.timings.finished, std::chrono::milliseconds(35));
}

TEST_F(CellSchedulerTest, RetryAfterIsWaitedForAndTheSampleKeepsItsSlot) {
  add_samples(2);
  retry_.emplace(RetryConfig{3, 1.0, 30.0, 120, 1000}, 1);
  const auto run = cell(1);
  CellScheduler s(run, counts_, environment());
  s.plan();
  s.fill();
  auto limited = http_failure(429);
  limited.retry_after = std::chrono::seconds(7);
  backend_.finish(0, limited);
  s.drain(Nanos(0));
  EXPECT_EQ(s.retries_waiting(), 1u);
  EXPECT_EQ(s.in_flight(), 1u);  // the retry holds the only slot
  s.fill();
  s.resubmit_due();
  EXPECT_THAT(backend_.sent(), ElementsAre("s0"));
  advance_to(std::chrono::milliseconds(6999));
  s.resubmit_due();
  EXPECT_EQ(backend_.calls.size(), 1u);
  advance_to(std::chrono::milliseconds(7000));
  s.resubmit_due();
  EXPECT_THAT(backend_.sent(), ElementsAre("s0", "s0"));
  EXPECT_EQ(s.retries_waiting(), 0u);
  backend_.answer(1);
  s.drain(Nanos(0));
  EXPECT_EQ(logged(0).completion.text, "answer to s0");
  EXPECT_EQ(logged(0).completion.attempts, 2);  // only the last attempt is logged
  EXPECT_EQ(counts_.retries, 1u);
  s.fill();
  EXPECT_THAT(backend_.sent(), ElementsAre("s0", "s0", "s1"));
}

TEST_F(CellSchedulerTest, BackoffIsWithinItsJitterAndTheLastFailureNamesWhyItStopped) {
  add_samples(1);
  retry_.emplace(RetryConfig{2, 1.0, 30.0, 120, 1000}, 1);
  const auto run = cell(1);
  CellScheduler s(run, counts_, environment());
  s.plan();
  s.fill();
  backend_.finish(0, http_failure(503));
  s.drain(Nanos(0));
  ASSERT_EQ(s.retries_waiting(), 1u);
  advance_to(std::chrono::milliseconds(499));  // equal jitter: at least half of 1 s
  s.resubmit_due();
  EXPECT_EQ(backend_.calls.size(), 1u);
  advance_to(std::chrono::milliseconds(1000));  // at most the whole 1 s
  s.resubmit_due();
  ASSERT_EQ(backend_.calls.size(), 2u);
  backend_.finish(1, http_failure(503));
  s.drain(Nanos(0));
  EXPECT_FALSE(s.busy());
  EXPECT_EQ(logged(0).completion.error, ErrorKind::http);
  EXPECT_EQ(logged(0).completion.attempts, 2);
  EXPECT_THAT(logged(0).completion.error_message, HasSubstr("HTTP 503; gave up after 2 attempts"));
  EXPECT_EQ(s.errors(), 1u);
}

TEST_F(CellSchedulerTest, AFatalFailureStopsTheBackendForThisAndLaterCells) {
  add_samples(4);
  retry_.emplace(RetryConfig{}, 1);
  const auto run = cell(2);
  CellScheduler s(run, counts_, environment());
  s.plan();
  s.fill();
  auto rejected = http_failure(401);
  rejected.error_message = "HTTP 401: invalid API key";
  rejected.fatal = true;
  backend_.finish(0, rejected);
  ::testing::internal::CaptureStderr();
  s.drain(Nanos(0));  // s0 is fatal: s1 is cancelled
  const auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("error: m stopped: HTTP 401: invalid API key"));
  EXPECT_EQ(backend_.cancels, 1);
  ASSERT_TRUE(stopped_by_.has_value());
  EXPECT_EQ(logged(0).completion.http_status, 401);  // not retryable
  EXPECT_EQ(logged(0).completion.attempts, 1);
  s.drain(Nanos(0));  // s1's cancellation arrives: it takes the fatal failure's kind and status
  EXPECT_EQ(logged(1).completion.error, ErrorKind::http);
  EXPECT_EQ(logged(1).completion.http_status, 401);
  EXPECT_EQ(logged(1).completion.attempts, 1);
  EXPECT_THAT(logged(1).completion.error_message,
              HasSubstr("cancelled: m was stopped by a fatal failure: HTTP 401: invalid API key"));
  s.fill();  // nothing more is sent
  EXPECT_FALSE(s.busy());
  EXPECT_EQ(backend_.calls.size(), 2u);
  for (const std::size_t i : {2u, 3u}) {
    EXPECT_EQ(logged(i).completion.attempts, 0);
    EXPECT_THAT(logged(i).completion.error_message, HasSubstr("not sent: m was stopped"));
  }
  EXPECT_FALSE(s.finish());  // a stop, not an interrupt

  // The model's next cell sends nothing either.
  task_config_.name = "t2";
  reports::SampleCounts next_counts;
  CellScheduler next(run, next_counts, environment());
  next.plan();
  next.fill();
  EXPECT_FALSE(next.busy());
  EXPECT_EQ(backend_.calls.size(), 2u);
  EXPECT_EQ(next.errors(), 4u);
}

TEST_F(CellSchedulerTest, AStopRequestCancelsWhatIsInFlightAndLeavesTheRestForResume) {
  add_samples(5);
  retry_.emplace(RetryConfig{3, 1.0, 30.0, 120, 1000}, 1);
  const auto run = cell(3);
  CellScheduler s(run, counts_, environment());
  s.plan();
  s.fill();
  backend_.finish(0, http_failure(500));  // waits for its retry
  s.drain(Nanos(0));
  ASSERT_EQ(s.retries_waiting(), 1u);
  stop_ = true;
  s.fill();  // submits nothing after a stop request
  EXPECT_EQ(backend_.calls.size(), 3u);
  s.drain(Nanos(0));  // cancels s1 and s2 (once) and collects their cancellations
  EXPECT_EQ(backend_.cancels, 1);
  s.resubmit_due();  // s0's retry is not sent: logged with its last failure
  EXPECT_FALSE(s.busy());
  EXPECT_EQ(backend_.calls.size(), 3u);
  EXPECT_EQ(logged(0).completion.error, ErrorKind::http);
  EXPECT_EQ(logged(1).completion.error, ErrorKind::cancelled);
  EXPECT_EQ(logged(2).completion.error, ErrorKind::cancelled);
  EXPECT_EQ(log_->find(key_of(3)), nullptr);
  EXPECT_EQ(log_->find(key_of(4)), nullptr);
  EXPECT_TRUE(s.finish());  // interrupted
  EXPECT_FALSE(stopped_by_.has_value());
}

TEST_F(CellSchedulerTest, ResumedAnswersAreNotAskedAgainButTransientFailuresAre) {
  add_samples(4);
  log_answer(0, [] {
    Completion c;
    c.text = "kept";
    return c;
  }());
  log_answer(1, Completion::failure(ErrorKind::timeout, "slow"));      // retried on resume
  log_answer(2, Completion::failure(ErrorKind::refused, "filtered"));  // kept
  const auto run = cell(4);
  CellScheduler s(run, counts_, environment());
  s.plan();
  EXPECT_THAT(s.sources(), ElementsAre(SampleSource::resumed, SampleSource::send,
                                       SampleSource::resumed, SampleSource::send));
  EXPECT_EQ(counts_.resumed, 2u);
  EXPECT_EQ(s.done(), 2u);
  EXPECT_EQ(s.errors(), 1u);
  s.fill();
  EXPECT_THAT(backend_.sent(), ElementsAre("s1", "s3"));
  backend_.answer(0);
  backend_.answer(1);
  s.drain(Nanos(0));
  EXPECT_EQ(logged(0).completion.text, "kept");
  EXPECT_EQ(logged(1).completion.text, "answer to s1");
  EXPECT_EQ(s.done(), 4u);
  EXPECT_FALSE(s.finish());
}

TEST_F(CellSchedulerTest, CachedAnswersAreServedAndFreshOnesStored) {
  add_samples(3);
  backend_.caps.cache_responses = true;
  cache_ = std::make_unique<ResponseCache>(dir_ / "responses.sqlite");
  const auto request = build_request(task_config_, task_.selected[0], backend_.caps);
  Completion earlier;
  earlier.text = "from the cache";
  cache_->put(cache_key("held", prompt_sha256(request), params_sha256(request.params)), earlier);
  {
    const auto run = cell(3);
    CellScheduler s(run, counts_, environment());
    s.plan();
    EXPECT_THAT(s.sources(), ::testing::Each(SampleSource::cached));
    s.fill();
    EXPECT_THAT(backend_.sent(), ElementsAre("s1", "s2"));
    EXPECT_EQ(counts_.cached, 1u);
    EXPECT_TRUE(logged(0).completion.cached);
    EXPECT_EQ(logged(0).completion.text, "from the cache");
    backend_.answer(0);
    backend_.answer(1);
    s.drain(Nanos(0));
    EXPECT_FALSE(s.finish());
  }
  // The fresh answers went into the cache: a new log is answered without the backend.
  log_ = std::make_unique<PredictionLog>(dir_ / "second.jsonl");
  reports::SampleCounts again;
  const auto run = cell(3);
  CellScheduler s(run, again, environment());
  s.plan();
  s.fill();
  EXPECT_FALSE(s.busy());
  EXPECT_EQ(again.cached, 3u);
  EXPECT_EQ(logged(1).completion.text, "answer to s1");
  // --refresh-cache asks again.
  log_ = std::make_unique<PredictionLog>(dir_ / "third.jsonl");
  auto refresh = cell(3);
  refresh.read_cache = false;
  reports::SampleCounts refreshed;
  CellScheduler r(refresh, refreshed, environment());
  r.plan();
  r.fill();
  EXPECT_EQ(r.in_flight(), 3u);
  EXPECT_EQ(refreshed.cached, 0u);
}

TEST_F(CellSchedulerTest, UnusableInputsAreRecordedWithoutAskingTheBackend) {
  add_samples(3);
  task_.selected[1].error = "image missing: a.png";
  const auto run = cell(1);
  CellScheduler s(run, counts_, environment());
  s.plan();
  EXPECT_THAT(s.sources(),
              ElementsAre(SampleSource::send, SampleSource::input_failure, SampleSource::send));
  s.fill();
  backend_.answer(0);
  s.drain(Nanos(0));
  s.fill();  // s1 is recorded at once, s2 takes the slot
  EXPECT_THAT(backend_.sent(), ElementsAre("s0", "s2"));
  const LogEntry* failed = log_->find(s.keys()[1]);  // keyed by the failure, not a prompt
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->completion.error, ErrorKind::invalid_input);
  EXPECT_EQ(failed->completion.attempts, 1);
  backend_.answer(1);
  s.drain(Nanos(0));
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(s.finish());
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("m × t: 1 sample(s) could not be sent (unusable input"));
  EXPECT_EQ(s.errors(), 1u);

  // On resume the recorded failure is reused while the input is unchanged.
  reports::SampleCounts resumed;
  CellScheduler again(run, resumed, environment());
  again.plan();
  EXPECT_THAT(again.sources(), ::testing::Each(SampleSource::resumed));
  EXPECT_EQ(resumed.resumed, 3u);
}

TEST_F(CellSchedulerTest, ARequestOverTheImageLimitOrASubmitThatThrowsFailsOnlyItsSample) {
  add_samples(3);
  datasets::ImageRef image;
  image.path =
      std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures/tiny_vqa/images/red.png";
  image.mime_type = "image/png";
  task_.selected[0].images = {image};  // the backend takes text only
  class Throwing : public HeldBackend {
   public:
    void submit(models::Request request, models::CompletionCallback done) override {
      if (request.sample_id == "s1") throw std::runtime_error("socket pool exhausted");
      HeldBackend::submit(std::move(request), std::move(done));
    }
  } throwing;
  CellRun run{model_, throwing, task_, *log_, clock_, 3, progress_};
  CellScheduler s(run, counts_, environment());
  s.plan();
  s.fill();
  EXPECT_THAT(throwing.sent(), ElementsAre("s2"));
  const LogEntry* unsupported = log_->find(s.keys()[0]);
  ASSERT_NE(unsupported, nullptr);
  EXPECT_EQ(unsupported->completion.error, ErrorKind::unsupported);
  EXPECT_EQ(unsupported->completion.error_message,
            "1 images in the request; the backend accepts at most 0");
  throwing.answer(0);
  s.drain(Nanos(0));  // s1's failure arrived through the mailbox like any completion
  EXPECT_FALSE(s.busy());
  const LogEntry* thrown = log_->find(s.keys()[1]);
  ASSERT_NE(thrown, nullptr);
  EXPECT_EQ(thrown->completion.error, ErrorKind::internal);
  EXPECT_EQ(thrown->completion.error_message, "socket pool exhausted");
  EXPECT_EQ(s.errors(), 2u);
  EXPECT_FALSE(s.finish());
}

TEST_F(CellSchedulerTest, InferCellRunsTheWholeScheduleAgainstABackendOnAnotherThread) {
  add_samples(20);
  // Answers from a thread of its own, a little later, like a remote backend.
  class ThreadedBackend : public models::Backend {
   public:
    ~ThreadedBackend() override {
      for (auto& t : threads)
        t.join();
    }
    [[nodiscard]] const models::Capabilities& capabilities() const override { return caps; }
    [[nodiscard]] std::string fingerprint() const override { return "held"; }
    void submit(models::Request request, models::CompletionCallback done) override {
      threads.emplace_back([id = request.sample_id, done = std::move(done)] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        Completion c;
        c.text = "answer to " + id;
        done(std::move(c));
      });
    }
    models::Capabilities caps;
    std::vector<std::thread> threads;
  } threaded;
  CellRun run{model_, threaded, task_, *log_, clock_, 4, progress_};
  bool interrupted = true;
  const auto keys = infer_cell(run, counts_, interrupted);
  EXPECT_FALSE(interrupted);
  ASSERT_EQ(keys.size(), 20u);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(keys[i], key_of(i));
    EXPECT_EQ(logged(i).completion.text, "answer to s" + std::to_string(i));
  }
}

}  // namespace
}  // namespace lmmbench::harness
