#include "harness/perf/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "metrics/statistics.hpp"

namespace lmmbench::harness::perf {

using lmmbench::metrics::percentile;

reports::LatencyStats summarize(std::vector<double> values, std::size_t bins) {
  reports::LatencyStats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  // Two passes: the mean first, then the squared deviations from it (no cancellation).
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double sq = 0;
  for (const double v : values)
    sq += (v - mean) * (v - mean);
  s.mean = mean;
  s.std = std::sqrt(sq / n);
  s.min = values.front();
  s.max = values.back();
  s.p50 = percentile(values, 50);
  s.p90 = percentile(values, 90);
  s.p95 = percentile(values, 95);
  s.p99 = percentile(values, 99);
  s.p999 = percentile(values, 99.9);
  if (bins > 0) {
    s.histogram.assign(bins, 0);
    const double width = (values.back() - values.front()) / static_cast<double>(bins);
    for (const double v : values) {
      std::size_t b = 0;
      if (width > 0) {
        b = std::min(bins - 1, static_cast<std::size_t>((v - values.front()) / width));
      }
      ++s.histogram[b];
    }
  }
  return s;
}

double max_relative_deviation(std::span<const double> values) {
  if (values.size() < 2) return 0.0;
  const double mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  if (mean == 0.0) return 0.0;
  double worst = 0;
  for (const double v : values)
    worst = std::max(worst, std::abs(v - mean) / std::abs(mean));
  return worst;
}

}  // namespace lmmbench::harness::perf
