#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "reports/perf_section.hpp"

/// Pure statistics of `lmmbench perf`: no clock, no I/O, no state.
namespace lmmbench::harness::perf {

/// Count, mean, population standard deviation, min, max, p50/p90/p95/p99/p99.9 and an
/// equal-width histogram of `bins` bins over [min, max] (all values in one bin when min == max).
/// Values in any unit; the figures are in the same unit. An empty input gives count 0 and nulls.
reports::LatencyStats summarize(std::vector<double> values, std::size_t bins = 24);

/// Largest |x_i - mean| / mean over `values` (0 for fewer than two values or a zero mean).
double max_relative_deviation(std::span<const double> values);

}  // namespace lmmbench::harness::perf
