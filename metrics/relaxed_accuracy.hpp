#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// ChartQA relaxed accuracy (5 %): EvolvingLMMs-Lab/lmms-eval@75571cf
/// lmms_eval/tasks/chartqa/utils.py chartqa_process_results -> relaxed_correctness. Both the
/// prediction and the gold answer are read with Python's float() (a trailing '%' is stripped,
/// all of them, and the value divided by 100); when both parse and the gold value is truthy
/// (non-zero; NaN counts as truthy) the item is right iff |p - t| / |t| <= 0.05 in double
/// arithmetic (gold 0.3, prediction 0.315 gives 0.05000000000000004: wrong); otherwise iff
/// p.lower() == t.lower(). Score 0 or 1; the headline is the mean in percent, broken down by
/// `category` (lmms-eval's doc["type"]: human_test / augmented_test).
///
/// Variants:
///  - "lmms-eval" (default): the prediction is passed unchanged (whitespace kept).
///  - "lmms-eval-stripped": the prediction is str.strip()-ed first, as lmms-eval's api/task.py
///    ConfigurableTask.process_results does (since v0.2.0) before calling chartqa_process_results.
///
/// A missing prediction is scored as "" and counted in n_missing.
class RelaxedAccuracy final : public Metric {
 public:
  explicit RelaxedAccuracy(bool strip_prediction = false);
  /// Registry factory; variants: "lmms-eval" (default), "lmms-eval-stripped".
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"lmms-eval", "lmms-eval-stripped"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// relaxed_correctness(prediction, target) with max_relative_change 0.05.
  static bool relaxed_correctness(std::string_view prediction, std::string_view target);
  /// relaxed_correctness's _to_float: float(text.rstrip('%')) / 100 for a trailing '%', else
  /// float(text); nullopt where float() raises.
  static std::optional<double> to_float(std::string_view text);

 private:
  bool strip_prediction_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
