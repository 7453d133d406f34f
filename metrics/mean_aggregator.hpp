#pragma once

#include <memory>
#include <string>
#include <vector>

#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// The headline of a metric that is the mean of per-sample scores in [0, 1]: score = 100 * mean
/// (percent), analytic standard error, normal 95 % interval, and the item counts.
[[nodiscard]] MetricResult percent_mean_result(const MetricInfo& info,
                                               const std::vector<double>& scores,
                                               std::size_t n_missing, std::size_t n_unparsed);

/// The aggregation of every metric whose headline is the mean of per-sample scores: score =
/// 100 * mean (percent), analytic standard error, normal 95 % interval, and a breakdown of the
/// mean by `category` (key "category", when any item has one) and by each named field, each
/// breakdown cell holding `value_name` (e.g. "accuracy", "anls") in percent.
class MeanAggregator final : public Aggregator {
 public:
  explicit MeanAggregator(MetricInfo info, std::vector<std::string> breakdown_fields = {},
                          std::string value_name = "accuracy");
  void add(const ScoringItem& item, const SampleScore& score) override;
  [[nodiscard]] MetricResult finish() override;

 private:
  struct Group {
    std::size_t n = 0;
    double sum = 0.0;
  };

  MetricInfo info_;
  std::vector<std::string> breakdown_fields_;
  std::string value_name_;
  std::vector<double> scores_;
  std::size_t n_missing_ = 0;
  std::size_t n_unparsed_ = 0;
  std::map<std::string, std::map<std::string, Group, std::less<>>> groups_;
};

}  // namespace lmmbench::metrics
