#include <gtest/gtest.h>

#include "core/error.hpp"
#include "report_fixture.hpp"
#include "reports/report.hpp"

namespace lmmbench::reports {
namespace {

using testing::binary_scores;
using testing::CellSpec;
using testing::TempDir;
using testing::write_run;

TEST(LoadRun, ReadsADirectoryOrItsRecordAndNamesTheFileOnError) {
  TempDir dir;
  write_run(dir.path() / "r", "r", {{"m", "t", binary_scores(4, 2)}});
  EXPECT_EQ(load_run(dir.path() / "r").record.cells.size(), 1u);
  EXPECT_EQ(load_run(dir.path() / "r" / "run.json").label, "r");
  try {
    (void)load_run(dir.path() / "missing");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing: no run record here (expected a run directory "
                                         "holding run.json)"),
              std::string::npos)
        << e.what();
  }
  std::ofstream(dir.path() / "r" / "run.json") << R"({"schema_version": 99, "tool": {}})";
  try {
    (void)load_run(dir.path() / "r");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("run.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("schema version 99 is not readable by this lmmbench"),
              std::string::npos)
        << e.what();
  }
}

TEST(ReadSampleRecords, ReadsGoldDataAndRejectsLinesWithoutIdOrScore) {
  TempDir dir;
  const auto file = dir.path() / "s.jsonl";
  std::ofstream(file) << R"({"id": "a", "score": 0.3, "status": "parsed", "extracted": "x",)"
                      << R"( "prediction": null, "error_kind": "timeout", "question": "Q?",)"
                      << R"( "answers": ["x", "y"], "options": ["o1"], "category": "c",)"
                      << R"( "images": ["/i.png", {"path": "/t.tsv", "base64_offset": 5,)"
                      << R"( "base64_length": 9}]})"
                      << "\n\n"
                      << R"({"id": 7, "score": 1})"
                      << "\n";
  const auto r = read_sample_records(file);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].id, "a");
  EXPECT_DOUBLE_EQ(r[0].score, 0.3);
  EXPECT_FALSE(r[0].prediction.has_value());
  EXPECT_EQ(r[0].error_kind, "timeout");
  EXPECT_EQ(r[0].answers, (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(r[0].images.size(), 2u);
  EXPECT_EQ(r[0].images[1].path, "/t.tsv");
  EXPECT_EQ(r[0].images[1].base64_offset, 5u);
  EXPECT_EQ(r[0].images[1].base64_length, 9u);
  EXPECT_EQ(r[1].id, "7");
  std::ofstream(file) << R"({"id": "a"})"
                      << "\n";
  try {
    (void)read_sample_records(file);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("s.jsonl:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("score"), std::string::npos) << e.what();
  }
}

TEST(MakeReport, ComparesEveryModelWithTheBaselineOnSharedTasks) {
  TempDir dir;
  CellSpec unsupported{"c", "mc", {}};
  unsupported.outcome = CellOutcome::unsupported;
  auto run = write_run(dir.path() / "r", "r",
                       {{"a", "open", binary_scores(30, 30)},
                        {"a", "mc", binary_scores(10, 10)},
                        {"b", "open", binary_scores(30, 10)},
                        {"b", "mc", binary_scores(10, 9)},
                        {"c", "open", binary_scores(30, 30)},
                        unsupported});
  const auto report = make_report({run}, ReportOptions{});
  ASSERT_EQ(report.entries.size(), 3u);
  EXPECT_EQ(report.entries[1].label, "b");
  EXPECT_EQ(report.tasks, (std::vector<std::string>{"open", "mc"}));
  EXPECT_EQ(*report.baseline, 0u);
  EXPECT_TRUE(report.is_baseline(0));
  // b × open, b × mc, c × open; c × mc did not run and is not compared.
  ASSERT_EQ(report.comparisons.size(), 3u);
  const auto* b_open = report.comparison(1, "open");
  ASSERT_NE(b_open, nullptr);
  EXPECT_EQ(b_open->verdict, Verdict::regression);
  EXPECT_NEAR(b_open->delta, -200.0 / 3.0, 1e-9);
  EXPECT_EQ(report.comparison(1, "mc")->verdict, Verdict::pass);  // one sample: not significant
  EXPECT_EQ(report.comparison(2, "open")->verdict, Verdict::pass);
  EXPECT_EQ(report.comparison(2, "mc"), nullptr);
  EXPECT_EQ(report.samples.size(), 5u);

  ReportOptions by_name;
  by_name.baseline = "c";
  EXPECT_EQ(*make_report({run}, by_name).baseline, 2u);
  by_name.baseline = "bb";
  try {
    (void)make_report({run}, by_name);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "--baseline: no model 'bb' in these runs (did you mean 'b'?); models: a, b, c");
  }
}

TEST(MakeReport, LabelsModelsThatSeveralRunsShareWithTheRun) {
  TempDir dir;
  auto one = write_run(dir.path() / "one", "one", {{"m", "t", binary_scores(10, 5)}});
  auto two = write_run(dir.path() / "two", "two",
                       {{"m", "t", binary_scores(10, 6)}, {"x", "t", binary_scores(10, 1)}});
  const auto report = make_report({one, two}, ReportOptions{});
  ASSERT_EQ(report.entries.size(), 3u);
  EXPECT_EQ(report.entries[0].label, "m · one");
  EXPECT_EQ(report.entries[1].label, "m · two");
  EXPECT_EQ(report.entries[2].label, "x");
  EXPECT_EQ(report.title(), "fixture");
}

TEST(MakeReport, AMissingScoresFileIsReportedNotFatal) {
  TempDir dir;
  auto run = write_run(dir.path() / "r", "r",
                       {{"a", "t", binary_scores(10, 10)}, {"b", "t", binary_scores(10, 2)}});
  std::filesystem::remove(dir.path() / "r" / "scores" / "b" / "t.jsonl");
  const auto report = make_report({run}, ReportOptions{});
  ASSERT_EQ(report.sample_errors.size(), 1u);
  ASSERT_EQ(report.comparisons.size(), 1u);
  EXPECT_EQ(report.comparisons[0].verdict, Verdict::not_comparable);
  EXPECT_NE(report.comparisons[0].reason.find("per-sample scores unavailable"), std::string::npos);
}

TEST(GateReport, PairsModelsByNameAndSummarizes) {
  TempDir dir;
  auto base = write_run(dir.path() / "base", "base",
                        {{"m", "open", binary_scores(40, 30)},
                         {"m", "mc", binary_scores(20, 10)},
                         {"gone", "open", binary_scores(40, 30)}});
  auto cand = write_run(dir.path() / "new", "new",
                        {{"m", "open", binary_scores(40, 10)}, {"m", "mc", binary_scores(20, 11)}});
  const auto report = make_gate_report(base, cand, GatePairing{}, ReportOptions{});
  EXPECT_TRUE(report.gate);
  ASSERT_EQ(report.comparisons.size(), 3u);
  EXPECT_EQ(report.comparisons[0].task, "open");
  EXPECT_EQ(report.comparisons[0].verdict, Verdict::regression);
  EXPECT_EQ(report.comparisons[1].verdict, Verdict::pass);
  EXPECT_EQ(report.comparisons[2].verdict, Verdict::not_comparable);
  EXPECT_EQ(report.comparisons[2].reason, "model 'gone' is not in the new run");
  const auto s = summarize(report);
  EXPECT_EQ(s.compared, 3u);
  EXPECT_EQ(s.regressions, 1u);
  EXPECT_EQ(s.not_comparable, 1u);

  GatePairing only_mc;
  only_mc.tasks = {"mc"};
  only_mc.models = {"m"};
  const auto mc = make_gate_report(base, cand, only_mc, ReportOptions{});
  ASSERT_EQ(mc.comparisons.size(), 1u);
  EXPECT_EQ(summarize(mc).regressions, 0u);

  GatePairing renamed;
  renamed.baseline_model = "gone";
  renamed.candidate_model = "m";
  const auto pair = make_gate_report(base, cand, renamed, ReportOptions{});
  ASSERT_EQ(pair.comparisons.size(), 1u);
  EXPECT_EQ(pair.comparisons[0].verdict, Verdict::regression);
  renamed.candidate_model = "nope";
  EXPECT_THROW((void)make_gate_report(base, cand, renamed, ReportOptions{}), InputError);
}

TEST(GateReport, ComparesPerfObjectivesFoundInCellSections) {
  TempDir dir;
  auto base = write_run(dir.path() / "base", "base", {{"m", "t", binary_scores(10, 5)}});
  auto cand = write_run(dir.path() / "new", "new", {{"m", "t", binary_scores(10, 5)}});
  base.raw["cells"][0]["perf"] = {{{"name", "e2e_p99"}, {"value", 2.0}, {"unit", "seconds"}}};
  cand.raw["cells"][0]["perf"] = {{{"name", "e2e_p99"}, {"value", 3.0}, {"unit", "seconds"}}};
  base.record.cells[0].usage.cost_usd = 1.0;
  cand.record.cells[0].usage.cost_usd = 1.05;
  const auto report = make_gate_report(base, cand, GatePairing{}, ReportOptions{});
  ASSERT_EQ(report.objectives.size(), 2u);
  EXPECT_EQ(report.objectives[0].name, "perf/e2e_p99");
  EXPECT_EQ(report.objectives[0].verdict, Verdict::regression);
  EXPECT_EQ(report.objectives[1].name, "usage/cost_usd");
  EXPECT_EQ(report.objectives[1].verdict, Verdict::pass);
  EXPECT_EQ(summarize(report).regressions, 1u);
}

TEST(GateReport, ANewCellOverItsErrorBudgetFailsTheGate) {
  TempDir dir;
  auto base = write_run(dir.path() / "base", "base", {{"m", "t", binary_scores(10, 5)}});
  auto cand = write_run(dir.path() / "new", "new", {{"m", "t", binary_scores(10, 5)}});
  cand.record.cells[0].outcome = CellOutcome::too_many_errors;
  cand.record.cells[0].message = "1 of 10 samples failed";
  const auto report = make_gate_report(base, cand, GatePairing{}, ReportOptions{});
  ASSERT_EQ(report.comparisons.size(), 1u);
  EXPECT_EQ(report.comparisons[0].verdict, Verdict::failed);
  EXPECT_EQ(report.comparisons[0].reason, "over the error budget: 1 of 10 samples failed");
  EXPECT_EQ(summarize(report).regressions, 1u);
  // Its samples are still loaded for the sample browser.
  EXPECT_EQ(report.samples.count({1, "t"}), 1u);
}

TEST(GateReport, TwoRunsWithoutCellsAreComparedOnTheirObjectives) {
  TempDir dir;
  auto base = write_run(dir.path() / "base", "base", {});
  auto cand = write_run(dir.path() / "new", "new", {});
  base.raw["perf"] = {
      {"objectives", {{{"name", "rate 4/s: ttft p99"}, {"value", 0.5}, {"unit", "seconds"}}}}};
  cand.raw["perf"] = {
      {"objectives", {{{"name", "rate 4/s: ttft p99"}, {"value", 0.5}, {"unit", "seconds"}}}}};
  auto report = make_gate_report(base, cand, GatePairing{}, ReportOptions{});
  EXPECT_TRUE(report.comparisons.empty());
  ASSERT_EQ(report.objectives.size(), 1u);
  EXPECT_EQ(report.objectives[0].verdict, Verdict::pass);
  // Nothing at all in common is still an error.
  cand.raw.erase("perf");
  EXPECT_THROW((void)make_gate_report(base, cand, GatePairing{}, ReportOptions{}), InputError);
}

}  // namespace
}  // namespace lmmbench::reports
