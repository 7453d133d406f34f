#include "metrics/anls.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

/// `thresh_hold` of lmms-eval's anls and `anls_threshold` of the official script.
constexpr double kThreshold = 0.5;

template <typename Sequence>
std::size_t edit_distance_of(const Sequence& a, const Sequence& b, std::vector<std::size_t>& row) {
  const Sequence& shorter = a.size() <= b.size() ? a : b;
  const Sequence& longer = a.size() <= b.size() ? b : a;
  row.resize(shorter.size() + 1);
  for (std::size_t i = 0; i <= shorter.size(); ++i)
    row[i] = i;
  for (std::size_t j = 0; j < longer.size(); ++j) {
    std::size_t diagonal = row[0];
    row[0] = j + 1;
    for (std::size_t i = 0; i < shorter.size(); ++i) {
      const std::size_t above = row[i + 1];
      row[i + 1] = shorter[i] == longer[j] ? diagonal : 1 + std::min({diagonal, above, row[i]});
      diagonal = above;
    }
  }
  return row[shorter.size()];
}

}  // namespace

Anls::Anls(Variant variant)
    : variant_(variant),
      info_{
          variant == Variant::official
              ? MetricInfo{"anls",
                           "official",
                           "QwenLM/Qwen-VL@aa00ed0 eval_mm/infographicsvqa_eval.py evaluate_method "
                           "(RRC/DocVQA script)",
                           "ANLS (threshold 0.5) on the unstripped prediction, as the official RRC "
                           "DocVQA/InfographicVQA script computes it",
                           {"answers"}}
              : MetricInfo{
                    "anls",
                    "lmms-eval",
                    "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/api/metrics.py anls",
                    "ANLS (threshold 0.5) on the stripped prediction, as lmms-eval computes it",
                    {"answers"}}} {}

void Anls::normalise(std::string_view text, std::string& out) {
  thread_local std::string lowered;
  thread_local std::vector<std::string_view> words;
  pystr::lower(pystr::strip(text), lowered);
  words.clear();
  pystr::split(lowered, words);
  out.clear();
  for (const auto w : words) {
    if (!out.empty()) out.push_back(' ');
    out.append(w);
  }
}

std::size_t Anls::levenshtein(std::string_view a, std::string_view b) {
  thread_local std::vector<std::size_t> row;
  if (pystr::is_ascii(a) && pystr::is_ascii(b)) return edit_distance_of(a, b, row);
  thread_local std::u32string ca;
  thread_local std::u32string cb;
  pystr::code_points(a, ca);
  pystr::code_points(b, cb);
  return edit_distance_of(ca, cb, row);
}

SampleScore Anls::score(const ScoringItem& item) const {
  if (item.answers.empty())
    throw InputError(fmt::format("anls: item '{}' has no gold answer", item.id));
  std::string_view prediction = item.prediction ? std::string_view(*item.prediction) : "";
  if (variant_ == Variant::lmms_eval) prediction = pystr::strip(prediction);

  SampleScore s{0.0, item.prediction ? ParseStatus::parsed : ParseStatus::missing, {}};
  normalise(prediction, s.extracted);
  const std::size_t prediction_length = pystr::upper_length(prediction);
  thread_local std::string gold;
  double smallest = std::numeric_limits<double>::infinity();
  for (const auto& answer : item.answers) {
    normalise(answer, gold);
    const std::size_t distance = levenshtein(gold, s.extracted);
    const std::size_t length = std::max(pystr::upper_length(answer), prediction_length);
    smallest = std::min(
        smallest, length == 0 ? 0.0 : static_cast<double>(distance) / static_cast<double>(length));
  }
  s.score = 1.0 - smallest;
  if (s.score < kThreshold) s.score = 0.0;
  return s;
}

std::unique_ptr<Metric> Anls::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<Anls>(select_variant("anls", variant, variants()) == "official"
                                    ? Variant::official
                                    : Variant::lmms_eval);
}

std::unique_ptr<Aggregator> Anls::aggregator() const {
  return std::make_unique<MeanAggregator>(info_, std::vector<std::string>{}, "anls");
}

}  // namespace lmmbench::metrics
