#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// Plain (non-circular) multiple-choice accuracy: the option letter is extracted from the
/// prediction and compared with the gold letter (answers[0]). Mean in percent (normal interval),
/// breakdown by `category`. Variants:
///  - "default" (lmmbench's own strict rule, no external reference). On the trimmed prediction, in
///    order:
///      1. the bare letter, optionally as "(B)", "B.", "B)" or "B:";
///      2. a leading "B. ", "B) ", "(B) " or "B: " followed by text;
///      3. a prediction equal (ASCII case-insensitive, one trailing '.' dropped) to exactly one
///         option text.
///    Only letters of existing options count.
///  - "vlmevalkit": open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/multiple_choice.py
///    mcq_vanilla_eval with no judge model (exact matching; AI2D, MMStar, RealWorldQA, ...):
///    the letter is vlmeval/utils/matching_util.py can_infer of the prediction as given
///    (metrics/vlmevalkit_matching.hpp), and report_acc's per-`l2_category` accuracy is added to
///    the breakdown. A refusal ('Z') and a prediction the rule cannot read (VLMEvalKit's judge-less
///    'Z') are unparsed and score 0; `extracted` is "Z" or "".
/// Anything else is unparsed and scores 0 — never a guess. A missing prediction scores 0.
class MultipleChoice final : public Metric {
 public:
  enum class Variant { standard, vlmevalkit };

  explicit MultipleChoice(Variant variant = Variant::standard);
  /// Registry factory; variants "default" and "vlmevalkit"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"default", "vlmevalkit"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The extracted letter ("A"...), or nullopt when the prediction names no option.
  static std::optional<std::string> extract_letter(std::string_view prediction,
                                                   const std::vector<std::string>& options);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
