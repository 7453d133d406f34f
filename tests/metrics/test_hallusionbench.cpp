// HallusionBench against the fixtures its official aggregation and VLMEvalKit's rating wrote
// (tests/metrics/reference/run_hallusionbench.py), plus focused tests.

#include <fstream>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/jsonl.hpp"
#include "core/sha256.hpp"
#include "metrics/hallusionbench.hpp"
#include "metrics/score_input.hpp"
#include "tests/metrics/fixture_check.hpp"

namespace lmmbench::metrics {
namespace {

const std::filesystem::path kSource = LMMBENCH_SOURCE_DIR;

nlohmann::json judge_fixture() {
  std::ifstream in(kSource / "tests/metrics/fixtures/hallusionbench.judge.expected.json");
  return nlohmann::json::parse(in);
}

std::string stored_prompt() {
  return read_file_bytes(kSource / "configs/judges/hallusionbench_judge_prompt.txt");
}

TEST(HallusionBenchJudge, TheStoredPromptAndTheRequestsAreTheOfficialOnes) {
  const auto expected = judge_fixture();
  EXPECT_EQ(sha256_hex(stored_prompt()), expected.at("prompt_sha256").get<std::string>());
  ASSERT_EQ(expected.at("requests").size(), 12U);
  for (const auto& r : expected.at("requests")) {
    EXPECT_EQ(HallusionBench::judge_request(stored_prompt(), r.at("question").get<std::string>(),
                                            r.at("gt_answer_details").get<std::string>(),
                                            r.at("prediction").get<std::string>()),
              r.at("request").get<std::string>())
        << r.at("id");
  }
}

// utils.py evaluate_by_chatgpt with scripted replies (run_hallusionbench_judge.py), then the
// official aggregation: every verdict, aAcc, fAcc, qAcc, easy/hard and per category.
TEST(HallusionBenchJudge, ScoresTheJudgesRepliesAsTheOfficialEvaluation) {
  const auto expected = judge_fixture();
  const HallusionBench metric(HallusionBench::Variant::judge);
  EXPECT_EQ(metric.info().reference, expected.at("reference").get<std::string>());
  EXPECT_TRUE(metric.info().needs_judge);
  const auto& per_sample = expected.at("per_sample");
  std::size_t i = 0;
  auto aggregator = metric.aggregator();
  for_each_jsonl_record(
      kSource / "tests/metrics/fixtures/hallusionbench.input.jsonl", [&](const ConfigNode& record) {
        auto item = parse_scoring_item(record, metric.info().required_fields);
        const auto& want = per_sample.at(i++);
        ASSERT_EQ(item.id, want.at("id").get<std::string>());
        if (!want.at("reply").is_null()) item.judge_replies = {want.at("reply").get<std::string>()};
        const auto s = metric.score(item);
        EXPECT_EQ(s.score, want.at("score").get<double>()) << item.id;
        EXPECT_EQ(s.extracted, want.at("extracted").get<std::string>()) << item.id;
        aggregator->add(item, s);
      });
  EXPECT_EQ(i, per_sample.size());
  const nlohmann::json result = aggregator->finish();
  const auto& aggregate = expected.at("aggregate");
  EXPECT_EQ(result.at("n_missing"), aggregate.at("n_missing"));
  EXPECT_EQ(result.at("n_unparsed"), aggregate.at("n_unparsed"));
  EXPECT_NEAR(result.at("score").get<double>(), aggregate.at("score").get<double>(), 1e-9);
  for (const auto& [name, value] : aggregate.at("metrics").items())
    EXPECT_NEAR(result.at("metrics").at(name).get<double>(), value.get<double>(), 1e-9) << name;
  for (const auto& [category, cell] : aggregate.at("breakdown").at("category").items()) {
    const auto& got = result.at("breakdown").at("category").at(category);
    EXPECT_EQ(got.at("n"), cell.at("n"));
    for (const char* name : {"aAcc", "fAcc", "qAcc"})
      EXPECT_NEAR(got.at(name).get<double>(), cell.at(name).get<double>(), 1e-9) << category;
  }
}

TEST(HallusionBenchJudge, RepliesAreReadAsTheOfficialCode) {
  EXPECT_EQ(HallusionBench::judge_code("Correct."), 1);
  EXPECT_EQ(HallusionBench::judge_code("INCORRECT"), 0);
  EXPECT_EQ(HallusionBench::judge_code("incorrectly correct"),
            0);  // "incorrect" is looked for first
  EXPECT_EQ(HallusionBench::judge_code("unclear"), 2);
  EXPECT_EQ(HallusionBench::judge_code(""), 2);
  EXPECT_EQ(HallusionBench::judge_code("\u0130NCORRECT"), 1);  // lower(): "i̇ncorrect"
  const HallusionBench metric(HallusionBench::Variant::judge);
  ScoringItem item;
  item.id = "VS_chart_0_0_0";
  item.prediction = "Yes";
  item.answers = {"0"};
  item.category = "VS";
  item.fields = {{"subcategory", "chart"},
                 {"set_id", "0"},
                 {"figure_id", "0"},
                 {"question_id", "0"},
                 {"visual_input", "0"}};
  EXPECT_THROW((void)metric.score(item), InputError);  // no reply: the judge was not asked
  item.judge_replies = {"unclear"};  // VS without a figure: unclear counts as right
  EXPECT_EQ(metric.score(item).score, 1.0);
  EXPECT_EQ(metric.score(item).status, ParseStatus::unparsed);
}

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
