// The published schema (reports/schema/run.schema.json) accepts every record this build writes,
// including the edge cases (undefined numbers, cells that did not run, optional sections), and
// rejects records that break it. The e2e tests validate every run.json their runs produce too.
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "report_fixture.hpp"
#include "reports/run_record.hpp"

namespace lmmbench::reports {
namespace {

const std::string kSchema = std::string(LMMBENCH_SOURCE_DIR) + "/reports/schema/run.schema.json";

struct Validation {
  int status = -1;
  std::string output;
};

Validation validate(const std::filesystem::path& file) {
  const std::string command = std::string("\"") + LMMBENCH_PYTHON + "\" \"" +
                              LMMBENCH_SCHEMA_VALIDATOR + "\" \"" + kSchema + "\" \"" +
                              file.string() + "\" 2>&1";
  Validation v;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return v;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    v.output += buffer;
  const int status = ::pclose(pipe);
  v.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return v;
}

RunRecord edge_cases() {
  RunRecord r;
  r.tool.version = "0.1.0";
  r.status = "interrupted";
  r.started_at = "2026-01-02T03:04:05Z";
  r.selection.limit = 5;
  r.selection.shard_index = 1;
  r.selection.shard_count = 2;
  Cell ok;
  ok.model = "m";
  ok.task = "t";
  ok.dataset.manifest_sha256 = std::string(64, 'f');
  ok.counts.total = 2;
  ok.counts.error = 2;
  ok.counts.errors_by_kind = {{"timeout", 2}};
  ok.usage.cost_usd = 0.5;
  metrics::MetricResult m;
  m.metric = "pope";
  m.n = 2;
  m.score = std::nan("");  // undefined: written as null
  m.standard_error = std::nan("");
  m.ci95 = {std::nan(""), std::nan("")};
  m.metrics = {MetricValue{"random.f1", std::nan(""), Unit::percent, true}};
  m.breakdown["split"]["random"] =
      metrics::BreakdownCell{2, {MetricValue{"f1", 50, Unit::percent, true}}};
  ok.scores.push_back(m);
  Cell unsupported;
  unsupported.model = "m";
  unsupported.task = "u";
  unsupported.outcome = CellOutcome::unsupported;
  unsupported.message = "no";
  r.cells = {ok, unsupported};
  return r;
}

class Schema : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() / "probe.json") << nlohmann::json(RunRecord{}).dump();
    if (validate(dir_.path() / "probe.json").status == 77) {
      GTEST_SKIP() << "python3-jsonschema is not installed (scripts/install-deps.sh installs it)";
    }
  }
  Validation check(const nlohmann::json& record) {
    const auto file = dir_.path() / "run.json";
    std::ofstream(file) << record.dump(2);
    return validate(file);
  }
  testing::TempDir dir_;
};

TEST_F(Schema, AcceptsEveryShapeOfRecordThisBuildWrites) {
  const auto empty = check(nlohmann::json(RunRecord{}));
  EXPECT_EQ(empty.status, 0) << empty.output;
  const auto edge = check(nlohmann::json(edge_cases()));
  EXPECT_EQ(edge.status, 0) << edge.output;
  auto with_sections = nlohmann::json(edge_cases());
  with_sections["gpu"] = {{"gpu", "h100-sxm"},
                          {"gpu_count", 1},
                          {"measured", false},
                          {"models", nlohmann::json::array()}};
  with_sections["cells"][0]["perf"] = {{{"name", "ttft_p50"}, {"value", 0.1}, {"unit", "seconds"}}};
  const auto sections = check(with_sections);
  EXPECT_EQ(sections.status, 0) << sections.output;
  testing::TempDir runs;
  testing::write_run(runs.path() / "r", "r", {{"m", "t", testing::binary_scores(4, 3)}});
  const auto written = validate(runs.path() / "r" / "run.json");
  EXPECT_EQ(written.status, 0) << written.output;
}

TEST_F(Schema, RejectsRecordsThatBreakIt) {
  auto bad_outcome = nlohmann::json(edge_cases());
  bad_outcome["cells"][0]["outcome"] = "exploded";
  auto v = check(bad_outcome);
  EXPECT_EQ(v.status, 1) << v.output;
  EXPECT_NE(v.output.find("/cells/0/outcome"), std::string::npos) << v.output;

  auto newer = nlohmann::json(edge_cases());
  newer["schema_version"] = 3;
  EXPECT_EQ(check(newer).status, 1);

  auto unknown = nlohmann::json(edge_cases());
  unknown["cells"][0]["scroes"] = nlohmann::json::array();  // a typo is not silently accepted
  v = check(unknown);
  EXPECT_EQ(v.status, 1) << v.output;
  EXPECT_NE(v.output.find("scroes"), std::string::npos) << v.output;

  auto bad_hash = nlohmann::json(edge_cases());
  bad_hash["cells"][0]["dataset"]["manifest_sha256"] = "xyz";
  EXPECT_EQ(check(bad_hash).status, 1);
}

}  // namespace
}  // namespace lmmbench::reports
