#pragma once

#include <cstdint>
#include <optional>

// The one cost model of lmmbench, with one naming scheme: `lmmbench gpu` (roofline and measured
// throughput, models/gpu/roofline.hpp), `lmmbench perf` (served throughput and token prices,
// harness/perf/metrics.hpp) and the cost of a run's cells (harness/prices.hpp) all compute here.
// `lmmbench train-cost` prices GPU time the same way (usd_for_gpu_hours). Two ways to price
// serving:
//  - GPU time: a fleet costs usd_per_day; a unit produced at a rate (per second) costs
//    usd_per_day / (rate x 86400) — usd_per_1m_output_tokens, usd_per_1k_images,
//    usd_per_1k_requests. A rate that is not positive has no cost per unit (nullopt).
//  - Token prices (an API's list price): token_price_usd of the tokens used; a unit then costs
//    that total over the units made (usd_per).
namespace lmmbench::cost {

inline constexpr double kSecondsPerDay = 86400.0;

/// A day of `gpu_count` GPUs at `usd_per_gpu_hour` each.
double usd_per_day(double usd_per_gpu_hour, double gpu_count);

/// What `hours` of `gpu_count` GPUs at `usd_per_gpu_hour` each cost (a training run).
double usd_for_gpu_hours(double usd_per_gpu_hour, double gpu_count, double hours);

/// What `units` units cost when usd_per_day buys `rate_per_s` units per second; nullopt unless
/// rate_per_s > 0.
std::optional<double> usd_per_units_at_rate(double usd_per_day, double rate_per_s, double units);

/// usd_per_units_at_rate for a million output tokens at `tokens_per_s`.
std::optional<double> usd_per_1m_output_tokens(double usd_per_day, double tokens_per_s);
/// usd_per_units_at_rate for a thousand images at `images_per_s`.
std::optional<double> usd_per_1k_images(double usd_per_day, double images_per_s);
/// usd_per_units_at_rate for a thousand requests at `requests_per_s`.
std::optional<double> usd_per_1k_requests(double usd_per_day, double requests_per_s);

/// Token-price cost in USD: prompt tokens at usd_per_1m_input_tokens, completion tokens at
/// usd_per_1m_output_tokens (both per million tokens).
double token_price_usd(double usd_per_1m_input_tokens, double usd_per_1m_output_tokens,
                       std::int64_t prompt_tokens, std::int64_t completion_tokens);

/// What `units` units cost when `count` of them cost `usd` in all; nullopt unless count > 0.
std::optional<double> usd_per(double usd, double count, double units);

}  // namespace lmmbench::cost
