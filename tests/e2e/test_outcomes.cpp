// A run that did not measure does not pass (docs/ci.md, "Outcomes and the error budget"): the real
// binary on the quickstart's open task, with a replayed model whose answers are missing (a failed
// sample, error kind "missing") or empty. Failed samples over the cell's error budget make the
// cell too_many_errors, a JUnit failure and exit code 1; every header counts the answered
// samples; a score over no answers is "no answers", never 0; empty answers are counted apart.
#include <gtest/gtest.h>

#include "report_support.hpp"

namespace lmmbench::testing {
namespace {

class Outcomes : public ::testing::Test {
 protected:
  void SetUp() override {
    run_config(write_run_config(dir_.path(), "oracle",
                                {{{"name", "oracle"}, {"backend", "oracle"}}}, 2026, {kOpenTask}),
               dir_.path() / "oracle");
    answers_ = logged_answers(dir_.path() / "oracle", "oracle");
    ASSERT_EQ(answers_.size(), 300u);
  }

  /// Runs the open task with a replay of `answers` under the name "model"; `run_fields` go into
  /// the run config, `task` replaces the task list.
  ProcessResult run(const std::map<std::string, std::string>& answers,
                    const nlohmann::json& run_fields = nlohmann::json::object(),
                    std::vector<std::filesystem::path> tasks = {kOpenTask}) {
    write_answers(dir_.path() / "answers.jsonl", answers);
    auto config = write_run_config(
        dir_.path(), "replay",
        nlohmann::json::array({replay_model("model", dir_.path() / "answers.jsonl")}), 2026, tasks);
    auto j = nlohmann::json::parse(read_text(config));
    j.merge_patch(run_fields);
    write_text(config, j.dump(2));
    out_ = dir_.path() / ("run" + std::to_string(++runs_));
    return lmmbench({"run", config.string(), "--out", out_.string(), "--quiet"});
  }

  nlohmann::json cell() const {
    return nlohmann::json::parse(read_text(out_ / "run.json")).at("cells").at(0);
  }

  /// The answers without the first `n` samples.
  std::map<std::string, std::string> missing(std::size_t n) const {
    auto copy = answers_;
    for (std::size_t i = 0; i < n; ++i)
      copy.erase(copy.begin());
    return copy;
  }

  TempDir dir_;
  std::map<std::string, std::string> answers_;
  std::filesystem::path out_;
  int runs_ = 0;
};

TEST_F(Outcomes, FailedSamplesFailTheCellTheJunitCaseAndTheRun) {
  const auto r = run(missing(3));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("error: 1 cell is over the error budget (max_error_rate)"),
            std::string::npos)
      << r.err;
  const auto c = cell();
  EXPECT_EQ(c["outcome"], "too_many_errors");
  EXPECT_EQ(c["max_error_rate"], 0.0);
  EXPECT_EQ(c["message"],
            "3 of 300 samples failed (1.0 %: 3 missing), over the error budget of 0 % "
            "(max_error_rate)");
  EXPECT_EQ(c["counts"]["ok"], 297);
  // Still scored: the table shows the score, the failures and the verdict on the budget.
  EXPECT_TRUE(c["scores"][0]["score"].is_number());
  EXPECT_NE(r.out.find("297 of 300 samples answered · 1 cell over the error budget"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(3 err) ✗ over error budget |"), std::string::npos) << r.out;
  const auto junit = read_text(out_ / "junit.xml");
  EXPECT_NE(junit.find("<testsuites name=\"lmmbench\" tests=\"1\" failures=\"1\""),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("<failure type=\"too_many_errors\" message=\"over the error budget: 3 of "
                       "300 samples failed"),
            std::string::npos)
      << junit;
  for (const char* file : {"summary.md", "report.html"}) {
    EXPECT_NE(read_text(out_ / file).find("297 of 300 samples answered"), std::string::npos)
        << file;
  }
  // `lmmbench report` renders the saved record the same way.
  const auto again = lmmbench({"report", out_.string(), "--md", "-"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("✗ over error budget"), std::string::npos) << again.out;
}

TEST_F(Outcomes, AnErrorBudgetLetsThatShareFailAndATaskCanTightenIt) {
  auto r = run(missing(3), {{"max_error_rate", 0.05}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cell()["outcome"], "ok");
  EXPECT_EQ(cell()["max_error_rate"], 0.05);
  EXPECT_NE(r.out.find("297 of 300 samples answered\n"), std::string::npos) << r.out;
  EXPECT_NE(read_text(out_ / "junit.xml").find("failures=\"0\""), std::string::npos);

  std::filesystem::create_directories(dir_.path() / "strict");
  const auto strict = task_copy(kOpenTask, dir_.path() / "strict",
                                [](nlohmann::json& t) { t["max_error_rate"] = 0.005; });
  r = run(missing(3), {{"max_error_rate", 0.05}}, {strict});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(cell()["outcome"], "too_many_errors");
  EXPECT_EQ(cell()["max_error_rate"], 0.005);
}

TEST_F(Outcomes, AScoreOverNoAnswersIsNoAnswersNeverZero) {
  const auto r = run({});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto c = cell();
  EXPECT_EQ(c["outcome"], "too_many_errors");
  EXPECT_EQ(c["counts"]["ok"], 0);
  for (const auto& score : c["scores"]) {
    EXPECT_TRUE(score["score"].is_null()) << score.dump();
    EXPECT_TRUE(score["stderr"].is_null()) << score.dump();
    EXPECT_EQ(score["ci95"], nlohmann::json::array({nullptr, nullptr}));
  }
  EXPECT_NE(r.out.find("0 of 300 samples answered"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| model | no answers (300 err) ✗ over error budget |"), std::string::npos)
      << r.out;
  for (const char* file : {"summary.md", "report.html", "junit.xml"}) {
    const auto text = read_text(out_ / file);
    EXPECT_NE(text.find("no answers"), std::string::npos) << file;
    EXPECT_EQ(text.find("0.00 [0.00, 0.00]"), std::string::npos) << file;
  }
  // CSV: the score rows have no value, and say nothing was answered.
  const auto csv = read_text(out_ / "results.csv");
  EXPECT_NE(csv.find(",too_many_errors,vqa,official,score,,percent,,,,300,300,0,300,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",0,0,,\r\n"), std::string::npos) << csv;  // answered 0, empty 0
}

TEST_F(Outcomes, EmptyAnswersAreCountedApart) {
  auto answers = answers_;
  std::size_t n = 0;
  for (auto& [id, prediction] : answers) {
    if (n++ < 5) prediction = "  ";
  }
  const auto r = run(answers);
  EXPECT_EQ(r.exit_code, 0) << r.err;  // an empty answer is an answer (wrong), not a failure
  const auto c = cell();
  EXPECT_EQ(c["outcome"], "ok");
  EXPECT_EQ(c["counts"]["ok"], 300);
  EXPECT_EQ(c["counts"]["empty"], 5);
  EXPECT_NE(r.out.find("(5 empty"), std::string::npos) << r.out;
  EXPECT_NE(read_text(out_ / "report.html").find("5 empty"), std::string::npos);
}

TEST_F(Outcomes, AnErrorBudgetOutsideZeroToOneIsAnInputError) {
  const auto r = run(answers_, {{"max_error_rate", 5}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("replay.run.json:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("field /max_error_rate: max_error_rate must be a share of the samples "
                       "between 0 and 1 (0.05 = 5 %), not 5"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
