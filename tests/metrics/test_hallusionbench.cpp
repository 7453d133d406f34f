// HallusionBench against the fixtures its official aggregation and VLMEvalKit's rating wrote
// (tests/metrics/reference/run_hallusionbench.py), plus focused tests.

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/hallusionbench.hpp"
#include "tests/metrics/fixture_check.hpp"

namespace lmmbench::metrics {
namespace {

TEST(ReferenceFixtures, HallusionBenchOfficial) {
  fixture_check::check_reference_fixture(
      "hallusionbench.input.jsonl", "hallusionbench.expected.json", &HallusionBench::create, "");
}

TEST(ReferenceFixtures, HallusionBenchVlmEvalKit) {
  fixture_check::check_reference_fixture("hallusionbench.input.jsonl",
                                         "hallusionbench.vlmevalkit.expected.json",
                                         &HallusionBench::create, "vlmevalkit");
}

TEST(HallusionBench, YesNoReadingFollowsVlmEvalKit) {
  EXPECT_EQ(HallusionBench::read_yes_no("Yes, it is."), "Yes");
  EXPECT_EQ(HallusionBench::read_yes_no("No."), "No");
  EXPECT_EQ(HallusionBench::read_yes_no("Yes and no."), "Unknown");
  EXPECT_EQ(HallusionBench::read_yes_no("yes-no"), "Unknown");  // '-' becomes a space
  EXPECT_EQ(HallusionBench::read_yes_no("yes - no"), "Unknown");
  EXPECT_EQ(HallusionBench::read_yes_no("nope"), "Unknown");
  EXPECT_EQ(HallusionBench::read_yes_no("5.no"), "Unknown");  // a period after a digit stays
}

ScoringItem question(const char* category, const char* figure, std::optional<std::string> answer,
                     const char* gold) {
  ScoringItem i;
  i.id = std::string(category) + figure;
  i.prediction = std::move(answer);
  i.answers = {gold};
  i.category = category;
  i.fields = {{"subcategory", "chart"},
              {"set_id", "0"},
              {"figure_id", figure},
              {"question_id", "0"},
              {"visual_input", "1"}};
  return i;
}

TEST(HallusionBench, UnclearWithoutAFigureCountsAsRightOnlyInTheOfficialVariant) {
  const HallusionBench official;
  const HallusionBench vlm(HallusionBench::Variant::vlmevalkit);
  const auto unclear = question("VS", "0", "I cannot tell.", "1");
  EXPECT_EQ(official.score(unclear).score, 1.0);
  EXPECT_EQ(official.score(unclear).status, ParseStatus::unparsed);
  EXPECT_EQ(vlm.score(unclear).score, 0.0);
  EXPECT_EQ(official.score(question("VD", "0", "I cannot tell.", "1")).score, 0.0);
  EXPECT_EQ(official.score(question("VS", "0", std::nullopt, "1")).score, 0.0);  // missing
}

TEST(HallusionBench, PairsAndFiguresNeedAllTheirQuestionsRight) {
  const HallusionBench official;
  auto aggregator = official.aggregator();
  for (const auto& item : {question("VD", "0", "Yes", "1"), question("VD", "1", "Yes", "0")})
    aggregator->add(item, official.score(item));
  const MetricResult r = aggregator->finish();
  EXPECT_DOUBLE_EQ(r.score, 50.0);
  EXPECT_DOUBLE_EQ(r.metrics[1].value, 50.0);  // fAcc: figure 0 right, figure 1 wrong
  EXPECT_DOUBLE_EQ(r.metrics[2].value, 0.0);   // qAcc: the pair is not all right
}

TEST(HallusionBench, BadGoldAndDuplicateKeysAreInputErrors) {
  const HallusionBench official;
  EXPECT_THROW((void)official.score(question("VD", "0", "Yes", "maybe")), InputError);
  auto aggregator = official.aggregator();
  const auto item = question("VD", "0", "Yes", "1");
  aggregator->add(item, official.score(item));
  aggregator->add(item, official.score(item));
  EXPECT_THROW((void)aggregator->finish(), InputError);
}

}  // namespace
}  // namespace lmmbench::metrics
