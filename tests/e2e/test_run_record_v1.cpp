// Schema-1 run records written by the binary of 95e8027 (tests/fixtures/run_records/v1) render
// with this build, and the GPU record equals what this build writes for the same command: the
// v1 -> v2 migration renames the costs and changes no number.
#include <map>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const std::filesystem::path kV1 = kSource / "tests/fixtures/run_records/v1";

TEST(RunRecordV1, EveryFixtureRendersAsMarkdown) {
  TempDir dir;
  // Directory and run name of each fixture.
  for (const auto& [name, run_name] : std::map<std::string, std::string>{
           {"eval", "quickstart"}, {"perf", "perf"}, {"gpu", "gpu"}}) {
    SCOPED_TRACE(name);
    const auto md = dir.path() / (name + ".md");
    const auto r = lmmbench({"report", (kV1 / name).string(), "--md", md.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(read_text(md).find("## lmmbench: " + run_name), std::string::npos);
  }
  // The scores and the per-sample files (read for the paired tests against the baseline).
  const auto r = lmmbench({"report", (kV1 / "eval").string(), "--md", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text : {"140 of 140 samples answered", "| oracle", "100.00 ± 0.00",
                           "20.00 ± 9.18 · −80.00 ✗", "(20 unparsed)"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
}

TEST(RunRecordV1, MigratedGpuRecordEqualsWhatThisBuildWrites) {
  TempDir dir;
  // The fixture's command (tests/fixtures/run_records/v1/README.md), without measuring, so that a
  // machine with a GPU writes the same roofline-only record.
  const auto r =
      lmmbench({"gpu", "--model", "configs/models/gpu/llava-1.5-7b.json", "--gpu", "a100-80gb",
                "--price", "2", "--no-measure", "--out", (dir.path() / "gpu").string()},
               kSource);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto fresh = nlohmann::json::parse(read_text(dir.path() / "gpu" / "run.json"));
  EXPECT_EQ(fresh.at("schema_version"), 2);
  // The v1 GPU section with its costs under the v2 names, renamed here independently of
  // migrate_run_record (whose own test checks that it does the same).
  const auto v1 = nlohmann::json::parse(read_text(kV1 / "gpu" / "run.json"));
  auto expected = v1.at("gpu");
  for (auto& model : expected.at("models")) {
    for (auto& batch : model.at("batches")) {
      for (const auto& [from, to] : std::map<std::string, std::string>{
               {"usd_per_million_output_tokens", "usd_per_1m_output_tokens"},
               {"measured_usd_per_million_output_tokens", "measured_usd_per_1m_output_tokens"},
               {"usd_per_thousand_images", "usd_per_1k_images"},
               {"measured_usd_per_thousand_images", "measured_usd_per_1k_images"}}) {
        batch[to] = batch.at(from);
        batch.erase(from);
      }
    }
  }
  // Fields this build adds that version-1 records did not have (the overlap bound); every other
  // value must be what the fixture holds.
  auto got = fresh.at("gpu");
  for (auto& model : got.at("models")) {
    for (auto& batch : model.at("batches")) {
      for (const char* added : {"overlap_bound_tokens_per_s", "overlap_bound_requests_per_s",
                                "overlap_bound_images_per_s", "overlap_usd_per_1m_output_tokens"}) {
        EXPECT_TRUE(batch.contains(added)) << added;
        batch.erase(added);
      }
    }
  }
  EXPECT_EQ(got.at("models"), expected.at("models"));
  EXPECT_EQ(got.at("price"), expected.at("price"));
  EXPECT_EQ(got.at("gpu"), expected.at("gpu"));
  EXPECT_EQ(got.at("peak_tflops"), expected.at("peak_tflops"));
}

}  // namespace
}  // namespace lmmbench::testing
