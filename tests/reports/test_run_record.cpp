#include <gtest/gtest.h>

#include "core/error.hpp"
#include "reports/run_record.hpp"

namespace lmmbench::reports {
namespace {

RunRecord example() {
  RunRecord r;
  r.tool.version = "0.1.0";
  r.tool.git_revision = "abc";
  r.tool.git_dirty = true;
  r.tool.build_type = "Release";
  r.host.hostname = "h";
  r.host.cpu_count = 2;
  r.run_name = "quickstart";
  r.config_sha256 = "f00";
  r.resolved_config = {{"name", "quickstart"}};
  r.seed = 7;
  r.concurrency = 8;
  r.selection.limit = 10;
  r.selection.shard_index = 1;
  r.selection.shard_count = 3;
  r.status = "complete";
  Cell c;
  c.model = "oracle";
  c.task = "open";
  c.dataset.manifest_sha256 = "d00";
  c.dataset.n_selected = 10;
  c.counts.total = 10;
  c.counts.ok = 9;
  c.counts.error = 1;
  c.counts.errors_by_kind = {{"timeout", 1}};
  metrics::MetricResult m;
  m.metric = "vqa";
  m.variant = "official";
  m.n = 10;
  m.score = 90.0;
  m.standard_error = 3.0;
  m.ci95 = {84.1, 95.9};
  m.metrics = {MetricValue{"random.f1", 88.5, Unit::percent, true}};
  m.breakdown["answer_type"]["number"] =
      metrics::BreakdownCell{4, {MetricValue{"accuracy", 75.0, Unit::percent, true}}};
  c.scores.push_back(m);
  r.cells.push_back(c);
  Cell failed;
  failed.model = "prior";
  failed.task = "open";
  failed.outcome = CellOutcome::unsupported;
  failed.message = "needs calibration";
  r.cells.push_back(failed);
  return r;
}

TEST(RunRecord, RoundTripsThroughJson) {
  const RunRecord r = example();
  const nlohmann::json j = r;
  EXPECT_EQ(j.at("schema_version"), kRunRecordSchemaVersion);
  EXPECT_EQ(j.at("selection").at("shard"), "1/3");
  EXPECT_EQ(j.at("cells").at(0).at("scores").at(0).at("metrics").at("random").at("f1"), 88.5);
  const RunRecord back = j.get<RunRecord>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.cells[1].outcome, CellOutcome::unsupported);
  EXPECT_EQ(back.selection.limit, 10u);
}

TEST(RunRecord, MergedFromIsWrittenOnlyForAMergedRunAndRoundTrips) {
  RunRecord r = example();
  EXPECT_FALSE(nlohmann::json(r).contains("merged_from"));  // a run of `run`: as before
  r.merged_from.push_back(ShardSource{"/runs/s0", 0, 2, "node-a", "2026-01-01T00:00:00Z",
                                      "2026-01-01T00:10:00Z", 600.0, 1, std::string(64, 'a')});
  r.merged_from.push_back(ShardSource{"/runs/s1", 1, 2, "node-b", "2026-01-01T00:00:05Z",
                                      "2026-01-01T00:09:00Z", 535.0, 0, std::string(64, 'b')});
  const nlohmann::json j = r;
  ASSERT_EQ(j.at("merged_from").size(), 2u);
  EXPECT_EQ(j.at("merged_from").at(1).at("dir"), "/runs/s1");
  EXPECT_EQ(j.at("merged_from").at(1).at("hostname"), "node-b");
  const RunRecord back = j.get<RunRecord>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.merged_from.at(0).resume_count, 1u);
}

TEST(RunRecord, RefusesNewerSchemaVersionsByName) {
  nlohmann::json j = example();
  j["schema_version"] = kRunRecordSchemaVersion + 1;
  try {
    (void)j.get<RunRecord>();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(
        std::string(e.what()).find("schema version " + std::to_string(kRunRecordSchemaVersion + 1) +
                                   " is not readable"),
        std::string::npos);
  }
  EXPECT_THROW((void)nlohmann::json::object().get<RunRecord>(), InputError);
}

TEST(RunRecord, AnOverBudgetCellRoundTripsAndOldRecordsStillLoad) {
  RunRecord r = example();
  r.cells[0].outcome = CellOutcome::too_many_errors;
  r.cells[0].message = "1 of 10 samples failed";
  r.cells[0].max_error_rate = 0.05;
  r.cells[0].counts.empty = 2;
  const nlohmann::json j = r;
  EXPECT_EQ(j["cells"][0]["outcome"], "too_many_errors");
  EXPECT_EQ(j["cells"][0]["counts"]["empty"], 2);
  const auto back = j.get<RunRecord>();
  EXPECT_EQ(back.cells[0].outcome, CellOutcome::too_many_errors);
  EXPECT_TRUE(back.cells[0].scored());
  EXPECT_DOUBLE_EQ(back.cells[0].max_error_rate, 0.05);
  EXPECT_EQ(back.cells[0].counts.empty, 2u);
  // A record written before budgets and empty counts existed reads as budget 0, no empty answers.
  nlohmann::json old = nlohmann::json(example());
  old["cells"][0].erase("max_error_rate");
  old["cells"][0]["counts"].erase("empty");
  const auto loaded = old.get<RunRecord>();
  EXPECT_EQ(loaded.cells[0].outcome, CellOutcome::ok);
  EXPECT_DOUBLE_EQ(loaded.cells[0].max_error_rate, 0.0);
  EXPECT_EQ(loaded.cells[0].counts.empty, 0u);
  EXPECT_EQ(loaded.cells[0].answered(), 9u);
}

TEST(RunRecord, AnUnknownOutcomeIsRefusedNotReadAsOk) {
  nlohmann::json j = nlohmann::json(example());
  j["cells"][0]["outcome"] = "exploded";
  try {
    (void)j.get<RunRecord>();
    FAIL() << "an unknown outcome was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown outcome \"exploded\" (known: ok, failed"),
              std::string::npos)
        << e.what();
  }
}

TEST(Cell, HasAScoreOnlyOverAnsweredSamples) {
  Cell c = example().cells[0];
  EXPECT_TRUE(c.has_score());
  c.counts.ok = 0;
  c.counts.error = c.counts.total;
  EXPECT_FALSE(c.has_score());  // an old record's 0.00 over no answers is no score either
  EXPECT_TRUE(c.scored());
  c.outcome = CellOutcome::failed;
  EXPECT_FALSE(c.scored());
}

}  // namespace
}  // namespace lmmbench::reports
