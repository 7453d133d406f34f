// The roofline, KV-cache fit and cost against worked examples (perf-anchors.md 7.5-7.6).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "gpu_test_support.hpp"
#include "models/gpu/roofline.hpp"

namespace lmmbench::gpu {
namespace {

using testing::shipped;
using testing::shipped_gpus;

const StageBound& bound_of(const Roofline& r, std::string_view name) {
  for (const auto& s : r.stages) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no stage " + std::string(name));
}

TEST(Roofline, Llava7bDecodeOnA100_80gbIsBandwidthBound) {
  const GpuKind& a100 = shipped_gpus().find("a100-80gb");
  const auto spec = shipped("llava-1.5-7b");
  const Plan p1 = build_plan(spec, RequestShape{}, 1, DType::f16);
  const Roofline r1 = roofline(p1, a100);
  EXPECT_TRUE(bound_of(r1, kDecode).memory_bound());
  EXPECT_TRUE(bound_of(r1, kLmHead).memory_bound());
  // Both decode-phase stages are memory bound, so the step is its bytes over 2.039 TB/s:
  // 13.59 GB -> 6.66 ms, 150 tokens/s at batch 1 (perf-anchors 7.5: 6.66 ms, 150).
  EXPECT_NEAR(r1.totals.decode_step_seconds, p1.decode_bytes_per_step() / 2.039e12, 1e-15);
  EXPECT_NEAR(r1.totals.decode_step_seconds * 1e3, 6.66, 0.01);
  EXPECT_NEAR(r1.totals.decode_tokens_per_second, 150.0, 0.5);

  // Batch 32: 25.18 GB per step -> 12.35 ms, 2591 tokens/s (perf-anchors 2607 leaves out the
  // activations' 0.15 GB).
  const Plan p32 = build_plan(spec, RequestShape{}, 32, DType::f16);
  const Roofline r32 = roofline(p32, a100);
  EXPECT_TRUE(bound_of(r32, kDecode).memory_bound());
  EXPECT_NEAR(r32.totals.decode_tokens_per_second, 32 / (p32.decode_bytes_per_step() / 2.039e12),
              1e-9);
  EXPECT_NEAR(r32.totals.decode_tokens_per_second, 2591.3, 0.5);
}

TEST(Roofline, Llava7bPrefillIsComputeBoundAt312Tflops) {
  const GpuKind& a100 = shipped_gpus().find("a100-80gb");
  const Plan p = build_plan(shipped("llava-1.5-7b"), RequestShape{}, 1, DType::f16);
  const Roofline r = roofline(p, a100);
  for (const auto name : {kPatchEmbed, kVisionLayers, kProjector, kPrefill}) {
    EXPECT_FALSE(bound_of(r, name).memory_bound()) << name;
  }
  // 8.787 TFLOP less the LM head's 0.26 GFLOP at 312 TFLOPS, plus the LM head reading its
  // 32064 x 4096 weight (memory bound): 28.16 ms + 0.129 ms (perf-anchors 7.3: 28.2 ms).
  const double head_bytes = 2.0 * (4096 + 4096.0 * 32064 + 32064);
  const double expected = (p.prefill_flops() - 2.0 * 4096 * 32064) / 312e12 + head_bytes / 2.039e12;
  EXPECT_NEAR(r.totals.prefill_seconds, expected, 1e-12);
  EXPECT_NEAR(r.totals.prefill_seconds * 1e3, 28.29, 0.01);
  // One request: prefill then 127 decode steps for 128 output tokens.
  const double request = r.totals.prefill_seconds + 127 * r.totals.decode_step_seconds;
  EXPECT_NEAR(r.totals.request_batch_seconds, request, 1e-12);
  EXPECT_NEAR(r.totals.tokens_per_second, 128 / request, 1e-9);
  EXPECT_NEAR(r.totals.requests_per_second, 1 / request, 1e-12);
  EXPECT_NEAR(r.totals.images_per_second, 1 / request, 1e-12);
  EXPECT_NEAR(r.totals.tokens_per_second, 146.3, 0.1);
}

TEST(Roofline, H100IsFasterOnBothSides) {
  const auto p = build_plan(shipped("llava-1.5-7b"), RequestShape{}, 32, DType::bf16);
  const Roofline a100 = roofline(p, shipped_gpus().find("a100-80gb"));
  const Roofline h100 = roofline(p, shipped_gpus().find("h100"));
  EXPECT_NEAR(a100.totals.decode_step_seconds / h100.totals.decode_step_seconds, 3350.0 / 2039,
              1e-9);
  EXPECT_NEAR(bound_of(a100, kPrefill).seconds() / bound_of(h100, kPrefill).seconds(), 989.4 / 312,
              1e-9);
}

TEST(Roofline, MissingPeakIsAnInputError) {
  GpuKind g = shipped_gpus().find("a100-80gb");
  g.dense_tflops.bf16.reset();
  const auto p = build_plan(shipped("llava-1.5-7b"), RequestShape{}, 1, DType::bf16);
  EXPECT_THROW((void)roofline(p, g), InputError);
}

TEST(KvFit, WeightsPlusFinalLengthKvCacheIn90PercentOfMemory) {
  const auto& gpus = shipped_gpus();
  const Plan p7 = build_plan(shipped("llava-1.5-7b"), RequestShape{}, 1, DType::f16);
  // (0.9 x 80e9 - 14.124 GB of weights) / (768 tokens x 524,288 B) = 143.7
  const double expected =
      (0.9 * 80e9 - p7.resident_weight_bytes()) / (768.0 * 2 * 32 * 32 * 128 * 2);
  EXPECT_EQ(max_batch_kv_fit(p7, gpus.find("a100-80gb"), 0.9), static_cast<std::int64_t>(expected));
  EXPECT_EQ(max_batch_kv_fit(p7, gpus.find("a100-80gb"), 0.9), 143);
  const Plan p13 = build_plan(shipped("llava-1.5-13b"), RequestShape{}, 1, DType::f16);
  // perf-anchors 7.5: batch 32 of 13B does not fit an A100-40GB.
  EXPECT_EQ(max_batch_kv_fit(p13, gpus.find("a100-40gb"), 0.9), 14);
  EXPECT_EQ(max_batch_kv_fit(p13, gpus.find("a100-80gb"), 0.9), 72);
  EXPECT_EQ(max_batch_kv_fit(p13, gpus.find("l4"), 0.9), 0);  // 26.7 GB of weights > 21.6 GB
}

TEST(Cost, DollarsPerDayAndPerMillionTokens) {
  Throughput t;
  t.tokens_per_second = 2607;
  t.images_per_second = 2607.0 / 128;
  // perf-anchors 7.6: $2.00 per A100-hour at 2,607 tokens/s is $0.213 per 1M output tokens.
  const Cost one = cost(2.00, 1, t, 1);
  EXPECT_DOUBLE_EQ(one.usd_per_day, 48.0);
  ASSERT_TRUE(one.usd_per_1m_output_tokens.has_value());
  EXPECT_NEAR(*one.usd_per_1m_output_tokens, 2.00 * 1e6 / (3600 * 2607), 1e-12);
  EXPECT_NEAR(*one.usd_per_1m_output_tokens, 0.213, 0.0005);
  ASSERT_TRUE(one.usd_per_1k_images.has_value());
  EXPECT_NEAR(*one.usd_per_1k_images, 2.00 * 1e3 / (3600 * 2607.0 / 128), 1e-12);
  // Eight GPUs at $1.89: eight times the dollars per day for eight times the tokens.
  const Cost eight = cost(1.89, 8, t, 1);
  EXPECT_NEAR(eight.usd_per_day, 8 * 1.89 * 24, 1e-9);
  EXPECT_NEAR(eight.usd_per_1m_output_tokens.value_or(0), 1.89 * 1e6 / (3600 * 2607), 1e-12);
  EXPECT_FALSE(cost(1.89, 1, t, 0).usd_per_1k_images.has_value());
}

}  // namespace
}  // namespace lmmbench::gpu
