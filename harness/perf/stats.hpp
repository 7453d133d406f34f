#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "reports/perf_section.hpp"

/// Pure statistics of `lmmbench perf`: no clock, no I/O, no state.
namespace lmmbench::harness::perf {

/// The p-th percentile (0 <= p <= 100) of `sorted` (ascending, non-empty) by linear interpolation
/// between closest ranks: rank r = (n - 1) p / 100, value = x[floor r] + (r - floor r)
/// (x[floor r + 1] - x[floor r]). This is NumPy's default (`np.percentile`, method "linear"),
/// Hyndman & Fan's type 7, as vLLM's `bench serve` and AIPerf report; MLPerf LoadGen instead takes
/// x[floor(n p / 100)], which is never lower. Throws std::invalid_argument for an empty span or p
/// outside [0, 100].
double percentile(std::span<const double> sorted, double p);

/// Count, mean, population standard deviation, min, max, p50/p90/p95/p99/p99.9 and an
/// equal-width histogram of `bins` bins over [min, max] (all values in one bin when min == max).
/// Values in any unit; the figures are in the same unit. An empty input gives count 0 and nulls.
reports::LatencyStats summarize(std::vector<double> values, std::size_t bins = 24);

/// Largest |x_i - mean| / mean over `values` (0 for fewer than two values or a zero mean).
double max_relative_deviation(std::span<const double> values);

}  // namespace lmmbench::harness::perf
