#include <cmath>

#include <gtest/gtest.h>

#include "metrics/paired.hpp"

namespace lmmbench::metrics {
namespace {

TEST(McNemar, ExactPValuesMatchHandComputation) {
  // b = 3, c = 12: p = 2 * (C(15,0) + C(15,1) + C(15,2) + C(15,3)) / 2^15 = 2 * 576 / 32768.
  EXPECT_NEAR(mcnemar_exact_p(3, 12), 0.03515625, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(12, 3), 0.03515625, 1e-12);
  // b = c: the tail includes the middle term, so p is capped at 1.
  EXPECT_EQ(mcnemar_exact_p(5, 5), 1.0);
  EXPECT_EQ(mcnemar_exact_p(0, 0), 1.0);
  // b = 0, c = 10: 2 / 1024.
  EXPECT_NEAR(mcnemar_exact_p(0, 10), 2.0 / 1024.0, 1e-15);
  // Large counts neither overflow nor underflow to NaN.
  const double p = mcnemar_exact_p(4000, 4400);
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 1e-3);
}

TEST(ComparePaired, BinaryScoresUseMcNemar) {
  std::vector<std::pair<double, double>> pairs;
  for (int i = 0; i < 50; ++i)
    pairs.emplace_back(1.0, 1.0);
  for (int i = 0; i < 3; ++i)
    pairs.emplace_back(1.0, 0.0);
  for (int i = 0; i < 12; ++i)
    pairs.emplace_back(0.0, 1.0);
  const auto c = compare_paired(pairs);
  EXPECT_EQ(c.method, "mcnemar-exact");
  EXPECT_EQ(c.n, 65u);
  EXPECT_EQ(c.baseline_only, 3u);
  EXPECT_EQ(c.new_only, 12u);
  EXPECT_NEAR(c.p_value, 0.03515625, 1e-12);
  EXPECT_NEAR(c.difference, 9.0 / 65.0, 1e-12);
  EXPECT_LT(c.ci95[0], c.difference);
  EXPECT_GT(c.ci95[1], c.difference);
}

TEST(ComparePaired, GradedScoresUseAPairedBootstrap) {
  std::vector<std::pair<double, double>> same;
  std::vector<std::pair<double, double>> better;
  for (int i = 0; i < 200; ++i) {
    const double a = (i % 10) / 10.0;
    same.emplace_back(a, i % 2 ? a + 0.3 : a - 0.3);
    better.emplace_back(a, a + 0.3 * ((i % 3) != 0));
  }
  const auto s = compare_paired(same, 2000, 1);
  EXPECT_EQ(s.method, "paired bootstrap (2000 resamples, seed 1)");
  EXPECT_NEAR(s.difference, 0.0, 1e-12);
  EXPECT_GT(s.p_value, 0.5);
  const auto b = compare_paired(better, 2000, 1);
  EXPECT_NEAR(b.difference, 0.2, 1e-9 + 0.3 / 200.0);
  EXPECT_LT(b.p_value, 0.01);
  EXPECT_GT(b.ci95[0], 0.0);
  EXPECT_EQ(compare_paired(better, 2000, 1).ci95, b.ci95);  // seeded: reproducible
}

TEST(ComparePaired, PairsOnlySharedIds) {
  const std::vector<std::pair<std::string, double>> base = {{"a", 1.0}, {"b", 0.0}, {"c", 1.0}};
  const std::map<std::string, double> next = {{"c", 0.0}, {"a", 1.0}, {"z", 1.0}};
  EXPECT_EQ(pair_by_id(base, next),
            (std::vector<std::pair<double, double>>{{1.0, 1.0}, {1.0, 0.0}}));
}

}  // namespace
}  // namespace lmmbench::metrics
