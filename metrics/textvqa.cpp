#include "metrics/textvqa.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

/// `assert len(answers) == 10` in TextVQAAccuracyEvaluator._compute_answer_scores.
constexpr std::size_t kAnswersPerQuestion = 10;

}  // namespace

TextVqaAccuracy::TextVqaAccuracy()
    : info_{"textvqa",
            "llava",
            "haotian-liu/LLaVA@c121f04 llava/eval/m4c_evaluator.py "
            "TextVQAAccuracyEvaluator.eval_pred_list",
            "TextVQA accuracy: EvalAI answer processing of prediction and 10 human answers, "
            "mean of min(1, matches/3) over leave-one-out answer sets",
            {"answers"}} {}

SampleScore TextVqaAccuracy::score(const ScoringItem& item) const {
  if (item.answers.size() != kAnswersPerQuestion) {
    throw InputError(
        fmt::format("textvqa: item '{}' has {} answers; the reference requires exactly {}", item.id,
                    item.answers.size(), kAnswersPerQuestion));
  }
  thread_local std::vector<std::string> answers;
  answers.resize(item.answers.size());
  for (std::size_t i = 0; i < answers.size(); ++i)
    vqa_text::evalai_process(item.answers[i], answers[i]);
  SampleScore s{0.0, item.prediction ? ParseStatus::parsed : ParseStatus::missing, {}};
  vqa_text::evalai_process(item.prediction ? std::string_view(*item.prediction) : "", s.extracted);
  s.score = vqa_text::leave_one_out_accuracy(answers, s.extracted);
  return s;
}

std::unique_ptr<Metric> TextVqaAccuracy::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  select_variant("textvqa", variant, variants());
  return std::make_unique<TextVqaAccuracy>();
}

std::unique_ptr<Aggregator> TextVqaAccuracy::aggregator() const {
  return std::make_unique<MeanAggregator>(info_);
}

}  // namespace lmmbench::metrics
