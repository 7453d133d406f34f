// The README's main job: the quickstart run config on the embedded synthetic suite.
#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

TEST(Quickstart, OracleIsPerfectBaselinesAreNotAndEverySampleIsAccountedFor) {
  TempDir dir;
  const auto out = dir.path() / "run";
  const auto r =
      lmmbench({"run", (kSource / "configs/runs/quickstart.json").string(), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| model | synthetic-open"), std::string::npos) << r.out;

  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record["status"], "complete");
  EXPECT_EQ(record["schema_version"], 2);
  EXPECT_EQ(record["config_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(record["tool"]["git_revision"].get<std::string>().empty());

  const auto cells = cell_summaries(out);
  ASSERT_EQ(cells.size(), 8u);
  EXPECT_EQ(cells.at("oracle/synthetic-open")["score"], 100.0);
  EXPECT_EQ(cells.at("oracle/synthetic-mc")["score"], 100.0);
  for (const auto& key :
       {"prior/synthetic-open", "prior/synthetic-mc", "constant-yes/synthetic-open",
        "constant-yes/synthetic-mc", "random-choice/synthetic-mc"}) {
    EXPECT_EQ(cells.at(key)["outcome"], "ok") << key;
    EXPECT_LT(cells.at(key)["score"].get<double>(), 50.0)
        << key;  // trivial baselines stay far below
  }
  EXPECT_EQ(cells.at("random-choice/synthetic-open")["outcome"], "unsupported");
  for (const auto& [key, c] : cells) {
    if (c["outcome"] != "ok") continue;
    const std::size_t expected = key.ends_with("synthetic-open") ? 300u : 100u;
    EXPECT_EQ(c["total"], expected) << key;
    EXPECT_EQ(c["n"], expected) << key;
    EXPECT_EQ(c["ok"].get<std::size_t>() + c["error"].get<std::size_t>(), expected) << key;
  }
  for (const auto& cell : record["cells"]) {
    EXPECT_EQ(cell["dataset"]["manifest_sha256"].get<std::string>().size(), 64u);
  }
}

}  // namespace
}  // namespace lmmbench::testing
