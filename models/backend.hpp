#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/json_source.hpp"
#include "datasets/sample.hpp"
#include "models/completion.hpp"
#include "models/request.hpp"

namespace lmmbench::models {

/// What a backend can do, asked before a task runs (CUTLASS's can_implement): a request that
/// exceeds it is recorded as "unsupported", not sent.
struct Capabilities {
  std::size_t max_images_per_request = 0;  ///< 0 = text only.
  std::size_t max_image_bytes = 0;         ///< 0 = no limit.
  int max_image_side = 0;                  ///< Pixels; 0 = no limit.
  /// Image encodings the backend takes ("image/png", "image/jpeg", ...); empty = any. The harness
  /// re-encodes an image to fit these three limits, or records the request as unsupported.
  std::vector<std::string> image_mime_types;
  bool streaming = false;      ///< Reports first-token and token-event timestamps.
  bool reports_usage = false;  ///< Fills TokenUsage.
  /// Needs the task's gold data (TaskData) before answering: true only for the baselines that are
  /// defined by it (oracle, prior, random-choice).
  bool uses_task_data = false;
  /// Answers cost time or money (a remote model): the harness may serve deterministic requests
  /// from its response cache instead of asking again. Baselines leave it false.
  bool cache_responses = false;
  /// submit() may be called from inside this backend's completion callback, on the thread that
  /// runs it (the harness still never calls submit() concurrently). Then the backend holds no
  /// lock of its own while a callback runs that submit() takes, and submit() never waits for
  /// the thread that delivers completions (it would wait for itself). The closed loop of
  /// `lmmbench perf` then sends the next request from the callback that freed its slot, as wrk
  /// does, instead of waking the harness thread for every request. Set only by a backend whose
  /// submit and callback paths were audited for it (HttpBackend); false keeps every submit on
  /// the harness thread.
  bool submit_from_callback = false;
};

/// The task's data, lent to backends before the task's first request. Real models ignore it;
/// baselines are defined by it (oracle answers from `samples`, prior learns from `calibration`).
/// The spans stay valid until the last completion of the task has been delivered.
struct TaskData {
  std::string task;
  std::span<const datasets::Sample> samples;  ///< Every sample the task may ask about.
  std::span<const datasets::Sample>
      calibration;  ///< Calibration split; empty when the task has none.
};

/// Called exactly once per submitted request.
using CompletionCallback = std::function<void(Completion)>;

/// What one replica of a model served by several did (HTTP "base_url" lists), counted since the
/// backend was made.
struct ReplicaUse {
  std::string base_url;
  std::size_t requests = 0;             ///< Sent to it.
  std::size_t answered = 0;             ///< Got a reply (any HTTP status).
  std::size_t connection_failures = 0;  ///< Took it out for a back-off.
  double latency_sum_s = 0;             ///< Over the answered requests, submit to reply.
};

/// What each replica did between two readings of Backend::replica_use (a cell of a run, a level
/// of `lmmbench perf`): `after` less `before`, replica by replica (a replica missing from
/// `before` counts from zero).
[[nodiscard]] inline std::vector<ReplicaUse> replica_use_since(
    const std::vector<ReplicaUse>& before, const std::vector<ReplicaUse>& after) {
  std::vector<ReplicaUse> out;
  for (std::size_t i = 0; i < after.size(); ++i) {
    const ReplicaUse start = i < before.size() ? before[i] : ReplicaUse{};
    out.push_back({after[i].base_url, after[i].requests - start.requests,
                   after[i].answered - start.answered,
                   after[i].connection_failures - start.connection_failures,
                   after[i].latency_sum_s - start.latency_sum_s});
  }
  return out;
}

/// A model behind one interface (MLPerf LoadGen's system under test). The harness owns the clock,
/// the schedule, timeouts between requests and retries of whole requests; a backend only does the
/// work and reports each completion through the callback.
///
/// Threading: prepare() and submit() are called from one harness thread at a time, never
/// concurrently. The callback may be invoked on any thread, at most once per request, possibly
/// before submit() returns (on the submitting thread); it is cheap and thread-safe. Only when
/// the backend states Capabilities::submit_from_callback may the harness call submit() from
/// inside a callback, on the thread that runs it (still one submit at a time, and never from a
/// callback delivered inside submit()); otherwise every submit() comes from the harness thread.
/// The harness destroys a backend only after every callback has returned.
class Backend {
 public:
  virtual ~Backend() = default;

  [[nodiscard]] virtual const Capabilities& capabilities() const = 0;
  /// A stable description of everything that decides this backend's outputs (kind, model id,
  /// options that change answers; never secrets). Part of the prediction-log key.
  [[nodiscard]] virtual std::string fingerprint() const = 0;
  /// Called before the first request of a task. Throws InputError when the backend cannot serve
  /// the task at all (the harness records the cell as "unsupported").
  virtual void prepare(const TaskData& task) { (void)task; }
  /// The model id to look up in the price table (configs/prices.json) for the run's API cost;
  /// empty when the backend is not billed per token.
  [[nodiscard]] virtual std::string pricing_model() const { return {}; }
  /// Starts answering `request`; `done` receives the completion. Never throws for a single
  /// request's failure: that is a Completion with an error kind.
  virtual void submit(Request request, CompletionCallback done) = 0;
  /// Ends, soon, every request submitted so far that has not completed: each still gets its one
  /// completion, with ErrorKind::cancelled unless it completed first. Thread-safe; later submits
  /// are served as usual. The harness calls it when the run is interrupted or the backend is
  /// stopped by a fatal failure. Backends whose requests end by themselves need not override it.
  virtual void cancel() {}
  /// Per replica, for a backend that spreads requests over several servers; empty otherwise.
  /// Thread-safe.
  [[nodiscard]] virtual std::vector<ReplicaUse> replica_use() const { return {}; }
};

/// What a backend factory receives besides its options.
struct BackendContext {
  const Clock& clock;
  std::uint64_t run_seed = 0;  ///< The run config's seed, for seeded baselines.
};

/// Registry factory: reads the backend's options from `options` (the model config's "options"
/// object) and must call options.finish() so unknown keys are rejected.
using BackendFactory = std::unique_ptr<Backend> (*)(ObjectReader& options,
                                                    const BackendContext& context);

}  // namespace lmmbench::models
