#pragma once

#include <span>
#include <string>
#include <string_view>

/// The answer normalisation of the VQA evaluation code, reproduced step by step (quirks
/// included) without regular expressions:
///  - GT-Vision-Lab/VQA@a013f00 PythonEvaluationTools/vqaEvaluation/vqaEval.py VQAEval
///    processPunctuation / processDigitArticle (identical at a4f1afd);
///  - haotian-liu/LLaVA@c121f04 llava/eval/m4c_evaluator.py EvalAIAnswerProcessor (identical copy
///    in EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/_task_utils/vqa_eval_metric.py).
/// Functions write into a caller-owned `out` (cleared first) so that a caller scoring many items
/// reuses its buffers. All are thread-safe.
namespace lmmbench::metrics::vqa_text {

/// What `\d` matches in the reference's regexes: ASCII [0-9] for the official VQA code, whose
/// runtime is Python 2 (patterns compiled without re.UNICODE); every Unicode decimal digit (Nd)
/// for the Python 3 code (LLaVA, lmms-eval).
enum class Digits { ascii, unicode };

/// The comma test of processPunctuation, searched in the input text.
enum class CommaRule {
  /// Official VQA `(\d)(\,)(\d)`: a digit, one comma, a digit.
  one_between_digits,
  /// EvalAI `(?<=\d)(\,)+(?=\d)`: a digit, a run of commas, a digit.
  run_between_digits,
};

/// The period test of processPunctuation.
enum class PeriodRule {
  /// VQA's `(?!<=\d)(\.)(?!\d)`: the typo never looks behind; a period not followed by a digit.
  not_before_digit,
  /// VLMEvalKit's `(?<!\d)\.(?!\d)`: neither after nor before a digit.
  not_next_to_digit,
};

struct PunctuationRules {
  Digits digits = Digits::ascii;
  CommaRule comma = CommaRule::one_between_digits;
  PeriodRule period = PeriodRule::not_before_digit;
};

/// The official VQA rules (Python 2 `\d`).
inline constexpr PunctuationRules kOfficialRules{Digits::ascii, CommaRule::one_between_digits};
/// EvalAIAnswerProcessor's rules under Python 3.
inline constexpr PunctuationRules kEvalAiRules{Digits::unicode, CommaRule::run_between_digits};
/// open-compass/VLMEvalKit@e8e78f0 vlmeval/smp/misc.py process_punctuation (Python 3): the VQA
/// code with the period lookbehind written correctly.
inline constexpr PunctuationRules kVlmEvalKitRules{Digits::unicode, CommaRule::one_between_digits,
                                                   PeriodRule::not_next_to_digit};

/// processPunctuation: each of the 21 characters ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? ! is
/// deleted when it occurs next to a space anywhere in `in` (p + " " or " " + p) or when the comma
/// rule matches anywhere in `in`, and replaced by a space otherwise. Then PERIOD_STRIP
/// `(?!<=\d)(\.)(?!\d)` deletes periods not followed by a digit: the `(?!<=` typo makes the first
/// group a lookahead that never matches, and re.UNICODE (32) passed as `count` stops after 32
/// deletions (PeriodRule::not_next_to_digit also keeps a period that follows a digit).
void process_punctuation(std::string_view in, PunctuationRules rules, std::string& out);

/// processDigitArticle: str.lower(), str.split(), number words "none", "zero" ... "ten" -> "0" ...
/// "10", articles "a", "an", "the" dropped, then the contractions table ("dont" -> "don't", ...),
/// joined with single spaces.
void process_digit_article(std::string_view in, std::string& out);

/// EvalAIAnswerProcessor.__call__: word_tokenize (lower, delete ',' and '?', "'s" -> " 's",
/// strip), '\n'/'\t' -> ' ' and strip, then process_punctuation (kEvalAiRules) and
/// process_digit_article.
void evalai_process(std::string_view in, std::string& out);

/// s.replace('\n', ' ').replace('\t', ' ').strip() — how evaluate() cleans every answer first.
void clean_whitespace(std::string_view in, std::string& out);

/// How the per-answer accuracies are averaged.
enum class Averaging {
  /// float(sum(acc)) / len(acc): summed in order (VQAEval.evaluate, LLaVA's
  /// TextVQAAccuracyEvaluator).
  sequential,
  /// statistics.mean(acc): the exact mean, correctly rounded (lmms-eval vqav2_process_results).
  exact,
};

/// The VQA accuracy of `prediction` against human answers compared by equality: for each answer
/// i, min(1, |{j != i : answers[j] == prediction}| / 3) in double (k / 3.0), averaged over i.
/// Both averagings reproduce the reference bit for bit. 0 for no answers.
[[nodiscard]] double leave_one_out_accuracy(std::span<const std::string> answers,
                                            std::string_view prediction,
                                            Averaging averaging = Averaging::sequential);

}  // namespace lmmbench::metrics::vqa_text
