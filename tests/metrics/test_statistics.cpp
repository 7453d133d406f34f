#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/statistics.hpp"

namespace lmmbench::metrics {
namespace {

TEST(EstimateMean, MatchesHandComputation) {
  const std::vector<double> v = {1, 0, 1, 1};
  const auto e = estimate_mean(v);
  EXPECT_EQ(e.n, 4u);
  EXPECT_DOUBLE_EQ(e.mean, 0.75);
  // sample variance = (3 * 0.0625 + 0.5625) / 3 = 0.25; se = 0.5 / 2
  EXPECT_DOUBLE_EQ(e.standard_error, 0.25);
  EXPECT_DOUBLE_EQ(e.ci95[0], 0.75 - kZ95 * 0.25);
  EXPECT_DOUBLE_EQ(e.ci95[1], 0.75 + kZ95 * 0.25);
}

TEST(EstimateMean, SmallSamplesHaveNoStandardError) {
  const std::vector<double> one = {1.0};
  EXPECT_TRUE(std::isnan(estimate_mean(one).standard_error));
  EXPECT_TRUE(std::isnan(estimate_mean(std::vector<double>{}).mean));
}

}  // namespace
}  // namespace lmmbench::metrics

namespace lmmbench::metrics {
namespace {

TEST(Bootstrap, IsDeterministicForASeedAndCloseToTheAnalyticErrorForAMean) {
  std::vector<double> v;
  for (int i = 0; i < 400; ++i)
    v.push_back(i % 3 == 0 ? 1.0 : 0.0);
  auto mean_of = [&](std::span<const std::size_t> idx) {
    double s = 0;
    for (auto i : idx)
      s += v[i];
    return s / static_cast<double>(idx.size());
  };
  const auto a = bootstrap(v.size(), mean_of, 2000, 7);
  const auto b = bootstrap(v.size(), mean_of, 2000, 7);
  EXPECT_EQ(a.standard_error, b.standard_error);
  EXPECT_EQ(a.ci95, b.ci95);
  const double analytic = estimate_mean(v).standard_error;
  EXPECT_NEAR(a.standard_error, analytic, 0.1 * analytic);
  EXPECT_LT(a.ci95[0], estimate_mean(v).mean);
  EXPECT_GT(a.ci95[1], estimate_mean(v).mean);
  EXPECT_EQ(a.method(), "bootstrap (2000 resamples, seed 7)");
}

TEST(Bootstrap, DropsUndefinedReplicates) {
  auto undefined_if_first_is_zero = [](std::span<const std::size_t> idx) {
    return idx[0] == 0 ? std::nan("") : 1.0;
  };
  const auto e = bootstrap(2, undefined_if_first_is_zero, 100, 1);
  EXPECT_GT(e.dropped, 0u);
  EXPECT_LT(e.dropped, 100u);
  EXPECT_EQ(e.standard_error, 0.0);
}

TEST(Percentile, InterpolatesLikeNumpy) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(percentile(v, 50), 2.5);     // numpy.percentile([1,2,3,4], 50)
  EXPECT_DOUBLE_EQ(percentile(v, 2.5), 1.075);  // numpy.percentile([1,2,3,4], 2.5)
  EXPECT_DOUBLE_EQ(percentile(v, 100), 4.0);
  // Reference values from numpy.percentile(x, p) with the default method "linear".
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_DOUBLE_EQ(percentile(x, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(x, 90), 9.1);
  EXPECT_DOUBLE_EQ(percentile(x, 99), 9.91);
  const std::vector<double> one = {42};
  EXPECT_DOUBLE_EQ(percentile(one, 99.9), 42);
  EXPECT_THROW((void)percentile(std::vector<double>{}, 50), std::invalid_argument);
  EXPECT_THROW((void)percentile(x, 101), std::invalid_argument);
}

TEST(SplitMix64, BelowStaysInRange) {
  SplitMix64 rng(42);
  for (int i = 0; i < 10000; ++i)
    EXPECT_LT(rng.below(7), 7u);
}

}  // namespace
}  // namespace lmmbench::metrics
