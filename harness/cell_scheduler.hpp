#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "harness/inference.hpp"
#include "models/completion.hpp"
#include "models/request.hpp"

namespace lmmbench::harness {

/// Where a selected sample's answer comes from, as CellScheduler::plan decides it.
enum class SampleSource {
  resumed,        ///< The prediction log holds it (an answer or a failure kept on resume).
  input_failure,  ///< Its input cannot become a request: the failure is recorded, nothing sent.
  cached,         ///< Deterministic and cacheable: served by the response cache if it holds the
                  ///< answer when the sample's turn comes (--refresh-cache: always sent).
  send,           ///< Asked of the backend.
};

/// The schedule of one model x task cell (infer_cell, inference.hpp): which samples need a
/// request, how many are in flight, which failed attempts are tried again when, and what is
/// recorded in the prediction log. infer_cell drives it; each step can also be driven alone:
///
///   plan();                       // once: keys, resumed answers, what is left
///   while (fill(), busy()) {      // submit up to the concurrency limit
///     drain(wait);                // collect completions: record them or queue their retries
///     resubmit_due();             // send the retries whose back-off has elapsed
///   }
///   finish();
///
/// Threading: every member is called from the harness thread; backend callbacks only append to a
/// mailbox (shared with them, so a callback that runs after the scheduler is gone is harmless).
class CellScheduler {
 public:
  /// What the scheduler reads besides the cell: the time (stamps and retry deadlines) and the stop
  /// request (interrupt.hpp). Tests replace both.
  struct Environment {
    std::function<Nanos()> now;            ///< Empty: the cell's Clock.
    std::function<bool()> stop_requested;  ///< Empty: harness::stop_requested.
  };

  CellScheduler(const CellRun& run, reports::SampleCounts& counts, Environment environment = {});
  CellScheduler(const CellScheduler&) = delete;
  CellScheduler& operator=(const CellScheduler&) = delete;

  /// Keys every selected sample and decides its source, in sample order; counts the answers the
  /// log already holds (counts.resumed) and starts the progress line there.
  void plan();
  /// Takes the next samples in order until `concurrency` requests are in flight (a sample waiting
  /// for its retry keeps its slot) or none is left: a cached answer, an input failure, a request
  /// over the backend's image limit or a stopped backend is recorded at once; the rest are
  /// submitted. Submits nothing once a stop is requested.
  void fill();
  /// When a stop is requested, cancels the requests on the wire (once); then waits at most `wait`
  /// (less when a retry falls due sooner) for completions, and records each, or queues its retry
  /// when the retry policy grants one. A fatal failure stops the backend (CellRun::stopped_by).
  void drain(Nanos wait = std::chrono::milliseconds(50));
  /// Sends the queued retries whose back-off has elapsed, earliest first. After a stop request or
  /// a stopped backend, every queued retry is recorded with its last failure instead.
  void resubmit_due();
  /// Ends the cell: the final progress line, the warning about unusable inputs; returns whether
  /// the stop request left samples unanswered (infer_cell's `interrupted`).
  bool finish();

  /// Requests submitted and not yet recorded, retries waiting included.
  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }
  [[nodiscard]] bool busy() const { return in_flight_ > 0; }
  /// Failed attempts waiting for their back-off to elapse.
  [[nodiscard]] std::size_t retries_waiting() const { return retries_.size(); }
  /// The log key of every selected sample, in order (set by plan()).
  [[nodiscard]] const std::vector<std::string>& keys() const { return keys_; }
  /// Moves the keys out (infer_cell's result); keys() is empty afterwards.
  [[nodiscard]] std::vector<std::string> take_keys() { return std::move(keys_); }
  /// The source plan() chose for every selected sample, in order.
  [[nodiscard]] const std::vector<SampleSource>& sources() const { return sources_; }
  /// Samples recorded so far, resumed ones included; and how many of them failed.
  [[nodiscard]] std::size_t done() const { return done_; }
  [[nodiscard]] std::size_t errors() const { return errors_; }

 private:
  /// What a sample waiting for its answer keeps: only hashes; its request is built again (images
  /// read) when it is submitted, so memory per waiting sample stays small.
  struct Pending {
    std::string prompt_hash;
    std::string params_hash;
    std::string cache_key;  ///< Empty when the answer is not cached.
    int attempts = 0;
    /// The sample's input cannot become a request (prepare_request): this is recorded as its
    /// answer without asking the backend.
    std::optional<models::Completion> input_failure;
  };
  /// A failed attempt waiting for its retry (it keeps its concurrency slot).
  struct Retry {
    Nanos due;
    std::size_t index;
    models::Completion last;  ///< Recorded if the run stops before the retry is sent.
    bool operator>(const Retry& other) const { return due > other.due; }
  };
  /// Completions handed over by backend callbacks.
  struct Mailbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::pair<std::size_t, models::Completion>> finished;
  };

  [[nodiscard]] Nanos now() const { return now_(); }
  [[nodiscard]] bool stopping() const { return stop_requested_(); }
  /// The backend was stopped by a fatal failure, in this cell or an earlier one of the model.
  [[nodiscard]] bool stopped() const;
  /// What a sample gets in place of an answer once the backend is stopped: the fatal failure's
  /// kind and status (never an answer), with `attempts` requests actually sent.
  [[nodiscard]] models::Completion stopped_failure(int attempts) const;
  /// Sample i's completion as it ends (answer or last failure): appended to the log, cached
  /// when it is a fresh deterministic answer, counted.
  void record(std::size_t i, models::Completion completion);
  /// Sends sample i's request (again, for a retry) with the harness's submitted/finished stamps.
  void submit(std::size_t i, models::Request request);
  /// One completion from the mailbox: recorded, or queued for its retry.
  void complete(std::size_t i, models::Completion completion);

  const CellRun& run_;
  reports::SampleCounts& counts_;
  std::function<Nanos()> now_;
  std::function<bool()> stop_requested_;
  std::string fingerprint_;
  const models::Capabilities& caps_;
  std::vector<std::string> keys_;
  std::vector<SampleSource> sources_;
  std::vector<std::optional<Pending>> pending_;
  std::priority_queue<Retry, std::vector<Retry>, std::greater<>> retries_;
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t done_ = 0;
  std::size_t errors_ = 0;
  std::size_t input_failures_ = 0;
  std::string first_input_failure_;
  bool cancel_sent_ = false;  ///< backend.cancel() was called (interrupt or fatal failure).
  bool cut_short_ = false;    ///< The stop request left samples unanswered.
};

}  // namespace lmmbench::harness
