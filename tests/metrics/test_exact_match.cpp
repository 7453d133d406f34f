#include <gtest/gtest.h>

#include "metrics/exact_match.hpp"

namespace lmmbench::metrics {
namespace {

ScoringItem item(std::optional<std::string> prediction, std::vector<std::string> answers,
                 std::string category = "") {
  ScoringItem i;
  i.id = "x";
  i.prediction = std::move(prediction);
  i.answers = std::move(answers);
  i.category = std::move(category);
  return i;
}

TEST(ExactMatch, IgnoresCaseSurroundingSpaceAndOneFinalPeriod) {
  const ExactMatch m;
  EXPECT_EQ(m.score(item(" Red.\n", {"red"})).score, 1.0);
  EXPECT_EQ(m.score(item("red", {"blue", "RED"})).score, 1.0);
  EXPECT_EQ(m.score(item("dark red", {"red"})).score, 0.0);
  EXPECT_EQ(m.score(item("red..", {"red"})).score, 0.0);
}

TEST(ExactMatch, CaseSensitiveVariant) {
  const ExactMatch m(true);
  EXPECT_EQ(m.score(item("Red", {"red"})).score, 0.0);
  EXPECT_EQ(m.score(item("red", {"red"})).score, 1.0);
}

TEST(ExactMatch, MissingPredictionIsCountedNotGuessed) {
  const ExactMatch m;
  const auto s = m.score(item(std::nullopt, {"red"}));
  EXPECT_EQ(s.status, ParseStatus::missing);
  EXPECT_EQ(s.score, 0.0);
}

TEST(ExactMatch, AggregateIsPercentMeanWithBreakdown) {
  const ExactMatch m;
  auto agg = m.aggregator();
  const std::vector<ScoringItem> items = {item("a", {"a"}, "x"), item("b", {"a"}, "x"),
                                          item("a", {"a"}, "y"), item(std::nullopt, {"a"}, "y")};
  for (const auto& i : items)
    agg->add(i, m.score(i));
  const auto r = agg->finish();
  EXPECT_EQ(r.n, 4u);
  EXPECT_EQ(r.n_missing, 1u);
  EXPECT_DOUBLE_EQ(r.score, 50.0);
  // sample sd of {1,0,1,0} = sqrt(1/3); se = sd / 2
  EXPECT_NEAR(r.standard_error, 100.0 * std::sqrt(1.0 / 3.0) / 2.0, 1e-12);
  EXPECT_EQ(r.breakdown.at("category").at("x").n, 2u);
  EXPECT_DOUBLE_EQ(r.breakdown.at("category").at("y").values.at(0).value, 50.0);
}

}  // namespace
}  // namespace lmmbench::metrics
