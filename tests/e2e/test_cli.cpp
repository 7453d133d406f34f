// The CLI's other subcommands, run as a user runs them.
#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

TEST(Cli, ListsMetricsModelsAndTasks) {
  auto r = lmmbench({"list", "metrics"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("exact_match"), std::string::npos);
  EXPECT_NE(r.out.find("multiple_choice"), std::string::npos);

  r = lmmbench({"list", "models", "--config-dir", (kSource / "configs").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"oracle", "prior", "constant-yes", "random-choice", "replay"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name << "\n" << r.out;
  }
  r = lmmbench({"list", "tasks"}, kSource);  // default config dir: ./configs
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("synthetic-open"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("synthetic-mc"), std::string::npos) << r.out;

  r = lmmbench({"list", "gadgets"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, ScoresAJsonlFileAndWritesPerSampleScores) {
  TempDir dir;
  write_text(dir.path() / "in.jsonl",
             R"({"id": 1, "prediction": "Red.", "answers": ["red"], "category": "colour"}
{"id": 2, "prediction": "blue", "answers": ["green"], "category": "colour"}
{"id": 3, "prediction": null, "answers": ["yes"], "category": "yes/no"}
)");
  const auto r =
      lmmbench({"score", "--metric", "exact_match", "--input", (dir.path() / "in.jsonl").string(),
                "--per-sample", (dir.path() / "out.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result["metric"], "exact_match");
  EXPECT_EQ(result["n"], 3);
  EXPECT_EQ(result["n_missing"], 1);
  EXPECT_NEAR(result["score"].get<double>(), 100.0 / 3.0, 1e-12);
  EXPECT_EQ(result["unit"], "percent");
  EXPECT_EQ(result["breakdown"]["category"]["colour"]["n"], 2);
  EXPECT_EQ(result["ci95"].size(), 2u);
  EXPECT_EQ(read_text(dir.path() / "out.jsonl"),
            "{\"extracted\":\"red\",\"id\":\"1\",\"score\":1.0}\n"
            "{\"extracted\":\"blue\",\"id\":\"2\",\"score\":0.0}\n"
            "{\"extracted\":\"\",\"id\":\"3\",\"score\":0.0}\n");
}

TEST(Cli, ScoreInputErrorsNameFileLineAndField) {
  TempDir dir;
  const auto input = dir.path() / "in.jsonl";
  write_text(
      input,
      "{\"id\": 1, \"prediction\": \"a\", \"answers\": [\"a\"]}\n{\"id\": 2, \"prediction\": 5, "
      "\"answers\": [\"a\"]}\n");
  auto r = lmmbench({"score", "--metric", "exact_match", "--input", input.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(input.string() + ":2: field /prediction: expected a string, got a number"),
            std::string::npos)
      << r.err;
  r = lmmbench({"score", "--metric", "exact_mach", "--input", input.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown metric 'exact_mach' (did you mean 'exact_match'?)"),
            std::string::npos)
      << r.err;
  r = lmmbench(
      {"score", "--metric", "exact_match", "--input", (dir.path() / "absent.jsonl").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("absent.jsonl: cannot open file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
