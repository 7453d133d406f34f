#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// GQA accuracy: 1 when the processed prediction equals the gold answer, else 0; the headline is
/// the mean in percent, broken down by `category` when present.
///
/// Variants:
///  - "llava" (default): haotian-liu/LLaVA@c121f04 scripts/convert_gqa_for_eval.py makes the
///    prediction `text.rstrip('.').lower()` (no whitespace strip; full Unicode lower-casing), then
///    the official GQA eval.py scores `predicted == gold` with the gold answer as given.
///  - "lmms-eval": EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/api/metrics.py
///    exact_match_hf_evaluate with ignore_case and ignore_punctuation (tasks/gqa/gqa.yaml), on the
///    prediction stripped by api/task.py and the unstripped gold answer. Both go through numpy
///    fixed-width unicode arrays, reproduced here: trailing U+0000 are dropped, and np.char.lower
///    truncates a lower-cased string that grew ('İ' -> "i̇") to the original length in code
///    points; then the 32 ASCII punctuation characters of string.punctuation are deleted.
///
/// A missing prediction is scored as "" (lmms-eval's api/task.py turns a None response into "";
/// GQA eval.py raises on a question without a prediction) and counted in n_missing. Items carry
/// exactly one gold answer.
class GqaAccuracy final : public Metric {
 public:
  enum class Variant { llava, lmms_eval };

  explicit GqaAccuracy(Variant variant = Variant::llava);
  /// Registry factory; variants: "llava" (default), "lmms-eval".
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"llava", "lmms-eval"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The "llava" form of a prediction: text.rstrip('.').lower().
  static std::string llava_prediction(std::string_view text);
  /// The "lmms-eval" form of one string as exact_match_hf_evaluate compares it.
  static std::string lmms_eval_form(std::string_view text);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
