#include "harness/run_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "core/text.hpp"
#include "harness/registry.hpp"

namespace lmmbench::harness {

namespace {

/// Keeps the configs whose names were selected, in config order; unknown names are an error.
template <typename Config>
std::vector<const Config*> select(const std::vector<Config>& all,
                                  const std::vector<std::string>& wanted, std::string_view what) {
  std::vector<std::string> names;
  for (const auto& c : all)
    names.push_back(c.name);
  for (const auto& w : wanted) {
    if (std::find(names.begin(), names.end(), w) == names.end()) {
      throw InputError(fmt::format("--{}s: no {} named '{}' in the run config{}; {}s: {}", what,
                                   what, w, did_you_mean(w, names), what, join(names, ", ")));
    }
  }
  std::vector<const Config*> out;
  for (const auto& c : all) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), c.name) != wanted.end()) {
      out.push_back(&c);
    }
  }
  return out;
}

}  // namespace

bool RunPlan::any_judge() const {
  return std::any_of(judges.begin(), judges.end(), [](const auto& j) { return j != nullptr; });
}

bool RunPlan::any_cacheable() const {
  return std::any_of(backends.begin(), backends.end(),
                     [](const auto& b) { return b->capabilities().cache_responses; }) ||
         std::any_of(judges.begin(), judges.end(), [](const auto& j) {
           return j != nullptr && j->backend().capabilities().cache_responses;
         });
}

RunPlan plan_run(const RunOptions& options, const RunConfig& config, const Clock& clock) {
  const auto& registry = Registry::builtin();
  RunPlan plan;
  plan.models = select(config.models, options.models, "model");
  plan.tasks = select(config.tasks, options.tasks, "task");
  plan.concurrency = options.concurrency.value_or(config.concurrency);
  if (plan.concurrency == 0) throw InputError("--concurrency must be at least 1");

  const models::BackendContext context{clock, config.seed};
  for (const auto* model : plan.models)
    plan.backends.push_back(registry.create_backend(*model, context));
  for (const auto* task : plan.tasks) {
    auto& list = plan.task_metrics.emplace_back();
    for (const auto& m : task->metrics) {
      list.push_back(registry.create_metric(m));
      if (list.back()->info().needs_judge && !task->judge) {
        throw InputError(m.where, fmt::format("metric '{}' scores a judge model's verdicts: the "
                                              "task needs a \"judge\" (docs/metrics.md)",
                                              m.name));
      }
    }
    (void)registry.create_loader(task->dataset);
    if (task->calibration) (void)registry.create_loader(*task->calibration);
  }
  // The judges of judge-scored tasks: --rejudge, else the run config's "judge", else the task's.
  std::optional<ModelConfig> judge_override = config.judge;
  if (options.rejudge) {
    judge_override = load_model_config(ConfigNode(JsonSource::from_file(*options.rejudge)));
  }
  plan.judges.resize(plan.tasks.size());
  for (std::size_t t = 0; t < plan.tasks.size(); ++t) {
    if (!plan.tasks[t]->judge) continue;
    const auto& judge = *plan.tasks[t]->judge;
    if (!judge_override && !judge.model) {
      throw InputError(judge.where,
                       "no judge model: name one in \"model\", in the run config's "
                       "\"judge\" or with --rejudge");
    }
    plan.judges[t] =
        std::make_unique<TaskJudge>(judge, judge_override ? *judge_override : *judge.model,
                                    registry, context, config.seed + 1000 + t);
  }
  if (options.rejudge && !plan.any_judge()) {
    throw InputError("--rejudge: no selected task has a judge");
  }
  if (config.prices) plan.prices = PriceTable::load(*config.prices);
  for (std::size_t m = 0; m < plan.models.size(); ++m)
    plan.retry_policies.emplace_back(plan.models[m]->retry, config.seed + m);
  plan.stopped_by.resize(plan.models.size());
  return plan;
}

}  // namespace lmmbench::harness
