#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// MathVista (testmini): accuracy in percent of lupantech/MathVista@53d5258
/// evaluation/calculate_score.py — normalize_extracted_answer(extraction, choices, question_type,
/// answer_type, precision) then safe_equal(prediction, answer) — with a breakdown per
/// question_type, answer_type, `category` and the metadata fields language, source, task,
/// context, grade and skills (a comma-separated list; an item counts for each of its skills), as
/// the script reports them.
///
/// The official protocol first has GPT-4 extract the answer from the response
/// (evaluation/extract_answer.py `extract_answer`, quick_extract off as by default): the empty
/// response, a multi_choice response equal to one of the choices, str(int(response)) for integer
/// answers and str(float(response)) for float ones settle it without a model (extraction_rules);
/// any other response goes to the judge with create_test_prompt (extraction_request), and its
/// reply, strip()ped as models/gpt.py returns it, is the extraction. Variants "rules" and
/// "nearest-choice" use the response itself as the extraction for every item, so a long response
/// that the judge would have read is unparsed there. Variant "judge" is the official protocol:
/// the rules, else the judge's reply (ScoringItem::judge_replies, filled by the judge stage of
/// `lmmbench run`, parser "mathvista"), then the official normaliser with its nearest-choice
/// fallback.
///
/// Normalisation (input: `question_type` "multi_choice" or "free_form", `answer_type` "text",
/// "integer", "float" or "list", `options` = the choices, field `precision` for float answers,
/// the gold in `answers`):
///  - multi_choice: str.strip(); the first "(x)" letter, upper-cased, replaces it; a letter among
///    the first len(choices) picks that choice; otherwise the official code takes the choice
///    nearest by Levenshtein distance. Variant "rules" (default) takes only an exact choice text
///    and counts anything else unparsed (wrong): the nearest choice is a guess. Variant
///    "nearest-choice" is the official fallback (the first of equally near choices).
///  - integer: str(int(float(x))); float: str(round(float(x), int(precision))) (Python float
///    repr); list: x unchanged; where Python raises, the prediction is None: unparsed, wrong.
/// A missing prediction is "" (what lmms-eval passes for a failed request).
/// SampleScore::extracted: the normalised prediction ("" for None).
class MathVista final : public Metric {
 public:
  enum class Variant { rules, nearest_choice, judge };

  explicit MathVista(Variant variant = Variant::rules);
  /// Registry factory; variants "rules" (default), "nearest-choice" and "judge"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"rules", "nearest-choice", "judge"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError for an unknown question or answer type, a multi_choice item without
  /// choices, a float item without an integer precision, a free_form text item (the official
  /// normaliser has no branch for it), or, variant "judge", a response the rules do not settle
  /// and no judge reply.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// extract_answer's steps before any model call: the extraction, or nullopt when the judge
  /// must be asked. `response` is "" for a missing one.
  [[nodiscard]] static std::optional<std::string> extraction_rules(
      std::string_view response, std::span<const std::string> choices,
      std::string_view question_type, std::string_view answer_type);

  /// create_test_prompt(demo_prompt, query, response): the judge's request text.
  [[nodiscard]] static std::string extraction_request(std::string_view demo_prompt,
                                                      std::string_view query,
                                                      std::string_view response);

  /// normalize_extracted_answer; nullopt where the official returns None (or, variant "rules",
  /// where it would take the nearest choice).
  [[nodiscard]] static std::optional<std::string> normalize(std::string_view extraction,
                                                            std::span<const std::string> choices,
                                                            std::string_view question_type,
                                                            std::string_view answer_type,
                                                            std::string_view precision,
                                                            Variant variant);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
