#include "metrics/vqa.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

MetricInfo make_info(VqaAccuracy::Variant variant) {
  switch (variant) {
    case VqaAccuracy::Variant::official_2017:
      return {"vqa",
              "official-2017",
              "GT-Vision-Lab/VQA@a4f1afd PythonEvaluationTools/vqaEvaluation/vqaEval.py "
              "VQAEval.evaluate",
              "VQA accuracy, 2017 official code: prediction always normalised, answers only "
              "punctuation-processed and only when they disagree (Python 2 \\d)",
              {"answers"}};
    case VqaAccuracy::Variant::lmms_eval:
      return {
          "vqa",
          "lmms-eval",
          "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/vqav2/utils.py vqav2_process_results",
          "VQA accuracy as lmms-eval computes it: prediction and answers always normalised "
          "(EvalAI punctuation rules, Python 3 \\d)",
          {"answers"}};
    case VqaAccuracy::Variant::lmms_eval_okvqa:
      return {"vqa",
              "lmms-eval-okvqa",
              "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/ok_vqa/utils.py "
              "ok_vqa_process_results",
              "VQA accuracy as lmms-eval's ok_vqa task computes it: EvalAIAnswerProcessor "
              "(word_tokenize, punctuation, digits and articles) on prediction and answers",
              {"answers"}};
    case VqaAccuracy::Variant::official:
      break;
  }
  return {
      "vqa",
      "official",
      "GT-Vision-Lab/VQA@a013f00 PythonEvaluationTools/vqaEvaluation/vqaEval.py VQAEval.evaluate",
      "VQA accuracy, official code: normalisation only when the human answers disagree "
      "(Python 2 \\d); mean of min(1, matches/3) over leave-one-out answer sets",
      {"answers"}};
}

/// Buffers reused across items on one thread.
struct Workspace {
  std::vector<std::string> answers;
  std::string prediction;
  std::string scratch;
};

/// processPunctuation then processDigitArticle, in place.
void normalise(std::string& text, vqa_text::PunctuationRules rules, std::string& scratch) {
  vqa_text::process_punctuation(text, rules, scratch);
  vqa_text::process_digit_article(scratch, text);
}

bool all_identical(const std::vector<std::string>& answers) {
  for (const auto& a : answers) {
    if (a != answers.front()) return false;
  }
  return true;
}

}  // namespace

VqaAccuracy::VqaAccuracy(Variant variant) : variant_(variant), info_(make_info(variant)) {}

SampleScore VqaAccuracy::score(const ScoringItem& item) const {
  if (item.answers.empty()) {
    throw InputError(fmt::format("vqa: item '{}' has no answers", item.id));
  }
  thread_local Workspace ws;
  const std::string_view prediction = item.prediction ? std::string_view(*item.prediction) : "";
  ws.answers.resize(item.answers.size());
  vqa_text::clean_whitespace(prediction, ws.prediction);

  switch (variant_) {
    case Variant::official:
      for (std::size_t i = 0; i < item.answers.size(); ++i) {
        vqa_text::clean_whitespace(item.answers[i], ws.answers[i]);
      }
      if (!all_identical(ws.answers)) {
        for (auto& a : ws.answers)
          normalise(a, vqa_text::kOfficialRules, ws.scratch);
        normalise(ws.prediction, vqa_text::kOfficialRules, ws.scratch);
      }
      break;
    case Variant::official_2017:
      normalise(ws.prediction, vqa_text::kOfficialRules, ws.scratch);
      for (std::size_t i = 0; i < item.answers.size(); ++i)
        ws.answers[i] = item.answers[i];
      if (!all_identical(ws.answers)) {
        for (std::size_t i = 0; i < item.answers.size(); ++i) {
          vqa_text::process_punctuation(item.answers[i], vqa_text::kOfficialRules, ws.answers[i]);
        }
      }
      break;
    case Variant::lmms_eval:
      // api/task.py strips the response first; clean_whitespace's strip makes that a no-op.
      for (std::size_t i = 0; i < item.answers.size(); ++i) {
        vqa_text::clean_whitespace(item.answers[i], ws.answers[i]);
        normalise(ws.answers[i], vqa_text::kEvalAiRules, ws.scratch);
      }
      normalise(ws.prediction, vqa_text::kEvalAiRules, ws.scratch);
      break;
    case Variant::lmms_eval_okvqa:
      // EvalAIAnswerProcessor() called on every answer and on the response (which it strips).
      for (std::size_t i = 0; i < item.answers.size(); ++i)
        vqa_text::evalai_process(item.answers[i], ws.answers[i]);
      vqa_text::evalai_process(prediction, ws.prediction);
      break;
  }
  const auto averaging = variant_ == Variant::lmms_eval || variant_ == Variant::lmms_eval_okvqa
                             ? vqa_text::Averaging::exact
                             : vqa_text::Averaging::sequential;
  return SampleScore{vqa_text::leave_one_out_accuracy(ws.answers, ws.prediction, averaging),
                     item.prediction ? ParseStatus::parsed : ParseStatus::missing, ws.prediction};
}

std::unique_ptr<Metric> VqaAccuracy::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  const std::string chosen = select_variant("vqa", variant, variants());
  if (chosen == "official-2017") return std::make_unique<VqaAccuracy>(Variant::official_2017);
  if (chosen == "lmms-eval") return std::make_unique<VqaAccuracy>(Variant::lmms_eval);
  if (chosen == "lmms-eval-okvqa") return std::make_unique<VqaAccuracy>(Variant::lmms_eval_okvqa);
  return std::make_unique<VqaAccuracy>(Variant::official);
}

std::unique_ptr<Aggregator> VqaAccuracy::aggregator() const {
  return std::make_unique<MeanAggregator>(info_,
                                          std::vector<std::string>{"answer_type", "question_type"});
}

}  // namespace lmmbench::metrics
