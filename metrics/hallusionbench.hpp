#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// HallusionBench: yes/no questions grouped by figure and by question pair. aAcc = share of
/// questions right (the headline, percent, normal interval), fAcc = share of figures whose
/// questions are all right, qAcc = share of questions whose versions over all figures are all
/// right; each also per `category` (VD, VS). Input: `category` (VD or VS), the gold in `answers`
/// ("1"/"0" as HallusionBench.json's gt_answer, or "Yes"/"No" as VLMEvalKit's TSV), and fields
/// `subcategory`, `set_id`, `figure_id`, `question_id`, `visual_input` (HallusionBench.json's
/// columns; strings or integers).
///
/// The answer is read by the rule-based path of VLMEvalKit (open-compass/VLMEvalKit@e8e78f0
/// vlmeval/dataset/utils/yorn.py YOrN_Extraction: lower-case, its process_punctuation
/// (vlmeval/smp/misc.py), split on whitespace; "yes" among the words and "no" not -> Yes, the
/// reverse -> No, else Unknown, counted unparsed). The official scorer asks GPT-4 for a
/// correctness code instead (1 correct, 0 incorrect, 2 unclear); here Yes/No equal to the gold
/// is 1, the other one 0, Unknown 2. Variant "judge" takes the code from a judge model instead,
/// as the official evaluation does (below).
///
/// Variants:
///  - "official" (default): tianyi-lab/HallusionBench@744007c utils.py assign_correctness (a VS
///    question without a figure — figure_id 0 — is right when correct *or unclear*: "the model
///    does not know"; every other question only when correct), get_eval_all (aAcc; the key
///    category_subcategory_set_figure_question must be unique), get_eval_pair_all (qAcc, pairs
///    keyed category_subcategory_set_question), get_eval_fig (fAcc, figures keyed
///    category_subcategory_set_figure, VS figure 0 left out), get_eval_pair_easy/hard (metrics
///    `easy_qacc`, `hard_qacc`: the pair accuracy over questions with visual_input != 2 and
///    == 2, the leaderboard's "easy/hard aAcc"). A missing prediction is counted incorrect
///    (code 0), never "unclear".
///  - "vlmevalkit": VLMEvalKit's Hallusion_rating: right iff the read answer equals the gold
///    (Unknown is wrong), fAcc keyed subcategory_set_figure and qAcc keyed
///    subcategory_set_question (without VD/VS: figures and pairs of both categories with equal
///    keys are pooled, as VLMEvalKit does), all figures counted; breakdowns per category and per
///    subcategory.
///  - "judge": the official evaluation end to end: the correctness code of utils.py
///    evaluate_by_chatgpt — the judge (GPT-4 there) is asked judge_request(prompt, question,
///    gt_answer_details, prediction) and its reply read by judge_code — then what "official"
///    does with the code. The reply comes in ScoringItem::judge_replies (the judge stage of
///    `lmmbench run`, parser "hallusionbench"). A missing prediction is code 0 without a reply.
/// All report `average` = (aAcc + fAcc + qAcc) / 3, the OpenVLM leaderboard's number.
/// SampleScore::extracted: "Yes", "No" or "Unknown"; "judge": "correct", "incorrect" or
/// "unclear". Code 2 (Unknown, unclear) is counted unparsed.
class HallusionBench final : public Metric {
 public:
  enum class Variant { official, vlmevalkit, judge };

  explicit HallusionBench(Variant variant = Variant::official);
  /// Registry factory; variants "official" (default), "vlmevalkit" and "judge"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"official", "vlmevalkit", "judge"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError for a gold other than 1/0/yes/no, a missing id field, or (variant
  /// "judge") a prediction without a judge reply.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  /// The official aggregator throws InputError (at finish) for two questions with the same
  /// category_subcategory_set_figure_question key, as get_eval_all asserts.
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// evaluate_by_chatgpt's reading of the judge's reply: 0 when its str.lower() contains
  /// "incorrect", else 1 when it contains "correct", else 2 (unclear).
  [[nodiscard]] static int judge_code(std::string_view reply);

  /// evaluate_by_chatgpt's request: prompt + question + "\nReference answer: " + reference (the
  /// item's gt_answer_details) + "\nPrediction answer:" + prediction + "\nOutput:".
  [[nodiscard]] static std::string judge_request(std::string_view prompt, std::string_view question,
                                                 std::string_view reference,
                                                 std::string_view prediction);

  /// YOrN_Extraction: "Yes", "No" or "Unknown".
  [[nodiscard]] static std::string_view read_yes_no(std::string_view prediction);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
