#include "metrics/exact_match.hpp"

#include "core/text.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

ExactMatch::ExactMatch(bool case_sensitive)
    : case_sensitive_(case_sensitive),
      info_{"exact_match",
            case_sensitive ? "case-sensitive" : "default",
            "lmmbench (no external reference)",
            "1 if the trimmed prediction (one trailing '.' dropped) equals any gold answer treated "
            "the same way; ASCII case-insensitive by default",
            {"answers"}} {}

std::string ExactMatch::normalise(std::string_view text) const {
  std::string_view t = trim(text);
  if (t.ends_with('.')) t = trim(t.substr(0, t.size() - 1));
  return case_sensitive_ ? std::string(t) : ascii_lower(t);
}

SampleScore ExactMatch::score(const ScoringItem& item) const {
  if (!item.prediction) return SampleScore{0.0, ParseStatus::missing, ""};
  SampleScore s{0.0, ParseStatus::parsed, normalise(*item.prediction)};
  for (const auto& answer : item.answers) {
    if (normalise(answer) == s.extracted) {
      s.score = 1.0;
      break;
    }
  }
  return s;
}

std::unique_ptr<Metric> ExactMatch::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<ExactMatch>(select_variant("exact_match", variant, variants()) ==
                                      "case-sensitive");
}

std::unique_ptr<Aggregator> ExactMatch::aggregator() const {
  return std::make_unique<MeanAggregator>(info_);
}

}  // namespace lmmbench::metrics
