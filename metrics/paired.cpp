#include "metrics/paired.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace lmmbench::metrics {

double mcnemar_exact_p(std::size_t baseline_only, std::size_t new_only) {
  const std::size_t n = baseline_only + new_only;
  if (n == 0) return 1.0;
  const std::size_t k = std::min(baseline_only, new_only);
  // log P[X = i] = log C(n, i) − n log 2, summed with log-sum-exp so large n cannot overflow.
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  const auto log_term = [&](std::size_t i) {
    return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(i) + 1) -
           std::lgamma(static_cast<double>(n - i) + 1) + log_half_n;
  };
  double max_log = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i <= k; ++i)
    max_log = std::max(max_log, log_term(i));
  double sum = 0.0;
  for (std::size_t i = 0; i <= k; ++i)
    sum += std::exp(log_term(i) - max_log);
  return std::min(1.0, 2.0 * std::exp(max_log + std::log(sum)));
}

namespace {

PairedComparison bootstrap_comparison(
    std::size_t n_units, double observed,
    const std::function<double(std::span<const std::size_t>)>& difference, std::size_t resamples,
    std::uint64_t seed) {
  PairedComparison c;
  c.n = n_units;
  c.difference = observed;
  std::size_t at_or_below = 0;
  std::size_t at_or_above = 0;
  std::size_t kept = 0;
  const auto estimate = bootstrap(
      n_units,
      [&](std::span<const std::size_t> indices) {
        const double d = difference(indices);
        if (!std::isnan(d)) {
          ++kept;
          at_or_below += d <= 0.0 ? 1 : 0;
          at_or_above += d >= 0.0 ? 1 : 0;
        }
        return d;
      },
      resamples, seed);
  c.standard_error = estimate.standard_error;
  c.ci95 = estimate.ci95;
  c.method = fmt::format("paired bootstrap ({} resamples, seed {})", resamples, seed);
  c.p_value = kept == 0
                  ? std::numeric_limits<double>::quiet_NaN()
                  : std::min(1.0, 2.0 * static_cast<double>(std::min(at_or_below, at_or_above)) /
                                      static_cast<double>(kept));
  return c;
}

}  // namespace

PairedComparison compare_paired(std::span<const std::pair<double, double>> pairs,
                                std::size_t resamples, std::uint64_t seed) {
  const bool binary = std::all_of(pairs.begin(), pairs.end(), [](const auto& p) {
    return (p.first == 0.0 || p.first == 1.0) && (p.second == 0.0 || p.second == 1.0);
  });
  std::vector<double> baseline;
  std::vector<double> candidate;
  std::vector<double> differences;
  for (const auto& [a, b] : pairs) {
    baseline.push_back(a);
    candidate.push_back(b);
    differences.push_back(b - a);
  }
  const double baseline_mean = estimate_mean(baseline).mean;
  const double new_mean = estimate_mean(candidate).mean;

  PairedComparison c;
  if (binary) {
    const MeanEstimate d = estimate_mean(differences);
    c.n = pairs.size();
    c.difference = d.mean;
    c.standard_error = d.standard_error;
    c.ci95 = d.ci95;
    for (const auto& [a, b] : pairs) {
      c.baseline_only += (a == 1.0 && b == 0.0) ? 1 : 0;
      c.new_only += (a == 0.0 && b == 1.0) ? 1 : 0;
    }
    c.p_value = mcnemar_exact_p(c.baseline_only, c.new_only);
    c.method = "mcnemar-exact";
  } else {
    c = bootstrap_comparison(
        pairs.size(), new_mean - baseline_mean,
        [&](std::span<const std::size_t> indices) {
          double sum = 0.0;
          for (const auto i : indices)
            sum += differences[i];
          return sum / static_cast<double>(indices.size());
        },
        resamples, seed);
  }
  c.baseline_mean = baseline_mean;
  c.new_mean = new_mean;
  return c;
}

PairedComparison compare_paired_statistic(
    std::size_t n_units, double observed,
    const std::function<double(std::span<const std::size_t>)>& difference, std::size_t resamples,
    std::uint64_t seed) {
  return bootstrap_comparison(n_units, observed, difference, resamples, seed);
}

std::vector<std::pair<double, double>> pair_by_id(
    const std::vector<std::pair<std::string, double>>& baseline,
    const std::map<std::string, double>& candidate) {
  std::vector<std::pair<double, double>> out;
  for (const auto& [id, score] : baseline) {
    if (const auto it = candidate.find(id); it != candidate.end())
      out.emplace_back(score, it->second);
  }
  return out;
}

}  // namespace lmmbench::metrics
