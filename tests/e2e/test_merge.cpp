// `lmmbench merge`: three shards of the quickstart run merge into a run equal to the unsharded run
// (per-sample score files byte for byte, run.json scores, intervals and counts), and shards that do
// not belong together are refused with exit 2 and the reason.
#include <fstream>
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const auto kQuickstart = kSource / "configs/runs/quickstart.json";

/// The quickstart run, unsharded and as 3 shards, made once for every test of this file.
class Merge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto r = lmmbench({"run", kQuickstart.string(), "--out", full().string(), "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (int i = 0; i < 3; ++i) {
      const auto s = lmmbench({"run", kQuickstart.string(), "--out", shard(i).string(), "--shard",
                               std::to_string(i) + "/3", "--quiet"});
      ASSERT_EQ(s.exit_code, 0) << s.err;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path full() { return dir_->path() / "full"; }
  static std::filesystem::path shard(int i) { return dir_->path() / ("shard" + std::to_string(i)); }
  /// A copy of shard `i` that a test may change.
  std::filesystem::path shard_copy(int i) {
    const auto copy = scratch_.path() / ("shard" + std::to_string(i) + "-copy");
    std::filesystem::copy(shard(i), copy, std::filesystem::copy_options::recursive);
    return copy;
  }
  ProcessResult merge(const std::vector<std::filesystem::path>& shards,
                      const std::filesystem::path& out) {
    std::vector<std::string> args = {"merge"};
    for (const auto& s : shards)
      args.push_back(s.string());
    args.insert(args.end(), {"--out", out.string(), "--quiet"});
    return lmmbench(args);
  }
  /// Expects a refusal: exit 2, `reason` in the message, and nothing written to `out`.
  void expect_refused(const std::vector<std::filesystem::path>& shards, const std::string& reason) {
    const auto out = scratch_.path() / "merged";
    const auto r = merge(shards, out);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << "a refused merge left " << out.string();
  }

  static TempDir* dir_;
  TempDir scratch_;
};

TempDir* Merge::dir_ = nullptr;

/// The fields of a run.json that legitimately differ between a merged and an unsharded run of the
/// same config on the same machine: times and durations (a merge adds the shards' run times), the
/// host (shards may run anywhere), and the provenance that only a merge has.
nlohmann::json comparable(nlohmann::json record) {
  for (const auto* key : {"host", "started_at", "finished_at", "wall_seconds", "merged_from"})
    record.erase(key);
  for (auto& cell : record["cells"])
    cell.erase("wall_seconds");
  return record;
}

/// A copy of the quickstart run config in `dir` with absolute paths, changed by `change`.
std::filesystem::path quickstart_variant(const std::filesystem::path& dir,
                                         const std::function<void(nlohmann::json&)>& change) {
  auto config = nlohmann::json::parse(read_text(kQuickstart), nullptr, true, true);
  for (auto* list : {&config["models"], &config["tasks"]}) {
    for (auto& path : *list)
      path = (kQuickstart.parent_path() / path.get<std::string>()).lexically_normal().string();
  }
  config["output_dir"] = dir.string();
  change(config);
  const auto path = dir / "quickstart-variant.json";
  write_text(path, config.dump(2));
  return path;
}

std::set<std::string> log_keys(const std::filesystem::path& run) {
  std::set<std::string> keys;
  std::ifstream in(run / "predictions.jsonl");
  for (std::string line; std::getline(in, line);)
    keys.insert(nlohmann::json::parse(line).at("key").get<std::string>());
  return keys;
}

TEST_F(Merge, ThreeShardsMergeIntoTheUnshardedRun) {
  const auto out = scratch_.path() / "merged";
  const auto r = merge({shard(2), shard(0), shard(1)}, out);  // any order
  ASSERT_EQ(r.exit_code, 0) << r.err;
  validate_run_record(out / "run.json");

  const auto expected = nlohmann::json::parse(read_text(full() / "run.json"));
  const auto merged = nlohmann::json::parse(read_text(out / "run.json"));
  ASSERT_EQ(merged["cells"].size(), 8u);
  EXPECT_EQ(comparable(merged), comparable(expected));
  std::size_t scored = 0;
  for (const auto& cell : expected["cells"]) {
    if (cell["outcome"] != "ok") continue;
    ++scored;
    const auto file = cell["scores_file"].get<std::string>();
    EXPECT_EQ(read_text(out / file), read_text(full() / file)) << file;
  }
  EXPECT_EQ(scored, 7u);
  EXPECT_EQ(log_keys(out), log_keys(full()));

  // Provenance: which shard directories, in shard order.
  ASSERT_EQ(merged["merged_from"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& source = merged["merged_from"][i];
    EXPECT_EQ(source["shard_index"], i);
    EXPECT_EQ(source["shard_count"], 3);
    EXPECT_EQ(source["dir"], std::filesystem::absolute(shard(i)).string());
    EXPECT_EQ(source["record_sha256"].get<std::string>().size(), 64u);
  }
  EXPECT_EQ(merged["selection"]["shard"], "0/1");
  EXPECT_NE(read_text(out / "report.html").find("merged from shard 2/3"), std::string::npos);

  // A merged run is a run: it re-renders, and compares with the unsharded one as equal.
  const auto report = lmmbench({"report", out.string(), "--md", "-"});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("synthetic-open"), std::string::npos) << report.out;
  const auto gate = lmmbench({"compare", full().string(), out.string(), "--quiet"});
  EXPECT_EQ(gate.exit_code, 0) << gate.out << gate.err;
}

TEST_F(Merge, RefusesShardsOfDifferentConfigs) {
  // The same run config with another seed: another config hash.
  TempDir other;
  const auto path = quickstart_variant(other.path(), [](auto& c) { c["seed"] = 7; });
  const auto foreign = other.path() / "shard1";
  ASSERT_EQ(lmmbench({"run", path.string(), "--out", foreign.string(), "--shard", "1/3", "--limit",
                      "3", "--models", "oracle", "--quiet"})
                .exit_code,
            0);
  expect_refused({shard(0), foreign, shard(2)}, "shards of different configs cannot be merged");
}

TEST_F(Merge, RefusesDifferentShardCounts) {
  const auto half = scratch_.path() / "half";
  ASSERT_EQ(lmmbench({"run", kQuickstart.string(), "--out", half.string(), "--shard", "1/2",
                      "--limit", "4", "--models", "oracle", "--quiet"})
                .exit_code,
            0);
  expect_refused({shard(0), half, shard(2)}, "different shard counts");
}

TEST_F(Merge, RefusesADuplicatedShardIndex) {
  expect_refused({shard(0), shard_copy(0), shard(1), shard(2)}, "shard 0/3 is given twice");
}

TEST_F(Merge, RefusesMissingShards) {
  expect_refused({shard(0), shard(1)}, "shard 2/3 missing");
}

TEST_F(Merge, RefusesAShardThatDidNotFinish) {
  // What a shard killed mid-run leaves: status "running".
  const auto killed = shard_copy(2);
  auto record = nlohmann::json::parse(read_text(killed / "run.json"));
  record["status"] = "running";
  write_text(killed / "run.json", record.dump(2));
  expect_refused({shard(0), shard(1), killed}, "this shard did not finish (status 'running')");
}

TEST_F(Merge, RefusesOverlappingSamples) {
  // Shard 1's log also holds an answer to a sample of shard 0.
  const auto overlapping = shard_copy(1);
  const auto log = read_text(shard(0) / "predictions.jsonl");
  const auto first_line = log.substr(0, log.find('\n') + 1);
  write_text(overlapping / "predictions.jsonl",
             read_text(overlapping / "predictions.jsonl") + first_line);
  expect_refused({shard(0), overlapping, shard(2)}, "is also answered here: the shards overlap");
}

TEST_F(Merge, RefusesMissingSamples) {
  const auto lacking = shard_copy(1);
  const auto log = read_text(lacking / "predictions.jsonl");
  write_text(lacking / "predictions.jsonl", log.substr(log.find('\n') + 1));
  expect_refused({shard(0), lacking, shard(2)}, "has no answer in this shard's log");
}

TEST_F(Merge, NeedsConfigWhereTheRecordedPathIsNotValidAndRefusesAChangedOne) {
  // Shards started in the source tree record "configs/runs/quickstart.json": a merge started
  // elsewhere needs --config, and refuses a config that no longer hashes as the shards'.
  std::vector<std::filesystem::path> shards;
  for (int i = 0; i < 2; ++i) {
    shards.push_back(scratch_.path() / ("small" + std::to_string(i)));
    ASSERT_EQ(
        lmmbench({"run", "configs/runs/quickstart.json", "--out", shards.back().string(), "--shard",
                  std::to_string(i) + "/2", "--limit", "6", "--models", "oracle,prior", "--quiet"},
                 kSource)
            .exit_code,
        0);
  }
  const auto out = scratch_.path() / "merged";
  auto r = lmmbench({"merge", shards[0].string(), shards[1].string(), "--out", out.string()},
                    scratch_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pass --config CONFIG"), std::string::npos) << r.err;

  const auto changed = quickstart_variant(scratch_.path(), [](auto& c) { c["concurrency"] = 3; });
  r = lmmbench({"merge", shards[0].string(), shards[1].string(), "--out", out.string(), "--config",
                changed.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("it changed since"), std::string::npos) << r.err;

  r = lmmbench({"merge", shards[0].string(), shards[1].string(), "--out", out.string(), "--config",
                kQuickstart.string()},
               scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto merged = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(merged["selection"]["limit"], 6);
  for (const auto& cell : merged["cells"])
    EXPECT_EQ(cell["counts"]["total"], 6) << cell["model"] << " " << cell["task"];
}

TEST_F(Merge, RefusesAnOutThatIsNotEmpty) {
  const auto out = scratch_.path() / "busy";
  std::filesystem::create_directories(out);
  write_text(out / "notes.txt", "mine\n");
  const auto r = merge({shard(0), shard(1), shard(2)}, out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--out exists and is not empty"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(out / "notes.txt"), "mine\n");
  EXPECT_FALSE(std::filesystem::exists(out / "run.json"));
}

}  // namespace
}  // namespace lmmbench::testing
