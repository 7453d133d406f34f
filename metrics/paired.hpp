#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "metrics/statistics.hpp"

namespace lmmbench::metrics {

/// How a new run differs from a baseline on the samples both scored. `difference` = new − baseline
/// in the per-sample score's scale (0..1 for accuracies).
struct PairedComparison {
  std::size_t n = 0;  ///< Shared samples.
  double baseline_mean = 0.0;
  double new_mean = 0.0;
  double difference = 0.0;
  double standard_error = 0.0;  ///< Of the difference.
  std::array<double, 2> ci95{0.0, 0.0};
  double p_value = 1.0;  ///< Two-sided, for "no difference".
  std::string method;    ///< "mcnemar-exact" or "paired bootstrap (B resamples, seed S)".
  /// McNemar's discordant pairs (0/1 scores only): baseline right & new wrong, and the reverse.
  std::size_t baseline_only = 0;
  std::size_t new_only = 0;
};

/// Exact two-sided McNemar test: p = min(1, 2 · P[X ≤ min(b, c)]) for X ~ Binomial(b + c, 1/2),
/// where b and c are the discordant counts (McNemar 1947; the exact binomial form as in
/// statsmodels' `mcnemar(exact=True)`). 1 when there is no discordant pair.
double mcnemar_exact_p(std::size_t baseline_only, std::size_t new_only);

/// Compares paired per-sample scores (baseline, new). When every score is 0 or 1, the exact
/// McNemar test gives the p-value and the interval is the normal interval of the mean paired
/// difference. Otherwise a seeded paired bootstrap of the mean difference gives the standard error,
/// the percentile interval and the p-value (twice the smaller tail of replicates at or beyond 0).
PairedComparison compare_paired(std::span<const std::pair<double, double>> pairs,
                                std::size_t resamples = kBootstrapResamples,
                                std::uint64_t seed = 0);

/// For statistics that are not means (F1, MME totals, circular accuracy): a seeded paired bootstrap
/// of `difference(indices)` = statistic(new) − statistic(baseline) over the same resampled units.
/// `observed` is that difference on all units.
PairedComparison compare_paired_statistic(
    std::size_t n_units, double observed,
    const std::function<double(std::span<const std::size_t> indices)>& difference,
    std::size_t resamples = kBootstrapResamples, std::uint64_t seed = 0);

/// Pairs two runs' per-sample scores by sample id (ids in only one run are left out), in the
/// baseline's id order.
std::vector<std::pair<double, double>> pair_by_id(
    const std::vector<std::pair<std::string, double>>& baseline,
    const std::map<std::string, double>& candidate);

}  // namespace lmmbench::metrics
