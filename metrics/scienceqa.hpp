#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// ScienceQA multiple choice as haotian-liu/LLaVA@c121f04 llava/eval/eval_science_qa.py scores it
/// (variant "llava", the only one). The prediction, not stripped, is read as a letter when it is
/// exactly one of "A".."E"; else when it starts with "X. " (X in A..E); else when the pattern
/// `The answer is ([A-Z]).` — '.' being any character but '\n' — matches exactly once
/// (non-overlapping, as re.findall counts). The letter counts only when it names one of the first
/// min(#options, 5) options (the script knows options A-E); anything else, and a missing
/// prediction (the script's 'FAILED'), is wrong. No random fallback.
///
/// Per-sample score 1/0; SampleScore::extracted is the valid letter or "". Unparsed = a prediction
/// that yields no valid letter. The headline is accuracy in percent (normal interval), with a
/// breakdown by `category` and by `image` (all items); `metrics.img_accuracy` is the script's
/// IMG-Accuracy over image questions (`image` true) — which, as in the script, leaves out items
/// with a missing prediction (it learns that a question has an image from the prediction's
/// prompt, 'Unknown' for a missing one). Gold: `answer`, a letter among A..E.
class ScienceQa final : public Metric {
 public:
  ScienceQa();
  /// Registry factory; one variant, "llava"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"llava"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError when the gold answer is not a letter A..E.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The letter eval_science_qa.py reads ('A'..'Z'), before the check against the options;
  /// nullopt for its "FAILED".
  [[nodiscard]] static std::optional<char> read_llava(std::string_view prediction);

 private:
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
