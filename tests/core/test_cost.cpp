// The one cost model (core/cost.hpp): GPU time and token prices.
#include <cmath>

#include <gtest/gtest.h>

#include "core/cost.hpp"

namespace lmmbench::cost {
namespace {

TEST(Cost, ADayOfGpus) {
  EXPECT_DOUBLE_EQ(usd_per_day(2.0, 1), 48.0);
  EXPECT_DOUBLE_EQ(usd_per_day(1.89, 8), 362.88);
  EXPECT_DOUBLE_EQ(usd_per_day(0.0, 8), 0.0);
}

TEST(Cost, UnitsAtARate) {
  // $48 a day at 1000 tokens/s: 86.4 M tokens a day, $0.5556 per million.
  EXPECT_DOUBLE_EQ(*usd_per_1m_output_tokens(48.0, 1000.0), 48.0 / 86.4);
  // 2 images/s: 172,800 a day, $0.2778 per thousand.
  EXPECT_DOUBLE_EQ(*usd_per_1k_images(48.0, 2.0), 48.0 / 172.8);
  EXPECT_DOUBLE_EQ(*usd_per_1k_requests(48.0, 4.0), 48.0 / 345.6);
  EXPECT_DOUBLE_EQ(*usd_per_units_at_rate(86400.0, 1.0, 1.0), 1.0);  // $1 a second, 1 unit/s
  // Nothing produced: no cost per unit, never infinity or NaN.
  EXPECT_FALSE(usd_per_1m_output_tokens(48.0, 0.0).has_value());
  EXPECT_FALSE(usd_per_1k_images(48.0, -1.0).has_value());
  EXPECT_FALSE(usd_per_1k_requests(48.0, std::nan("")).has_value());
}

TEST(Cost, GpuHoursOfATrainingRun) {
  // 8 GPUs for 25.5 hours at $2/GPU-hour: 204 GPU-hours.
  EXPECT_DOUBLE_EQ(usd_for_gpu_hours(2.0, 8, 25.5), 408.0);
  EXPECT_DOUBLE_EQ(usd_for_gpu_hours(2.0, 8, 24.0), usd_per_day(2.0, 8));
  EXPECT_DOUBLE_EQ(usd_for_gpu_hours(2.0, 8, 0.0), 0.0);
}

TEST(Cost, TokenPrices) {
  // 1,000 prompt tokens at $2.50/M and 500 completion tokens at $10/M.
  EXPECT_DOUBLE_EQ(token_price_usd(2.5, 10.0, 1000, 500), 0.0025 + 0.005);
  EXPECT_DOUBLE_EQ(token_price_usd(2.5, 10.0, 0, 0), 0.0);
  EXPECT_DOUBLE_EQ(*usd_per(0.0075, 500, 1e6), 15.0);  // $ per million output tokens
  EXPECT_DOUBLE_EQ(*usd_per(0.3, 3, 1e3), 100.0);      // $ per thousand requests
  EXPECT_FALSE(usd_per(0.3, 0, 1e3).has_value());
}

}  // namespace
}  // namespace lmmbench::cost
