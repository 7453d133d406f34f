#include "metrics/gqa.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

/// Python's string.punctuation.
constexpr std::string_view kAsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// numpy returns a fixed-width unicode element without its trailing NULs.
std::string_view drop_trailing_nuls(std::string_view s) {
  while (!s.empty() && s.back() == '\0')
    s.remove_suffix(1);
  return s;
}

/// The first `n` code points of `s`.
std::string_view first_code_points(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t k = 0; k < n && i < s.size(); ++k)
    pystr::next_code_point(s, i);
  return s.substr(0, i);
}

}  // namespace

GqaAccuracy::GqaAccuracy(Variant variant)
    : variant_(variant),
      info_{variant == Variant::lmms_eval
                ? MetricInfo{"gqa",
                             "lmms-eval",
                             "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/api/metrics.py "
                             "exact_match_hf_evaluate "
                             "(tasks/gqa/gqa.yaml: ignore_case, ignore_punctuation)",
                             "GQA exact match as lmms-eval computes it: stripped prediction, case "
                             "and ASCII "
                             "punctuation ignored",
                             {"answer"}}
                : MetricInfo{
                      "gqa",
                      "llava",
                      "haotian-liu/LLaVA@c121f04 scripts/convert_gqa_for_eval.py + GQA eval.py "
                      "(predicted == gold)",
                      "GQA accuracy as LLaVA reports it: prediction.rstrip('.').lower() == gold "
                      "answer",
                      {"answer"}}} {}

std::string GqaAccuracy::llava_prediction(std::string_view text) {
  return pystr::lower(pystr::rstrip_char(text, '.'));
}

std::string GqaAccuracy::lmms_eval_form(std::string_view text) {
  // np.asarray([text]) has width len(text); np.char.lower writes str.lower() of the element back
  // into that width; np.char.translate deletes string.punctuation.
  const std::size_t width = pystr::length(text);
  const std::string lowered = pystr::lower(drop_trailing_nuls(text));
  const std::string_view fitted = drop_trailing_nuls(first_code_points(lowered, width));
  std::string out;
  out.reserve(fitted.size());
  for (const char c : fitted) {
    if (kAsciiPunctuation.find(c) == std::string_view::npos) out.push_back(c);
  }
  out.erase(drop_trailing_nuls(out).size());
  return out;
}

SampleScore GqaAccuracy::score(const ScoringItem& item) const {
  if (item.answers.size() != 1) {
    throw InputError(fmt::format("gqa: item '{}' has {} gold answers; expected exactly one",
                                 item.id, item.answers.size()));
  }
  const std::string_view prediction = item.prediction ? std::string_view(*item.prediction) : "";
  SampleScore s{0.0, item.prediction ? ParseStatus::parsed : ParseStatus::missing, {}};
  if (variant_ == Variant::llava) {
    s.extracted = llava_prediction(prediction);
    s.score = s.extracted == item.answers.front() ? 1.0 : 0.0;
  } else {
    s.extracted = lmms_eval_form(pystr::strip(prediction));
    s.score = s.extracted == lmms_eval_form(item.answers.front()) ? 1.0 : 0.0;
  }
  return s;
}

std::unique_ptr<Metric> GqaAccuracy::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<GqaAccuracy>(select_variant("gqa", variant, variants()) == "lmms-eval"
                                           ? Variant::lmms_eval
                                           : Variant::llava);
}

std::unique_ptr<Aggregator> GqaAccuracy::aggregator() const {
  return std::make_unique<MeanAggregator>(info_);
}

}  // namespace lmmbench::metrics
