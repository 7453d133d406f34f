#include "metrics/multiple_choice.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"
#include "metrics/vlmevalkit_matching.hpp"

namespace lmmbench::metrics {

namespace {

std::optional<char> letter_in_range(char c, std::size_t option_count) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c < 'A' || c > 'Z') return std::nullopt;
  if (static_cast<std::size_t>(c - 'A') >= option_count) return std::nullopt;
  return c;
}

std::string_view strip_final_period(std::string_view t) {
  t = trim(t);
  if (t.ends_with('.')) t = trim(t.substr(0, t.size() - 1));
  return t;
}

}  // namespace

MultipleChoice::MultipleChoice(Variant variant)
    : variant_(variant),
      info_{variant == Variant::vlmevalkit
                ? MetricInfo{"multiple_choice",
                             "vlmevalkit",
                             "open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/"
                             "multiple_choice.py mcq_vanilla_eval(model=None) + report_acc",
                             "option-letter accuracy with VLMEvalKit's rule-based extraction "
                             "(can_infer, no judge); a refusal or an unread answer is unparsed "
                             "and wrong",
                             {"options", "answer"}}
                : MetricInfo{"multiple_choice",
                             "default",
                             "lmmbench (no external reference)",
                             "option-letter accuracy: bare letter, '(B)', 'B.', 'B)', 'B:', a "
                             "leading 'B. text', or the exact text of one option; anything else "
                             "is unparsed",
                             {"options", "answer"}}} {}

std::optional<std::string> MultipleChoice::extract_letter(std::string_view prediction,
                                                          const std::vector<std::string>& options) {
  const std::string_view t = trim(prediction);
  const std::size_t count = options.size();
  auto found = [](char c) { return std::optional<std::string>(std::string(1, c)); };
  // 1. bare letter, possibly decorated.
  if (t.size() == 1) {
    if (const auto c = letter_in_range(t[0], count)) return found(*c);
  }
  if (t.size() == 2 && (t[1] == '.' || t[1] == ')' || t[1] == ':')) {
    if (const auto c = letter_in_range(t[0], count)) return found(*c);
  }
  if (t.size() == 3 && t[0] == '(' && t[2] == ')') {
    if (const auto c = letter_in_range(t[1], count)) return found(*c);
  }
  // 2. a leading labelled letter followed by the option text.
  if (t.size() > 3 && (t[1] == '.' || t[1] == ')' || t[1] == ':') && t[2] == ' ') {
    if (const auto c = letter_in_range(t[0], count); c && t[0] >= 'A' && t[0] <= 'Z')
      return found(*c);
  }
  if (t.size() > 4 && t[0] == '(' && t[2] == ')' && t[3] == ' ') {
    if (const auto c = letter_in_range(t[1], count)) return found(*c);
  }
  // 3. the text of exactly one option.
  const std::string wanted = ascii_lower(strip_final_period(t));
  std::optional<std::string> match;
  for (std::size_t i = 0; i < count; ++i) {
    if (ascii_lower(strip_final_period(options[i])) == wanted) {
      if (match) return std::nullopt;
      match = std::string(1, static_cast<char>('A' + i));
    }
  }
  return match;
}

SampleScore MultipleChoice::score(const ScoringItem& item) const {
  if (!item.answers.empty()) {
    const std::string_view gold = trim(item.answers[0]);
    if (gold.size() != 1 || !letter_in_range(gold[0], item.options.size())) {
      throw InputError(fmt::format(
          "item '{}': the gold answer must be the letter of one of its {} options, got '{}'",
          item.id, item.options.size(), item.answers[0]));
    }
  }
  if (variant_ == Variant::vlmevalkit) {
    // mcq_vanilla_eval: hit = int(can_infer(prediction, choices) == GT); without a judge an
    // unread prediction becomes 'Z', which is never the gold letter.
    const auto letter = vlmevalkit::can_infer(
        item.prediction ? std::string_view(*item.prediction) : "", item.options);
    const std::string extracted = letter ? std::string(1, *letter) : "";
    if (!item.prediction) return SampleScore{0.0, ParseStatus::missing, extracted};
    const bool option = letter && static_cast<std::size_t>(*letter - 'A') < item.options.size();
    if (!option) return SampleScore{0.0, ParseStatus::unparsed, extracted};
    const bool correct = !item.answers.empty() && trim(item.answers[0]) == extracted;
    return SampleScore{correct ? 1.0 : 0.0, ParseStatus::parsed, extracted};
  }
  if (!item.prediction) return SampleScore{0.0, ParseStatus::missing, ""};
  const auto letter = extract_letter(*item.prediction, item.options);
  if (!letter) return SampleScore{0.0, ParseStatus::unparsed, ""};
  const bool correct =
      !item.answers.empty() && ascii_lower(trim(item.answers[0])) == ascii_lower(*letter);
  return SampleScore{correct ? 1.0 : 0.0, ParseStatus::parsed, *letter};
}

std::unique_ptr<Metric> MultipleChoice::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<MultipleChoice>(
      select_variant("multiple_choice", variant, variants()) == "vlmevalkit" ? Variant::vlmevalkit
                                                                             : Variant::standard);
}

std::unique_ptr<Aggregator> MultipleChoice::aggregator() const {
  // report_acc: Overall, then the mean hit per l2-category and per category.
  return variant_ == Variant::vlmevalkit
             ? std::make_unique<MeanAggregator>(info_, std::vector<std::string>{"l2_category"})
             : std::make_unique<MeanAggregator>(info_);
}

}  // namespace lmmbench::metrics
