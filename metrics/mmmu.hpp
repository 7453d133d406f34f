#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// MMMU (validation): accuracy in percent, overall and per discipline and subject, as
/// MMMU-Benchmark/MMMU@bb0b95a mmmu/utils/eval_utils.py scores it: a multiple-choice answer is read
/// by parse_multi_choice_response and right iff it is the gold letter (eval_multi_choice); an open
/// answer is read by parse_open_response into strings and numbers and right iff a number equals
/// a normalised gold number or a normalised gold string is inside a string (eval_open). The
/// subject is the official "_".join(id.split("_")[1:-1]) ("validation_Art_Theory_3" ->
/// "Art_Theory"), the discipline that subject's entry of mmmu/utils/data_utils.py
/// DOMAIN_CAT2SUB_CAT; the official instance-level accuracies are plain means, so the breakdowns
/// "discipline", "subject" and "question_type" are MeanAggregator's.
///
/// Input: `question_type` ("multiple-choice", anything else is open, as main_parse_and_eval.py),
/// `options` (multiple choice: option A first) and the gold in `answers`: the letter, or the open
/// answer(s). One gold written as a Python list literal (lmms-lab/MMMU's answer column stores the
/// three list golds of answer_dict_val.json as their repr, e.g. "['24/7', '3.429']") is read as
/// that list.
///
/// Variants:
///  - "official" (default): the official parsers, except that a multiple-choice answer in which
///    parse_multi_choice_response finds no candidate is unparsed and wrong (the official code
///    draws a random letter there). Open answers are always parsed (the official parser always
///    returns a list); one that is empty after str.strip() is counted unparsed (it scores 0).
///  - "random-fallback": the official fallback, seeded per item so that a score does not depend
///    on the order or number of other items: random.Random(42 * 2**64 + fnv1a64(id)).choice(
///    all_choices) with CPython's Mersenne Twister (init_by_array) and _randbelow. The official
///    module draws from one stream seeded 42 at import, so its letter depends on every earlier
///    fallback of the run; this one equals it for the draw itself, not the stream position.
///    A missing prediction is read as "" here (no candidate: a random letter), as lmms-eval passes
///    a failed request.
///
/// SampleScore::extracted: multiple choice — the letter read ("" when none); open — the parsed
/// predictions, numbers first (ascending, Python-style repr) then strings (code-point order),
/// joined with " | ".
class Mmmu final : public Metric {
 public:
  enum class Variant { official, random_fallback };

  explicit Mmmu(Variant variant = Variant::official);
  /// Registry factory; variants "official" (default) and "random-fallback"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"official", "random-fallback"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError when the gold is missing, or a multiple-choice item has no options or a
  /// gold that is not one of their letters.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// parse_multi_choice_response without its random fallback: the letter, or nullopt.
  [[nodiscard]] static std::optional<char> parse_multi_choice(std::string_view response,
                                                              std::span<const std::string> options);
  /// One element of parse_open_response's list: a string or a number (rounded to 2 decimals).
  using OpenPrediction = std::variant<double, std::string>;
  /// parse_open_response, deduplicated, in a fixed order (numbers ascending, then strings).
  [[nodiscard]] static std::vector<OpenPrediction> parse_open(std::string_view response);
  /// eval_open against the gold answers.
  [[nodiscard]] static bool eval_open(std::span<const std::string> gold,
                                      std::span<const OpenPrediction> predictions);
  /// extract_numbers: the matches of its three patterns (with commas, scientific, simple), in
  /// that order, with Python 3 str-regex semantics (\d is any decimal digit, \b a Unicode word
  /// boundary).
  [[nodiscard]] static std::vector<std::string> extract_numbers(std::string_view text);
  /// random.Random(seed).choice(range(n)) for a seed of up to 128 bits (high, low words).
  [[nodiscard]] static std::size_t python_random_choice(std::uint64_t seed_high,
                                                        std::uint64_t seed_low, std::size_t n);
  /// The subject of an MMMU id ("" when it has fewer than three '_'-separated parts) and its
  /// discipline ("" when the subject is not one of MMMU's 30).
  [[nodiscard]] static std::string subject_of(std::string_view id);
  [[nodiscard]] static std::string_view discipline_of(std::string_view subject);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
