// Percent agreement and Cohen's kappa between two judges' verdicts.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/agreement.hpp"

namespace lmmbench::metrics {
namespace {

std::vector<std::string> repeat(std::vector<std::pair<std::string, int>> runs) {
  std::vector<std::string> out;
  for (const auto& [label, count] : runs)
    out.insert(out.end(), static_cast<std::size_t>(count), label);
  return out;
}

TEST(Agreement, CohensKappaOfATwoByTwoTable) {
  // 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15. p_o = 0.7; A says yes
  // half the time, B 60 %: p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4.
  const auto a = repeat({{"yes", 20}, {"yes", 5}, {"no", 10}, {"no", 15}});
  const auto b = repeat({{"yes", 20}, {"no", 5}, {"yes", 10}, {"no", 15}});
  const auto r = agreement(a, b);
  EXPECT_EQ(r.n, 50U);
  EXPECT_NEAR(r.percent, 70.0, 1e-12);
  EXPECT_NEAR(r.kappa, 0.4, 1e-12);
}

TEST(Agreement, PerfectAndChanceAgreement) {
  const std::vector<std::string> grades = {"0.0", "0.5", "1.0", "0.5"};
  EXPECT_NEAR(agreement(grades, grades).kappa, 1.0, 1e-12);
  // Labels independent of each other: observed = chance = 0.5, kappa 0.
  const std::vector<std::string> a = {"x", "x", "y", "y"};
  const std::vector<std::string> b = {"x", "y", "x", "y"};
  EXPECT_NEAR(agreement(a, b).percent, 50.0, 1e-12);
  EXPECT_NEAR(agreement(a, b).kappa, 0.0, 1e-12);
  // One label everywhere: chance agreement is 1 and kappa is undefined, not 1.
  const std::vector<std::string> same = {"1.0", "1.0"};
  EXPECT_EQ(agreement(same, same).percent, 100.0);
  EXPECT_TRUE(std::isnan(agreement(same, same).kappa));
  EXPECT_TRUE(std::isnan(agreement({}, {}).percent));
  EXPECT_THROW((void)agreement(a, same), std::invalid_argument);
}

}  // namespace
}  // namespace lmmbench::metrics
