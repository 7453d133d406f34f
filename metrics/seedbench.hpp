#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// SEED-Bench multiple choice: accuracy in percent (normal interval), broken down by `category`
/// and `question_type`. Gold: `answer`, the option letter.
///
/// Variants:
///  - "llava" (default): haotian-liu/LLaVA@c121f04 scripts/convert_seed_for_submission.py
///    eval_single: right iff the prediction equals the gold letter exactly (no strip, no case
///    folding). A missing prediction is wrong (eval_single counts the question, not a hit).
///    Unparsed: a prediction that is not exactly one of the option letters.
///  - "lmms-eval": EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/seedbench/utils.py
///    seed_process_result + seed_aggregation_result: the stripped prediction's first character
///    (Python str semantics), compared case-insensitively — "The answer is A" reads "T", "a" is
///    right for gold "A". A missing prediction is "" (api/task.py), wrong. Unparsed: the character
///    read is not an option letter in either case.
///
/// SampleScore::extracted: llava — the prediction when it is an option letter, else ""; lmms-eval —
/// the character read.
class SeedBench final : public Metric {
 public:
  enum class Variant { llava, lmms_eval };

  explicit SeedBench(Variant variant = Variant::llava);
  /// Registry factory; variants "llava" (default) and "lmms-eval"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"llava", "lmms-eval"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError when the gold answer is not the letter of one of the options.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// seed_process_result's reading: the first character of the stripped prediction ("" if none).
  [[nodiscard]] static std::string read_lmms_eval(std::string_view prediction);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
