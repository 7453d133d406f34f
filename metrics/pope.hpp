#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// POPE (object-hallucination yes/no questions): accuracy, precision, recall, F1 and yes-ratio per
/// split (`category`: adversarial, popular, random) and over all items pooled (`all`), in percent;
/// the headline `score` is the mean F1 of the splits present, as the LLaVA-1.5 paper reports it
/// (F1 of `all` when no item names a split). Gold data: `label`, "yes" or "no".
///
/// Variants (the answer read from a prediction is SampleScore::extracted):
///  - "llava" (default): haotian-liu/LLaVA@c121f04 llava/eval/eval_pope.py eval_pope. The text is
///    cut at its first '.', commas are deleted, it is split on single spaces, and the answer is
///    "no" iff a token is exactly "No", "no" or "not", otherwise "yes" — so "NO", "Nope",
///    "No\nThere..." and "" read "yes". The yes-ratio is the share of *predicted* yes. Precision,
///    recall or F1 whose denominator is 0 (eval_pope raises ZeroDivisionError) are NaN.
///  - "lmms-eval": EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/pope/utils.py
///    pope_process_results + pope_aggregate_*: the whole prediction, stripped (Python str.strip)
///    and lower-cased, must be "yes" or "no"; anything else is neither a positive nor a negative
///    prediction (it only lowers accuracy). Zero denominators give 0. The yes-ratio is the share of
///    *gold* yes.
///
/// Per-sample score: 1 when the answer read equals the label, else 0. A missing prediction is read
/// as the empty text (LLaVA: "yes"; lmms-eval: api/task.py turns None into "", which is neither)
/// and counted in n_missing. Unparsed (counted, scored as the reference scores them): llava — the
/// first sentence holds neither a "no" token nor a "Yes"/"yes" token, so "yes" is the reference's
/// default; lmms-eval — the answer is not exactly yes/no. The interval of `score` is a seeded
/// bootstrap over items.
class Pope final : public Metric {
 public:
  enum class Variant { llava, lmms_eval };

  explicit Pope(Variant variant = Variant::llava);
  /// Registry factory; variants "llava" (default) and "lmms-eval"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"llava", "lmms-eval"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError when the label is not "yes"/"no".
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// LLaVA's reading of `text`: "yes" or "no", and whether the first sentence said so explicitly.
  struct LlavaAnswer {
    bool yes = true;
    bool explicit_answer = false;
  };
  [[nodiscard]] static LlavaAnswer read_llava(std::string_view text);

  /// lmms-eval's reading: text.strip().lower().strip() (Python semantics); the prediction counts
  /// only when this is "yes" or "no".
  [[nodiscard]] static std::string read_lmms_eval(std::string_view text);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
