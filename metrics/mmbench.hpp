#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// MMBench CircularEval without a judge: the items sharing a `group` are the option-rotated copies
/// of one question, and the question counts as right only when every copy's extracted letter is
/// that copy's gold `answer`. `score` = circular accuracy over groups, in percent (seeded
/// bootstrap over groups); breakdown by `category` and by `l2_category` (of a group's first item,
/// as report_acc and eval_result report both) with the number of groups as n; metrics.groups = the
/// number of groups. n, n_missing and n_unparsed count items.
///
/// Variants (the letter read per copy is SampleScore::extracted, "" when none; a copy's score is
/// 1 when it is the gold letter):
///  - "lmms-eval" (default): EvolvingLMMs-Lab/lmms-eval@75571cf
///    lmms_eval/tasks/mmbench/mmbench_evals.py MMBench_Evaluator.eval_result(..., "static"), as the
///    mmbench_en_dev_static task runs it. The prediction is stripped (Python str.strip). Choices
///    are A-D, an absent option being the text "nan" (mmbench_process_results' placeholder), and
///    the letter is found by, in turn:
///      1. can_infer_option (the original MMBench rule; letters A-E): exactly one of A-E is a
///         whitespace-separated token — unless "A" is a token of a prediction of more than 3 tokens
///         (an article, so "B. A glass" reads A) — or exactly one letter carries one of the
///         affixes "X." "X," "X:" "X)" "X)." "(X)" "(X)." ":X" ":X," ":X." ":X)" ":X)."; a
///         prediction containing "Failed to obtain answer via API" reads nothing here;
///      2. can_infer_text: exactly one lower-cased option text (including "nan") is a substring
///         of the lower-cased prediction;
///      3. tasks/_task_utils/mcq_extract.py extract_mcq_answer: the best-ranked of "(X)", "X.",
///         "X:", "X)", "X ", the letter after an answer phrase ("the answer is", "答案是", ...),
///         a leading or trailing standalone letter, and, when none of these occurs, the last
///         occurrence of any choice letter.
///    A copy left without a letter is unparsed and wrong — no judge, no random letter.
///  - "vlmevalkit": open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/multiple_choice.py
///    prefetch_circular_group / mcq_circular_eval with no judge model (vlmeval/utils/
///    matching_util.py can_infer, metrics/vlmevalkit_matching.hpp): choices are the given options;
///    can_infer_option replaces
///    ".()[],:;!*#{}" by spaces, reads a refusal ("Sorry, I can't help with images of people yet.",
///    ...) as "Z" (wrong), takes the single choice letter present as a token if its first
///    occurrence is among the last 4 tokens, a lone "Z" token as "Z", else the regex
///    `(?i)(?:correct\s+)?answer\s+is\s+\**([ABCD])\**`; then can_infer_text (exactly one
///    option text in the lower-cased prediction, unless the prediction is longer than twice the
///    options' total length). A group with an unresolved copy scores 0 (VLMEvalKit's
///    exact-matching mode).
///
/// A missing prediction is read as the empty text (unparsed unless an option text is empty) and
/// counted in n_missing.
class MmBench final : public Metric {
 public:
  enum class Variant { lmms_eval, vlmevalkit };

  explicit MmBench(Variant variant = Variant::lmms_eval);
  /// Registry factory; variants "lmms-eval" (default) and "vlmevalkit"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"lmms-eval", "vlmevalkit"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError when the gold answer is not a single letter A-Z.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The letter the variant reads from `prediction` for a question with these option texts
  /// (option A first); nullopt when none. VLMEvalKit's refusal reads 'Z'.
  [[nodiscard]] std::optional<char> read(std::string_view prediction,
                                         const std::vector<std::string>& options) const;

  /// lmms-eval MMBench_Evaluator.can_infer_option(answer) (num_choice 5: letters A-E).
  [[nodiscard]] static std::optional<char> lmms_can_infer_option(std::string_view answer);
  /// lmms-eval MMBench_Evaluator.can_infer_text(answer, choices) for the texts of A, B, ...
  [[nodiscard]] static std::optional<char> lmms_can_infer_text(
      std::string_view answer, const std::vector<std::string>& choices);
  /// lmms-eval extract_mcq_answer(response, choices) for the letters in `letters`.
  [[nodiscard]] static std::optional<char> lmms_extract_mcq_answer(std::string_view response,
                                                                   std::string_view letters);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
