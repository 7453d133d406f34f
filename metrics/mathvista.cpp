#include "metrics/mathvista.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/anls.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kRulesReference =
    "lupantech/MathVista@53d5258 evaluation/calculate_score.py normalize_extracted_answer + "
    "safe_equal (no nearest-choice fallback; the response as the extraction)";
constexpr const char* kJudgeReference =
    "lupantech/MathVista@53d5258 evaluation/extract_answer.py extract_answer (the judge's "
    "extraction) + evaluation/calculate_score.py normalize_extracted_answer + safe_equal";
constexpr const char* kNearestReference =
    "lupantech/MathVista@53d5258 evaluation/calculate_score.py normalize_extracted_answer + "
    "safe_equal (the response as the extraction)";

/// The metadata fields calculate_score.py breaks the accuracy down by (besides `category`, the
/// item's own breakdown key, and `skills`, a list).
const std::vector<std::string> kBreakdownFields{
    "question_type", "answer_type", "language", "source", "task", "context", "grade"};

/// int(precision) for a precision field: an integer, or an integral float (a parquet float
/// column's "2.0").
std::optional<int> precision_of(std::string_view text) {
  const auto value = pystr::to_float(text);
  if (!value || !std::isfinite(*value) || *value != std::floor(*value) || std::fabs(*value) > 100)
    return std::nullopt;
  return static_cast<int>(*value);
}

/// str(int(v)) for a finite double: the exact integer part in decimal.
std::string python_int_text(double v) {
  const double t = std::trunc(v);
  char buffer[400];
  const auto end =
      std::to_chars(buffer, buffer + sizeof buffer, t, std::chars_format::fixed, 0).ptr;
  std::string s(buffer, end);
  if (s == "-0") s = "0";
  return s;
}

class MathVistaAggregator final : public Aggregator {
 public:
  explicit MathVistaAggregator(const MetricInfo& info)
      : info_(info), mean_(info, kBreakdownFields) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    mean_.add(item, score);
    // calculate_score.py counts an item for each of its skills.
    const std::string_view skills = item.field("skills");
    for (std::size_t start = 0; start < skills.size();) {
      std::size_t end = skills.find(',', start);
      if (end == std::string_view::npos) end = skills.size();
      const std::string skill(pystr::strip(skills.substr(start, end - start)));
      if (!skill.empty()) {
        auto& [n, sum] = skills_[skill];
        ++n;
        sum += score.score;
      }
      start = end + 1;
    }
  }

  MetricResult finish() override {
    MetricResult r = mean_.finish();
    for (const auto& [skill, tally] : skills_) {
      r.breakdown["skills"][skill] = BreakdownCell{
          tally.first,
          {MetricValue{"accuracy", 100.0 * tally.second / static_cast<double>(tally.first),
                       Unit::percent, true}}};
    }
    return r;
  }

 private:
  MetricInfo info_;
  MeanAggregator mean_;
  std::map<std::string, std::pair<std::size_t, double>> skills_;
};

}  // namespace

std::optional<std::string> MathVista::extraction_rules(std::string_view response,
                                                       std::span<const std::string> choices,
                                                       std::string_view question_type,
                                                       std::string_view answer_type) {
  if (response.empty()) return std::string();
  if (question_type == "multi_choice" &&
      std::find(choices.begin(), choices.end(), response) != choices.end())
    return std::string(response);
  if (answer_type == "integer") {
    if (auto text = pystr::int_text(response)) return text;
  }
  if (answer_type == "float") {
    if (const auto value = pystr::to_float(response)) return pystr::float_repr(*value);
  }
  return std::nullopt;
}

std::string MathVista::extraction_request(std::string_view demo_prompt, std::string_view query,
                                          std::string_view response) {
  return fmt::format("{}\n\n{}\n\n{}\n\nExtracted answer: ", pystr::strip(demo_prompt), query,
                     response);
}

std::optional<std::string> MathVista::normalize(std::string_view extraction,
                                                std::span<const std::string> choices,
                                                std::string_view question_type,
                                                std::string_view answer_type,
                                                std::string_view precision, Variant variant) {
  if (question_type == "multi_choice") {
    std::string text(pystr::strip(extraction));
    // re.findall(r'\(([a-zA-Z])\)', extraction): the first one.
    for (std::size_t i = 0; i + 2 < text.size(); ++i) {
      const char c = text[i + 1];
      if (text[i] == '(' && text[i + 2] == ')' &&
          ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        text = std::string(1, static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c));
        break;
      }
    }
    if (text.size() == 1 && text[0] >= 'A' &&
        static_cast<std::size_t>(text[0] - 'A') < choices.size())
      return choices[static_cast<std::size_t>(text[0] - 'A')];
    // get_most_similar: the first choice at the least distance (an exact choice is at 0).
    std::size_t best = 0;
    std::size_t best_distance = std::string::npos;
    for (std::size_t k = 0; k < choices.size(); ++k) {
      // python-Levenshtein's distance: code points, unit costs (the one ANLS uses).
      const std::size_t d = Anls::levenshtein(text, choices[k]);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    if (variant == Variant::rules && best_distance != 0) return std::nullopt;
    return choices[best];
  }
  if (answer_type == "integer") {
    const auto value = pystr::to_float(extraction);
    if (!value || !std::isfinite(*value)) return std::nullopt;
    return python_int_text(*value);
  }
  if (answer_type == "float") {
    const auto value = pystr::to_float(extraction);
    const auto digits = precision_of(precision);
    if (!value || !digits) return std::nullopt;
    return pystr::float_repr(pystr::round(*value, *digits));
  }
  return std::string(extraction);  // "list"
}

namespace {

MetricInfo mathvista_info(MathVista::Variant variant) {
  MetricInfo info{"mathvista",
                  "rules",
                  kRulesReference,
                  "MathVista: the official answer normalisation and comparison on the response; "
                  "a choice must be named by letter or exact text",
                  {"question_type", "answer_type", "answers"}};
  if (variant == MathVista::Variant::nearest_choice) {
    info.variant = "nearest-choice";
    info.reference = kNearestReference;
    info.description =
        "MathVista: the official answer normalisation and comparison on the response, with its "
        "nearest-choice fallback";
  } else if (variant == MathVista::Variant::judge) {
    info.variant = "judge";
    info.reference = kJudgeReference;
    info.description =
        "MathVista: the official protocol, a judge model's answer extraction (where the rules do "
        "not settle it), then the official normalisation with its nearest-choice fallback";
    info.needs_judge = true;
  }
  return info;
}

}  // namespace

MathVista::MathVista(Variant variant) : variant_(variant), info_(mathvista_info(variant)) {}

SampleScore MathVista::score(const ScoringItem& item) const {
  const std::string_view question_type = item.field("question_type");
  const std::string_view answer_type = item.field("answer_type");
  if (question_type != "multi_choice" && question_type != "free_form") {
    throw InputError(
        fmt::format("item '{}': MathVista question_type must be multi_choice or "
                    "free_form, got '{}'",
                    item.id, question_type));
  }
  if (question_type == "multi_choice" && item.options.empty()) {
    throw InputError(fmt::format(
        "item '{}': a MathVista multi_choice item needs its choices (options)", item.id));
  }
  if (question_type == "free_form" && answer_type != "integer" && answer_type != "float" &&
      answer_type != "list") {
    throw InputError(
        fmt::format("item '{}': MathVista free_form answer_type must be integer, float "
                    "or list, got '{}' (the official normaliser has no other branch)",
                    item.id, answer_type));
  }
  if (question_type == "free_form" && answer_type == "float" &&
      !precision_of(item.field("precision"))) {
    throw InputError(
        fmt::format("item '{}': a MathVista float answer needs an integer precision, "
                    "got '{}'",
                    item.id, item.field("precision")));
  }
  if (item.answers.size() != 1) {
    throw InputError(fmt::format("item '{}': MathVista needs exactly one gold answer", item.id));
  }
  SampleScore s;
  const std::string_view response = item.prediction ? std::string_view(*item.prediction) : "";
  std::string extraction(response);
  Variant normalizer = variant_;
  if (variant_ == Variant::judge) {
    normalizer = Variant::nearest_choice;
    if (auto settled = extraction_rules(response, item.options, question_type, answer_type)) {
      extraction = std::move(*settled);
    } else if (!item.judge_replies.empty()) {
      // models/gpt.py get_response returns the reply strip()ped.
      extraction = std::string(pystr::strip(item.judge_replies.front()));
    } else {
      throw InputError(
          fmt::format("item '{}': mathvista/judge needs the judge's extraction for a "
                      "response the rules do not settle (run it with a judge, "
                      "parser \"mathvista\")",
                      item.id));
    }
  }
  const auto normalized = normalize(extraction, item.options, question_type, answer_type,
                                    item.field("precision"), normalizer);
  if (normalized) {
    s.extracted = *normalized;
    s.score = *normalized == item.answers.front() ? 1.0 : 0.0;
  } else {
    s.status = ParseStatus::unparsed;
  }
  if (!item.prediction) s.status = ParseStatus::missing;
  return s;
}

std::unique_ptr<Metric> MathVista::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  const std::string name = select_variant("mathvista", variant, variants());
  return std::make_unique<MathVista>(name == "nearest-choice" ? Variant::nearest_choice
                                     : name == "judge"        ? Variant::judge
                                                              : Variant::rules);
}

std::unique_ptr<Aggregator> MathVista::aggregator() const {
  return std::make_unique<MathVistaAggregator>(info_);
}

}  // namespace lmmbench::metrics
