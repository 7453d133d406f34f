#include "metrics/mean_aggregator.hpp"

#include "metrics/statistics.hpp"

namespace lmmbench::metrics {

MeanAggregator::MeanAggregator(MetricInfo info, std::vector<std::string> breakdown_fields,
                               std::string value_name)
    : info_(std::move(info)),
      breakdown_fields_(std::move(breakdown_fields)),
      value_name_(std::move(value_name)) {}

void MeanAggregator::add(const ScoringItem& item, const SampleScore& score) {
  scores_.push_back(score.score);
  if (score.status == ParseStatus::missing) ++n_missing_;
  if (score.status == ParseStatus::unparsed) ++n_unparsed_;
  auto count = [&](const std::string& key, std::string_view value) {
    auto& values = groups_[key];
    auto it = values.find(value);
    if (it == values.end()) it = values.emplace(std::string(value), Group{}).first;
    ++it->second.n;
    it->second.sum += score.score;
  };
  if (!item.category.empty()) count("category", item.category);
  for (const auto& field : breakdown_fields_) {
    if (const auto value = item.field(field); !value.empty()) count(field, value);
  }
}

MetricResult percent_mean_result(const MetricInfo& info, const std::vector<double>& scores,
                                 std::size_t n_missing, std::size_t n_unparsed) {
  MetricResult r = result_of(info, Unit::percent);
  const MeanEstimate e = estimate_mean(scores);
  r.n = e.n;
  r.n_missing = n_missing;
  r.n_unparsed = n_unparsed;
  r.score = 100.0 * e.mean;
  r.standard_error = 100.0 * e.standard_error;
  r.ci95 = {100.0 * e.ci95[0], 100.0 * e.ci95[1]};
  r.interval_method = "normal";
  return r;
}

MetricResult MeanAggregator::finish() {
  MetricResult r = percent_mean_result(info_, scores_, n_missing_, n_unparsed_);
  for (const auto& [key, values] : groups_) {
    for (const auto& [value, group] : values) {
      r.breakdown[key][value] =
          BreakdownCell{group.n,
                        {MetricValue{value_name_, 100.0 * group.sum / static_cast<double>(group.n),
                                     Unit::percent, true}}};
    }
  }
  return r;
}

}  // namespace lmmbench::metrics
