#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "harness/config.hpp"
#include "harness/judge.hpp"
#include "harness/prices.hpp"
#include "harness/retry.hpp"
#include "harness/runner.hpp"
#include "metrics/metric.hpp"
#include "models/backend.hpp"

namespace lmmbench::harness {

/// Everything `lmmbench run` creates from its configs before it does any work, so that a typo in
/// a model option or an unknown metric fails at once rather than after an hour of inference. The
/// per-model vectors follow `models`, the per-task ones `tasks`.
struct RunPlan {
  std::vector<const ModelConfig*> models;  ///< Selected (--models), in config order.
  std::vector<const TaskConfig*> tasks;    ///< Selected (--tasks), in config order.
  std::size_t concurrency = 1;             ///< --concurrency, else the config's.
  std::vector<std::unique_ptr<models::Backend>> backends;
  /// Each task's metrics; moved into its LoadedTask when the task runs.
  std::vector<std::vector<std::unique_ptr<metrics::Metric>>> task_metrics;
  /// Each judge-scored task's judge (--rejudge, else the run config's "judge", else the task's);
  /// null for the others.
  std::vector<std::unique_ptr<TaskJudge>> judges;
  std::optional<PriceTable> prices;  ///< The config's "prices".
  /// One retry policy per model: its run budget is shared by all of the model's cells.
  std::vector<RetryPolicy> retry_policies;
  /// Per model: the fatal failure that stopped its backend, for all of its later cells.
  std::vector<std::optional<models::Completion>> stopped_by;

  [[nodiscard]] bool any_judge() const;
  /// Some backend (a model's or a judge's) wants the response cache.
  [[nodiscard]] bool any_cacheable() const;
};

/// Selects the models and tasks of `options` from `config` and creates every backend, metric,
/// loader (to check its options), judge, the price table and the retry policies; backends get
/// `clock`, which must outlive them. Throws InputError naming what is wrong: an unknown --models
/// or --tasks name, --concurrency 0, a bad backend/metric/loader configuration, a judge-scored
/// metric on a task without a judge, a judge without a model, --rejudge with no judged task.
RunPlan plan_run(const RunOptions& options, const RunConfig& config, const Clock& clock);

}  // namespace lmmbench::harness
