#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// TextVQA accuracy as LLaVA computes it: haotian-liu/LLaVA@c121f04 llava/eval/m4c_evaluator.py
/// TextVQAAccuracyEvaluator.eval_pred_list. The prediction and each of the 10 human answers go
/// through EvalAIAnswerProcessor (lower-case, delete ',' and '?', "'s" -> " 's", punctuation with
/// the upstream regex quirks, number words, articles, contractions; Python 3 Unicode `\d`); the
/// item's score is the leave-one-out soft score of the processed prediction, in 0..1. The
/// headline is the mean in percent, broken down by `category` when present.
///
/// The reference asserts exactly 10 answers per question; other counts are an InputError. A
/// missing prediction is scored as the empty answer "" and counted in n_missing (eval_textvqa.py
/// itself only averages over the questions that have a result line).
class TextVqaAccuracy final : public Metric {
 public:
  TextVqaAccuracy();
  /// Registry factory; one variant, "llava".
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"llava"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Thread-safe; reuses per-thread buffers.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

 private:
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
