#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// Average Normalised Levenshtein Similarity (DocVQA, InfographicVQA), threshold 0.5. For each
/// gold answer g: d = Levenshtein distance, in code points, between ' '.join(x.strip().lower()
/// .split()) of g and of the prediction; NL = d / max(len(g.upper()), len(p.upper())) over the
/// *raw* strings (full Unicode case mapping: 'ß'.upper() == "SS"), 0 when both are empty. The
/// item's score is 1 - min NL, set to 0 below 0.5 (exactly 0.5 is kept), in 0..1; the headline
/// is the mean in percent, broken down by `category` when present.
///
/// Variants:
///  - "lmms-eval" (default): EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/api/metrics.py anls,
///    applied to the prediction stripped (str.strip()) as api/task.py process_results passes it.
///  - "official": the RRC/DocVQA script (copy in QwenLM/Qwen-VL eval_mm/infographicsvqa_eval.py
///    evaluate_method): the same formula on the unstripped prediction.
///
/// A missing prediction is scored as "" (lmms-eval's api/task.py turns a None response into "";
/// the official script rejects a submission without the question) and counted in n_missing.
/// Items need at least one gold answer.
class Anls final : public Metric {
 public:
  enum class Variant { lmms_eval, official };

  explicit Anls(Variant variant = Variant::lmms_eval);
  /// Registry factory; variants: "lmms-eval" (default), "official".
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"lmms-eval", "official"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Thread-safe; reuses per-thread buffers.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// ' '.join(text.strip().lower().split()), the form both sides are compared in.
  static void normalise(std::string_view text, std::string& out);
  /// Levenshtein distance in code points.
  static std::size_t levenshtein(std::string_view a, std::string_view b);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
