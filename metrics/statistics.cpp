#include "metrics/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace lmmbench::metrics {

MeanEstimate estimate_mean(std::span<const double> values) {
  MeanEstimate e;
  e.n = values.size();
  if (e.n == 0) {
    e.mean = std::numeric_limits<double>::quiet_NaN();
    e.standard_error = e.mean;
    e.ci95 = {e.mean, e.mean};
    return e;
  }
  // Sequential summation, as the reference scorers' sum(scores) / len(scores) does, so the mean
  // matches them to the last bit; a second pass gives the variance.
  double sum = 0.0;
  for (const double v : values)
    sum += v;
  const double mean = sum / static_cast<double>(e.n);
  double m2 = 0.0;
  for (const double v : values)
    m2 += (v - mean) * (v - mean);
  e.mean = mean;
  if (e.n < 2) {
    e.standard_error = std::numeric_limits<double>::quiet_NaN();
    e.ci95 = {mean, mean};
    return e;
  }
  e.standard_error =
      std::sqrt(m2 / static_cast<double>(e.n - 1)) / std::sqrt(static_cast<double>(e.n));
  e.ci95 = {mean - kZ95 * e.standard_error, mean + kZ95 * e.standard_error};
  return e;
}

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t SplitMix64::below(std::uint64_t bound) {
  __uint128_t m = static_cast<__uint128_t>(next()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<__uint128_t>(next()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double percentile(std::span<const double> sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("percentile of no values");
  if (!(p >= 0.0 && p <= 100.0)) throw std::invalid_argument("percentile outside [0, 100]");
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (rank - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::string BootstrapEstimate::method() const {
  return fmt::format("bootstrap ({} resamples, seed {})", resamples, seed);
}

BootstrapEstimate bootstrap(std::size_t n_units,
                            const std::function<double(std::span<const std::size_t>)>& statistic,
                            std::size_t resamples, std::uint64_t seed) {
  BootstrapEstimate out;
  out.resamples = resamples;
  out.seed = seed;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (n_units == 0 || resamples == 0) {
    out.standard_error = nan;
    out.ci95 = {nan, nan};
    return out;
  }
  SplitMix64 rng(seed);
  std::vector<std::size_t> indices(n_units);
  std::vector<double> replicates;
  replicates.reserve(resamples);
  for (std::size_t r = 0; r < resamples; ++r) {
    for (auto& index : indices)
      index = static_cast<std::size_t>(rng.below(n_units));
    const double value = statistic(indices);
    if (std::isnan(value)) {
      ++out.dropped;
    } else {
      replicates.push_back(value);
    }
  }
  if (replicates.size() < 2) {
    out.standard_error = nan;
    out.ci95 = {nan, nan};
    return out;
  }
  const MeanEstimate m = estimate_mean(replicates);
  out.standard_error = m.standard_error * std::sqrt(static_cast<double>(replicates.size()));
  std::sort(replicates.begin(), replicates.end());
  out.ci95 = {percentile(replicates, 2.5), percentile(replicates, 97.5)};
  return out;
}

}  // namespace lmmbench::metrics
