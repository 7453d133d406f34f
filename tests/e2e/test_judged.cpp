// Judge-scored benchmarks through the real binary: `lmmbench score` on LLaVA review files and
// MM-Vet grade files, and `lmmbench run` refusing a judge-scored task that names no judge (the
// judge stage itself: test_judge_run.cpp).
#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const std::filesystem::path kShared = std::filesystem::path(LMMBENCH_SHARED_DIR) / "fixtures";
const std::filesystem::path kMetricFixtures = kSource / "tests/metrics/fixtures";

TEST(Judged, ScoresAShippedGpt4ReviewFileAsLlavasScriptPrintsIt) {
  const auto r = lmmbench({"score", "--metric", "llava_bench", "--input",
                           (kShared / "llava_gpt4_reviews/review_bard_vicuna-13b.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  // summarize_gpt_review.py: "all 98.7 83.0 81.9".
  EXPECT_EQ(std::round(result.at("score").get<double>() * 10) / 10, 98.7);
  EXPECT_EQ(std::round(result.at("metrics").at("answer1").get<double>() * 10) / 10, 83.0);
  EXPECT_EQ(std::round(result.at("metrics").at("answer2").get<double>() * 10) / 10, 81.9);
  EXPECT_EQ(result.at("n"), 80);
  EXPECT_EQ(result.at("unit"), "percent");
}

TEST(Judged, TheQuestionFileGivesReviewsTheirCategory) {
  TempDir dir;
  std::string stripped;
  std::istringstream lines(read_text(kMetricFixtures / "llava_bench.input.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    auto review = nlohmann::json::parse(line);
    review.erase("category");
    stripped += review.dump() + "\n";
  }
  write_text(dir.path() / "reviews.jsonl", stripped);
  const auto r = lmmbench({"score", "--metric", "llava_bench", "--input",
                           (dir.path() / "reviews.jsonl").string(), "--questions",
                           (kMetricFixtures / "llava_bench.questions.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result.at("breakdown").at("category").size(), 3U);
  EXPECT_EQ(result.at("breakdown").at("category").at("llava_bench_conv").at("n"), 20);
  EXPECT_EQ(result.at("n_unparsed"), 4);

  // A metric without a question file option says so.
  const auto bad = lmmbench({"score", "--metric", "exact_match", "--input",
                             (dir.path() / "reviews.jsonl").string(), "--questions",
                             (kMetricFixtures / "llava_bench.questions.jsonl").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("questions"), std::string::npos) << bad.err;
}

TEST(Judged, ScoresAnMmVetGradeFile) {
  const auto r = lmmbench(
      {"score", "--metric", "mmvet", "--input", (kMetricFixtures / "mmvet.input.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result.at("n"), 40);
  EXPECT_EQ(result.at("n_unparsed"), 2);
  EXPECT_EQ(result.at("metrics").at("n_runs"), 5);
  EXPECT_EQ(result.at("breakdown").at("capability").size(), 6U);
}

TEST(Judged, AReviewLineWithoutGradesIsAnInputErrorNamingTheLine) {
  TempDir dir;
  write_text(dir.path() / "reviews.jsonl",
             "{\"question_id\": 1, \"score\": [8, 9]}\n{\"question_id\": 2, \"text\": \"8 9\"}\n");
  const auto r = lmmbench(
      {"score", "--metric", "llava_bench", "--input", (dir.path() / "reviews.jsonl").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("reviews.jsonl:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("score"), std::string::npos) << r.err;
}

TEST(Judged, RunRefusesAJudgeScoredTaskWithoutAJudgeBeforeAnyInference) {
  TempDir dir;
  const nlohmann::json config = {
      {"name", "judged"},
      {"output_dir", "runs"},
      {"models", {{{"name", "yes"}, {"backend", "constant"}, {"options", {{"answer", "yes"}}}}}},
      {"tasks",
       {{{"name", "mmvet"},
         {"dataset", {{"format", "mmvet"}, {"path", "mm-vet.json"}}},
         {"metrics", {"mmvet"}}}}}};
  write_text(dir.path() / "run.json", config.dump(2));
  const auto r =
      lmmbench({"run", (dir.path() / "run.json").string(), "--out", (dir.path() / "run").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs a \"judge\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run.json:"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run/run.json"));
}

TEST(Judged, RejudgeWithoutAJudgedTaskIsAUsageError) {
  TempDir dir;
  const auto r = lmmbench({"run", (kSource / "tests/fixtures/tiny_vqa/tiny.run.json").string(),
                           "--out", (dir.path() / "run").string(), "--rejudge",
                           (kSource / "configs/models/constant-yes.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--rejudge: no selected task has a judge"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run/run.json"));
}

}  // namespace
}  // namespace lmmbench::testing
