#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// Exact match: 1 when the prediction, trimmed of ASCII whitespace and with one trailing '.'
/// removed, equals any gold answer treated the same way; case-insensitive (ASCII) unless
/// `case_sensitive`. The headline is the mean, in percent.
class ExactMatch final : public Metric {
 public:
  explicit ExactMatch(bool case_sensitive = false);
  /// Registry factory; variants: "default", "case-sensitive".
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"default", "case-sensitive"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The form that is compared.
  [[nodiscard]] std::string normalise(std::string_view text) const;

 private:
  bool case_sensitive_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
