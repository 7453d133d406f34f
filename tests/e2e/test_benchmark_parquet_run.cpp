// The shipped task configs of benchmarks read from lmms-lab's parquet files (MMMU, ...), run end to
// end by `lmmbench run` on files tests/datasets/make_benchmark_parquet.py writes in their layouts,
// with answers replayed from a JSONL: the config's mapping, prompt and metric, and the report's
// breakdown.
#include <cstdlib>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

class BenchmarkParquetRun : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string make = "PYTHONPATH='" LMMBENCH_ARROW_PYTHONPATH "' '" LMMBENCH_PYTHON "' '" +
                             (kSource / "tests/datasets/make_benchmark_parquet.py").string() +
                             "' '" + (dir.path() / "data").string() + "'";
    ASSERT_EQ(std::system(make.c_str()), 0) << make;
    // The shipped task configs read their data from $LMMBENCH_DATA (inherited by lmmbench).
    ::setenv("LMMBENCH_DATA", (dir.path() / "data").c_str(), 1);
    // The images extracted from the parquet files go to $XDG_CACHE_HOME/lmmbench/images.
    ::setenv("XDG_CACHE_HOME", (dir.path() / "cache").c_str(), 1);
  }

  /// Runs the shipped task `task` with the replay backend answering `answers` ({id: text}) and
  /// returns the run record's only cell. A judged task's judge is a replay backend too, replying
  /// `judge_replies` ({id: text}) in place of the task's judge model.
  nlohmann::json run(const std::string& task, const nlohmann::json& answers,
                     const nlohmann::json& judge_replies = nullptr) {
    std::string lines;
    for (const auto& [id, text] : answers.items())
      lines += nlohmann::json{{"id", id}, {"prediction", text}}.dump() + "\n";
    write_text(dir.path() / "answers.jsonl", lines);
    nlohmann::json config = {{"name", "bench"},
                             {"output_dir", "runs"},
                             {"models",
                              {{{"name", "replayed"},
                                {"backend", "replay"},
                                {"options", {{"path", (dir.path() / "answers.jsonl").string()}}}}}},
                             {"tasks", {(kSource / "configs/tasks" / (task + ".json")).string()}}};
    if (!judge_replies.is_null()) {
      const auto shipped = nlohmann::json::parse(
          read_text(kSource / "configs/tasks" / (task + ".json")), nullptr, true, true);
      std::string replies;
      for (const auto& [id, text] : judge_replies.items()) {
        replies += nlohmann::json{{"task", shipped.at("name").get<std::string>() + "/judge"},
                                  {"sample_id", "replayed/" + id + "/run0/ask0"},
                                  {"prediction", text}}
                       .dump() +
                   "\n";
      }
      write_text(dir.path() / "replies.jsonl", replies);
      config["judge"] = {{"name", "judge-replayed"},
                         {"backend", "replay"},
                         {"options", {{"path", (dir.path() / "replies.jsonl").string()}}}};
    }
    write_text(dir.path() / "run.json", config.dump(2));
    const auto r =
        lmmbench({"run", (dir.path() / "run.json").string(), "--out", out().string(), "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(read_text(out() / "run.json")).at("cells").at(0);
  }

  std::filesystem::path out() const { return dir.path() / "run"; }

  TempDir dir;
};

TEST_F(BenchmarkParquetRun, MmmuValidationScoresPerDisciplineAndSubject) {
  const auto cell = run("mmmu_val", {{"validation_Art_1", "(A)"},
                                     {"validation_Art_2", "I am not sure"},
                                     {"validation_Math_1", "The answer is 3.429"},
                                     {"validation_Math_2", "13"},
                                     {"validation_Physics_1", "B"}});
  ASSERT_EQ(cell.at("counts").at("ok"), 5) << cell.dump(2);
  const auto& score = cell.at("scores").at(0);
  EXPECT_EQ(score.at("metric"), "mmmu");
  EXPECT_EQ(score.at("variant"), "official");
  // Right: Art_1 (the letter), Math_1 (one of the gold list stored as its Python repr).
  EXPECT_NEAR(score.at("score").get<double>(), 40.0, 1e-9) << score.dump(2);
  EXPECT_EQ(score.at("n_unparsed"), 1);  // Art_2: no letter, and no random one
  const auto& breakdown = score.at("breakdown");
  EXPECT_NEAR(breakdown.at("discipline").at("Art and Design").at("accuracy").get<double>(), 50.0,
              1e-9);
  EXPECT_NEAR(breakdown.at("discipline").at("Science").at("accuracy").get<double>(), 100.0 / 3,
              1e-9);
  EXPECT_EQ(breakdown.at("subject").at("Math").at("n"), 2);
  EXPECT_EQ(breakdown.at("question_type").at("open").at("n"), 2);
  // The HTML report shows the breakdown.
  const auto report =
      lmmbench({"report", out().string(), "--html", (dir.path() / "r.html").string()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string html = read_text(dir.path() / "r.html");
  EXPECT_NE(html.find("Art and Design"), std::string::npos);
  EXPECT_NE(html.find("Physics"), std::string::npos);
}

TEST_F(BenchmarkParquetRun, OcrBenchScoresPointsPerTypeAndDataset) {
  // Rows by position (the parquet has no id column): IIIT5K "CENTRE", an HME100k formula, a
  // docVQA year.
  const auto cell =
      run("ocrbench", {{"0", "The word is Centre."}, {"1", "$x_1=2$"}, {"2", "It was 1998."}});
  ASSERT_EQ(cell.at("counts").at("ok"), 3) << cell.dump(2);
  const auto& score = cell.at("scores").at(0);
  EXPECT_EQ(score.at("metric"), "ocrbench");
  EXPECT_EQ(score.at("unit"), "points");
  EXPECT_EQ(score.at("score").get<double>(), 2.0) << score.dump(2);
  EXPECT_EQ(score.at("metrics").at("text_recognition").get<double>(), 1.0);
  const auto& breakdown = score.at("breakdown");
  EXPECT_EQ(breakdown.at("subtask").at("HME100k").at("points").get<double>(), 1.0);
  EXPECT_EQ(breakdown.at("category").at("Doc-oriented VQA").at("points").get<double>(), 0.0);
}

TEST_F(BenchmarkParquetRun, HallusionBenchReportsQuestionFigureAndPairAccuracy) {
  // VD set 0: figure 0 right, figure 1 wrong; VS set 1: both right.
  const auto cell =
      run("hallusionbench",
          {{"0", "Yes, it is."}, {"1", "Yes."}, {"2", "Yes"}, {"3", "No, it is not."}});
  ASSERT_EQ(cell.at("counts").at("ok"), 4) << cell.dump(2);
  const auto& score = cell.at("scores").at(0);
  EXPECT_EQ(score.at("metric"), "hallusionbench");
  EXPECT_NEAR(score.at("score").get<double>(), 75.0, 1e-9) << score.dump(2);
  const auto& metrics = score.at("metrics");
  EXPECT_NEAR(metrics.at("fAcc").get<double>(), 75.0, 1e-9);  // 3 of 4 figures
  EXPECT_NEAR(metrics.at("qAcc").get<double>(), 50.0, 1e-9);  // 1 of 2 question pairs
  EXPECT_NEAR(score.at("breakdown").at("category").at("VS").at("qAcc").get<double>(), 100.0, 1e-9);
}

TEST_F(BenchmarkParquetRun, MathVistaNormalisesEachAnswerType) {
  // A letter for the choice, an integer written as a float, a float rounded to its precision
  // (2), a list with other spacing (wrong: lists compare as text).
  const auto cell =
      run("mathvista_testmini", {{"1", "B"}, {"2", "3.0"}, {"3", "1.249"}, {"4", "[1,2]"}});
  ASSERT_EQ(cell.at("counts").at("ok"), 4) << cell.dump(2);
  const auto& score = cell.at("scores").at(0);
  EXPECT_EQ(score.at("metric"), "mathvista");
  EXPECT_NEAR(score.at("score").get<double>(), 75.0, 1e-9) << score.dump(2);
  EXPECT_NEAR(score.at("breakdown").at("answer_type").at("list").at("accuracy").get<double>(), 0.0,
              1e-9);
  EXPECT_EQ(score.at("breakdown").at("question_type").at("free_form").at("n"), 3);
  // The metadata struct's members: category, task, skills (a list: each skill counts).
  EXPECT_EQ(score.at("breakdown").at("category").at("general-vqa").at("n"), 1);
  EXPECT_EQ(score.at("breakdown").at("task").at("figure question answering").at("n"), 4);
  EXPECT_EQ(score.at("breakdown").at("skills").at("arithmetic reasoning").at("n"), 4);
  EXPECT_EQ(score.at("breakdown").at("skills").at("statistical reasoning").at("n"), 2);
}

TEST_F(BenchmarkParquetRun, MathVistaJudgeTaskAsksTheJudgeWithTheQueryOnlyForOpenAnswers) {
  // 1: a choice's text and 3: a float Python reads are settled by the official rules; 2 and 4 go
  // to the judge, whose extractions "3" and "[1, 2]" are right.
  const auto cell = run("mathvista_testmini_judge",
                        {{"1", "green"},
                         {"2", "There are 3 bars."},
                         {"3", "1.249"},
                         {"4", "The heights are 1 and 2."}},
                        {{"1", "red"}, {"2", "3"}, {"3", "9"}, {"4", "[1, 2]"}});
  ASSERT_EQ(cell.at("counts").at("ok"), 4) << cell.dump(2);
  EXPECT_EQ(cell.at("judge").at("requests"), 2) << cell.dump(2);
  const auto& score = cell.at("scores").at(0);
  EXPECT_EQ(score.at("variant"), "judge");
  EXPECT_NEAR(score.at("score").get<double>(), 100.0, 1e-9) << score.dump(2);
  // The model was asked the official query column; the judge got create_test_prompt's text.
  const std::string log = read_text(out() / "judgments.jsonl");
  EXPECT_NE(log.find("\\n\\nquery\\n\\nThere are 3 bars.\\n\\nExtracted answer: \""),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("1.249"), std::string::npos);
}

TEST_F(BenchmarkParquetRun, HallusionBenchJudgeTaskGradesWithTheReferenceDetails) {
  // Judge: 0 correct, 1 incorrect, 2 correct, 3 unclear (unparsed and wrong: VS with a figure).
  const auto cell =
      run("hallusionbench_judge", {{"0", "Yes."}, {"1", "Maybe."}, {"2", "Yes"}, {"3", "Hm."}},
          {{"0", "correct"}, {"1", "Incorrect."}, {"2", "Correct"}, {"3", "unclear"}});
  ASSERT_EQ(cell.at("counts").at("ok"), 4) << cell.dump(2);
  EXPECT_EQ(cell.at("judge").at("requests"), 4);
  EXPECT_EQ(cell.at("judge").at("unparsed"), 1);
  const auto& score = cell.at("scores").at(0);
  EXPECT_EQ(score.at("variant"), "judge");
  EXPECT_NEAR(score.at("score").get<double>(), 50.0, 1e-9) << score.dump(2);
  EXPECT_EQ(score.at("n_unparsed"), 1);
  const std::string log = read_text(out() / "judgments.jsonl");
  EXPECT_NE(log.find("Question:Is the left circle larger?\\nReference answer: details\\nPrediction "
                     "answer:Maybe.\\nOutput:"),
            std::string::npos)
      << log;
}

TEST_F(BenchmarkParquetRun, AStructMemberThatIsNotThereNamesFileRowAndColumn) {
  auto task = nlohmann::json::parse(read_text(kSource / "configs/tasks/mathvista_testmini.json"),
                                    nullptr, true, /*ignore_comments=*/true);
  task["dataset"]["fields"]["meta"]["grade"] = "metadata.grades";
  task["dataset"]["path"] = (dir.path() / "data/mathvista/testmini.parquet").string();
  write_text(dir.path() / "task.json", task.dump(2));
  const nlohmann::json config = {
      {"name", "bad"},
      {"output_dir", "runs"},
      {"models", {{{"name", "c"}, {"backend", "constant"}, {"options", {{"answer", "A"}}}}}},
      {"tasks", {(dir.path() / "task.json").string()}}};
  write_text(dir.path() / "run.json", config.dump(2));
  const auto r =
      lmmbench({"run", (dir.path() / "run.json").string(), "--out", out().string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("testmini.parquet:1: field metadata: the struct has no member 'grades'"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
