#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// VQAv2 / VizWiz / OK-VQA accuracy: the prediction against the human answers (normally 10),
/// per item the mean over answers i of min(1, #{j != i : answer j == prediction} / 3), in 0..1.
/// The headline is the mean in percent, broken down by `answer_type` and `question_type`
/// (unrounded; the official code prints both rounded to 2 decimals).
///
/// Variants (how prediction and answers are normalised before the comparison):
///  - "official" (default): GT-Vision-Lab/VQA@a013f00 PythonEvaluationTools/vqaEvaluation/
///    vqaEval.py VQAEval.evaluate, with Python 2's ASCII-only `\d`. Every answer and the
///    prediction get '\n'/'\t' -> ' ' and strip(); only when the answers are then not all
///    identical are both sides normalised (processPunctuation, processDigitArticle), so "Two"
///    against ten "2" scores 0.
///  - "official-2017": the same file at a4f1afd: the prediction is always fully normalised, the
///    raw answers only punctuation-processed, and only when they disagree.
///  - "lmms-eval": EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/vqav2/utils.py
///    vqav2_process_results: both sides always cleaned and fully normalised with the EvalAI
///    punctuation rules under Python 3 (Unicode `\d`, comma runs).
///  - "lmms-eval-okvqa": the same checkout's lmms_eval/tasks/ok_vqa/utils.py
///    ok_vqa_process_results (task ok_vqa_val2014): EvalAIAnswerProcessor() on both sides —
///    word_tokenize first (lower, ',' and '?' deleted, "'s" -> " 's"), then the EvalAI
///    punctuation, digit and article rules; statistics.mean over the answers.
///
/// A missing prediction is scored as the empty answer "" (what LLaVA's
/// scripts/convert_vqav2_for_submission.py submits for an unanswered question, and what lmms-eval's
/// api/task.py substitutes for a None response; the official loadRes refuses a result file that
/// lacks a question) and counted in n_missing. Items need at least one answer.
class VqaAccuracy final : public Metric {
 public:
  enum class Variant { official, official_2017, lmms_eval, lmms_eval_okvqa };

  explicit VqaAccuracy(Variant variant = Variant::official);
  /// Registry factory; variants: "official" (default), "official-2017", "lmms-eval",
  /// "lmms-eval-okvqa".
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() {
    return {"official", "official-2017", "lmms-eval", "lmms-eval-okvqa"};
  }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Thread-safe; reuses per-thread buffers.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
