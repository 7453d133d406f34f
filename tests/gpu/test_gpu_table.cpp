// configs/gpus.json: every kind the roofline needs, with sources and dated prices; bad tables
// are located errors.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "gpu_test_support.hpp"

namespace lmmbench::gpu {
namespace {

using testing::shipped_gpus;

TEST(GpuTable, ShipsTheKindsOfTheIssueWithSourcesAndDatedPrices) {
  const GpuTable& t = shipped_gpus();
  for (const char* name : {"a100-40gb", "a100-80gb", "a100-80gb-pcie", "h100-sxm", "h100-pcie",
                           "h200", "l40s", "l4", "a10g"}) {
    const GpuKind& g = t.find(name);
    EXPECT_FALSE(g.sources.empty()) << name;
    EXPECT_TRUE(g.dense_tflops.fp16.has_value()) << name;
    EXPECT_GT(g.bandwidth_gb_per_s, 0) << name;
    for (const auto& p : g.prices) {
      EXPECT_FALSE(p.source.empty()) << name;
      EXPECT_TRUE(p.date.size() == 10 || p.date.size() == 7) << name << " " << p.date;
    }
  }
  const GpuKind& a100 = t.find("A100-80GB-SXM");  // aliases, any case
  EXPECT_EQ(a100.name, "a100-80gb");
  EXPECT_EQ(*a100.dense_tflops.fp16, 312);
  EXPECT_FALSE(a100.dense_tflops.fp8.has_value());  // no FP8 on Ampere
  EXPECT_EQ(a100.bandwidth_gb_per_s, 2039);
  EXPECT_EQ(*a100.peak_flops(DType::bf16), 312e12);
  EXPECT_EQ(a100.memory_bytes(), 80e9);
  EXPECT_EQ(t.find("h100").name, "h100-sxm");
  EXPECT_EQ(*t.find("h100-sxm").dense_tflops.bf16, 989.4);
  EXPECT_EQ(t.find("h200").bandwidth_gb_per_s, 4800);
}

TEST(GpuTable, MatchesDeviceNamesExactly) {
  const GpuTable& t = shipped_gpus();
  ASSERT_NE(t.match_device("NVIDIA H100 80GB HBM3"), nullptr);
  EXPECT_EQ(t.match_device("NVIDIA H100 80GB HBM3")->name, "h100-sxm");
  EXPECT_EQ(t.match_device("NVIDIA A100-SXM4-80GB")->name, "a100-80gb");
  EXPECT_EQ(t.match_device("NVIDIA A10")->name, "a10");  // not a100-*
  EXPECT_EQ(t.match_device("NVIDIA GeForce RTX 4090"), nullptr);
}

TEST(GpuTable, UnknownKindSuggestsTheNearest) {
  try {
    (void)shipped_gpus().find("a100-80");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown GPU kind 'a100-80' (did you mean"),
              std::string::npos)
        << e.what();
  }
}

void expect_error(const std::string& text, const std::string& needle, std::size_t line) {
  try {
    (void)GpuTable::read(ConfigNode(JsonSource::from_text(text, "gpus.json")));
    ADD_FAILURE() << "expected InputError containing: " << needle;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(e.where().line, line) << e.what();
  }
}

std::string kind(const std::string& extra, const std::string& peaks = R"("fp16": 1, "bf16": 1,
  "tf32": null, "fp8": null, "int8": null)") {
  return R"({"gpus": [{"name": "x", "description": "X", "memory_gb": 1, "bandwidth_gb_per_s": 1,
  "sources": ["s"], "dense_tflops": {)" +
         peaks + "}" + extra + "}]}";
}

TEST(GpuTable, BadTablesAreLocatedErrors) {
  EXPECT_NO_THROW((void)GpuTable::read(ConfigNode(JsonSource::from_text(kind(""), "gpus.json"))));
  expect_error(kind("", R"("fp16": 1, "bf16": 1, "tf32": null, "int8": null)"),
               "missing required field (use null when no figure exists)", 2);
  expect_error(kind("", R"("fp16": -5, "bf16": 1,
  "tf32": null, "fp8": null, "int8": null)"),
               "must be > 0", 2);
  expect_error(kind(R"(,
  "prices": [{"provider": "p", "usd_per_gpu_hour": 1, "date": "May 2026", "source": "u"}])"),
               "date must be YYYY-MM-DD or YYYY-MM, not 'May 2026'", 4);
  expect_error(kind(R"(,
  "aliases": ["x"])"),
               "GPU name or alias 'x' is used twice", 1);
  expect_error(kind(R"(,
  "bandwith": 5)"),
               "unknown field 'bandwith'", 4);
  expect_error(R"({"gpus": []})", "the GPU table is empty", 1);
}

}  // namespace
}  // namespace lmmbench::gpu
