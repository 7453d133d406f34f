#include "metrics/relaxed_accuracy.hpp"

#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

/// relaxed_correctness's default max_relative_change.
constexpr double kMaxRelativeChange = 0.05;

}  // namespace

RelaxedAccuracy::RelaxedAccuracy(bool strip_prediction)
    : strip_prediction_(strip_prediction),
      info_{"relaxed_accuracy",
            strip_prediction ? "lmms-eval-stripped" : "lmms-eval",
            std::string("EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/chartqa/utils.py "
                        "chartqa_process_results -> relaxed_correctness") +
                (strip_prediction ? " (prediction stripped as api/task.py process_results)" : ""),
            "ChartQA relaxed accuracy: within 5 % of a non-zero numeric gold answer, else "
            "case-insensitive string equality",
            {"answer"}} {}

std::optional<double> RelaxedAccuracy::to_float(std::string_view text) {
  if (text.ends_with('%')) {
    const auto value = pystr::to_float(pystr::rstrip_char(text, '%'));
    if (!value) return std::nullopt;
    return *value / 100.0;
  }
  return pystr::to_float(text);
}

bool RelaxedAccuracy::relaxed_correctness(std::string_view prediction, std::string_view target) {
  const auto p = to_float(prediction);
  const auto t = to_float(target);
  // `if prediction_float is not None and target_float:` — NaN is truthy, 0.0 and -0.0 are not.
  if (p && t && *t != 0.0) return std::fabs(*p - *t) / std::fabs(*t) <= kMaxRelativeChange;
  return pystr::lower(prediction) == pystr::lower(target);
}

SampleScore RelaxedAccuracy::score(const ScoringItem& item) const {
  if (item.answers.size() != 1) {
    throw InputError(
        fmt::format("relaxed_accuracy: item '{}' has {} gold answers; expected exactly one",
                    item.id, item.answers.size()));
  }
  std::string_view prediction = item.prediction ? std::string_view(*item.prediction) : "";
  if (strip_prediction_) prediction = pystr::strip(prediction);
  return SampleScore{relaxed_correctness(prediction, item.answers.front()) ? 1.0 : 0.0,
                     item.prediction ? ParseStatus::parsed : ParseStatus::missing,
                     std::string(prediction)};
}

std::unique_ptr<Metric> RelaxedAccuracy::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<RelaxedAccuracy>(
      select_variant("relaxed_accuracy", variant, variants()) == "lmms-eval-stripped");
}

std::unique_ptr<Aggregator> RelaxedAccuracy::aggregator() const {
  return std::make_unique<MeanAggregator>(info_);
}

}  // namespace lmmbench::metrics
