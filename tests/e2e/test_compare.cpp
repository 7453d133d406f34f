// The CI gate end to end: `lmmbench compare` flags a seeded real regression (exit 1), passes a
// re-run of the same models with another seed (exit 0), and refuses to compare runs whose data or
// prompt changed (exit 2).
#include <cstdio>

#include <gtest/gtest.h>

#include "report_support.hpp"

namespace lmmbench::testing {
namespace {

/// A cell summary's headline as the Markdown tables print a percent score.
std::string fmt_score(const nlohmann::json& summary) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", summary.at("score").get<double>());
  return text;
}

TEST(Compare, FlagsASeededRealRegression) {
  TempDir dir;
  // The oracle's answers, replayed under the name "candidate", are the baseline; the new run
  // replays them with a seeded 15 % of the answers replaced by a wrong one.
  const auto oracle = dir.path() / "oracle";
  run_config(write_run_config(dir.path(), "oracle", {{{"name", "oracle"}, {"backend", "oracle"}}}),
             oracle);
  const auto answers = logged_answers(oracle, "oracle");
  ASSERT_EQ(answers.size(), 400u);
  auto corrupted = answers;
  std::mt19937_64 rng(20261127);
  std::bernoulli_distribution corrupt(0.15);
  std::size_t n_corrupted = 0;
  for (auto& [id, prediction] : corrupted) {
    if (corrupt(rng)) {
      prediction = "no idea";
      ++n_corrupted;
    }
  }
  ASSERT_GT(n_corrupted, 40u);
  write_answers(dir.path() / "good.jsonl", answers);
  write_answers(dir.path() / "bad.jsonl", corrupted);
  const auto base = dir.path() / "base";
  const auto next = dir.path() / "new";
  run_config(write_run_config(
                 dir.path(), "good",
                 nlohmann::json::array({replay_model("candidate", dir.path() / "good.jsonl")})),
             base);
  run_config(write_run_config(
                 dir.path(), "bad",
                 nlohmann::json::array({replay_model("candidate", dir.path() / "bad.jsonl")})),
             next);

  const auto md = dir.path() / "gate.md";
  const auto junit = dir.path() / "gate.xml";
  const auto html = dir.path() / "gate.html";
  const auto r = lmmbench({"compare", base.string(), next.string(), "--md", md.string(), "--junit",
                           junit.string(), "--html", html.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, read_text(md));  // the summary is printed and written
  EXPECT_EQ(r.out.rfind("## lmmbench compare: ✗ 2 regressions\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("| ✗ | candidate | synthetic-open (vqa/official) | 100.00 | "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| ✗ | candidate | synthetic-mc (multiple_choice/default) | 100.00 | "),
            std::string::npos)
      << r.out;
  EXPECT_NE(read_text(junit).find("tests=\"2\" failures=\"2\" errors=\"0\""), std::string::npos);
  EXPECT_NE(read_text(html).find("<span class=\"verdict\">✗ 2 regressions</span>"),
            std::string::npos);

  // A threshold larger than the drop lets it pass: regressions need size and significance.
  const auto lenient =
      lmmbench({"compare", base.string(), next.string(), "--min-drop", "30", "-q"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.out << lenient.err;
  EXPECT_EQ(lenient.out, "");
}

TEST(Compare, PassesAReRunWithAnotherSeedOfTheSameModels) {
  TempDir dir;
  nlohmann::json models = nlohmann::json::array();
  for (const auto* name : {"oracle", "prior", "constant-yes", "random-choice"})
    models.push_back((kModels / (std::string(name) + ".json")).string());
  const auto first = dir.path() / "seed-2026";
  const auto second = dir.path() / "seed-7";
  run_config(write_run_config(dir.path(), "quickstart-2026", models, 2026), first);
  run_config(write_run_config(dir.path(), "quickstart-7", models, 7), second);
  // The seed changed random-choice's answers: the scores differ, by noise only.
  const auto a = cell_summaries(first).at("random-choice/synthetic-mc")["score"].get<double>();
  const auto b = cell_summaries(second).at("random-choice/synthetic-mc")["score"].get<double>();
  EXPECT_NE(a, b);

  const auto r = lmmbench({"compare", first.string(), second.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("## lmmbench compare: ✓ no regression\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("| ✓ | random-choice | synthetic-mc (multiple_choice/default) | "),
            std::string::npos)
      << r.out;
  // Cells that are unsupported in both runs are not comparisons: 7 model × task pairs remain.
  EXPECT_NE(r.out.find("· 7 comparisons"), std::string::npos) << r.out;
}

TEST(Compare, ARunOnAFractionOfTheBaselinesSamplesIsNotComparableUnlessAllowed) {
  TempDir dir;
  const auto model = nlohmann::json::array({(kModels / "constant-yes.json").string()});
  const auto full = dir.path() / "full";
  const auto partial = dir.path() / "partial";
  run_config(write_run_config(dir.path(), "full", model, 2026, {kOpenTask}), full);
  run_config(write_run_config(dir.path(), "partial", model, 2026, {kOpenTask}), partial,
             {"--limit", "15"});
  auto r = lmmbench({"compare", full.string(), partial.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("not comparable: the runs share 15 of 300 samples (5.0 % coverage, below "
                       "--min-coverage 95 %); pass --allow-partial to compare them anyway"),
            std::string::npos)
      << r.out;
  // Allowed: both sides are scored on the 15 shared samples, and the coverage is stated.
  r = lmmbench({"compare", full.string(), partial.string(), "--allow-partial"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto on_shared = fmt_score(cell_summaries(partial).at("constant-yes/synthetic-open"));
  const auto whole = fmt_score(cell_summaries(full).at("constant-yes/synthetic-open"));
  EXPECT_NE(on_shared, whole);  // the whole-run baseline would mislead
  EXPECT_NE(r.out.find("| ✓ | constant-yes | synthetic-open (vqa/official) | " + on_shared + " | " +
                       on_shared + " | ±0.00"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| 15 of 300 (5 %) |"), std::string::npos) << r.out;
  // A lower bar does the same.
  r = lmmbench({"compare", full.string(), partial.string(), "--min-coverage", "0.05"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = lmmbench({"compare", full.string(), partial.string(), "--min-coverage", "1.5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--min-coverage must be between 0 and 1"), std::string::npos) << r.err;
}

TEST(Compare, RefusesToCompareAcrossAChangedDatasetOrPrompt) {
  TempDir dir;
  const nlohmann::json oracle = {{{"name", "oracle"}, {"backend", "oracle"}}};
  const auto base = dir.path() / "base";
  run_config(write_run_config(dir.path(), "base", oracle, 2026, {kOpenTask}), base,
             {"--limit", "30"});

  std::filesystem::create_directories(dir.path() / "prompt");
  const auto reworded = task_copy(kOpenTask, dir.path() / "prompt", [](nlohmann::json& t) {
    t["prompt"]["template"] = "{question}\nAnswer in one word.";
  });
  const auto prompt = dir.path() / "prompt-run";
  run_config(write_run_config(dir.path(), "prompt", oracle, 2026, {reworded}), prompt,
             {"--limit", "30"});

  std::filesystem::create_directories(dir.path() / "data");
  const auto regenerated = task_copy(kOpenTask, dir.path() / "data", [&](nlohmann::json& t) {
    const auto data = (dir.path() / "data" / "synthetic-7").string();
    t["prepare"]["seed"] = 7;
    t["prepare"]["path"] = data;
    t["dataset"]["path"] = data + "/open.jsonl";
    t["calibration"]["path"] = data + "/open_calibration.jsonl";
  });
  const auto data = dir.path() / "data-run";
  run_config(write_run_config(dir.path(), "data", oracle, 2026, {regenerated}), data,
             {"--limit", "30"});

  auto r = lmmbench(
      {"compare", base.string(), prompt.string(), "--junit", (dir.path() / "prompt.xml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("## lmmbench compare: ⚠️ 1 not comparable\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("| ⚠️ | oracle | synthetic-open (vqa/official) | 100.00 | — | not "
                       "comparable: the prompt "
                       "template changed | | |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(read_text(dir.path() / "prompt.xml").find("type=\"not_comparable\""),
            std::string::npos);

  r = lmmbench({"compare", base.string(), data.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("not comparable: the dataset changed (manifest sha256 "), std::string::npos)
      << r.out;

  // Bad input is exit code 2 as well.
  r = lmmbench({"compare", base.string(), (dir.path() / "nowhere").string()});
  EXPECT_EQ(r.exit_code, 2);
  r = lmmbench({"compare", base.string(), base.string(), "--alpha", "1.5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--alpha must be between 0 and 1"), std::string::npos) << r.err;
  r = lmmbench({"compare", base.string(), base.string(), "--tasks", "synthetic-opne"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no task 'synthetic-opne' in either run (did you mean 'synthetic-open'?)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
