#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// OCRBench (v1, 1,000 questions): one point per question whose normalised gold answer (any of
/// them) is a substring of the normalised prediction; the score is the sum of points (the
/// official "Final Score(Total 1000)"), with the points per category (`category`: OCRBench's
/// question type, e.g. "Scene Text-centric VQA") and per source dataset (`subtask`, e.g.
/// "HME100k"), and the official "Text Recognition (Total 300)" (the six recognition types) as
/// metric `text_recognition`. Gold: `answers`; `subtask` (the dataset name) is required because
/// it picks the rule.
///
/// Variants:
///  - "official" (default): Yuliang-Liu/MultimodalOCR@794c36d OCRBench/example.py (the same block
///    is in every OCRBench/scripts/*.py): for HME100k (handwritten formulas) answer and prediction
///    are str.strip()ped, line breaks made spaces and then every space deleted, case kept; for
///    every other dataset both are lower-cased (Python str.lower), stripped and line breaks made
///    spaces.
///  - "lmms-eval": EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/ocrbench/utils.py
///    ocrbench_process_results: the same, after the prediction is stripped (api/task.py and
///    results[0].strip()) and, outside HME100k, full-width ASCII (U+FF01-U+FF5E) and U+3000 are
///    folded to ASCII in answer and prediction first.
///
/// A missing prediction scores 0 (the official script skips a question without a prediction,
/// which then adds nothing to its total); a prediction that is empty after strip() is counted
/// unparsed (it can only match an empty gold). SampleScore::extracted: the normalised prediction.
class OcrBench final : public Metric {
 public:
  enum class Variant { official, lmms_eval };

  explicit OcrBench(Variant variant = Variant::official);
  /// Registry factory; variants "official" (default) and "lmms-eval"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"official", "lmms-eval"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError for an item without gold answers.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The normalisation of one answer or prediction for dataset `dataset`.
  [[nodiscard]] static std::string normalize(std::string_view text, std::string_view dataset,
                                             Variant variant);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
