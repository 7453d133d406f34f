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

TEST(Roofline, TheOverlapBoundIsTheRequestBatchsBytesAtTheBandwidthForLlava7bAtBatch1) {
  // By hand, LLaVA-1.5-7B on an A100-80GB, one 640-token request, 128 output tokens, FP16:
  // prefill moves 17.763 GB (weights of every prefill stage, the LM head's, activations and KV
  // writes) and does 8.787 TFLOP; each of the 127 decode steps moves 13.589 GB and does 13.58
  // GFLOP. Bytes: 17.763 + 127 x 13.589 = 1743.5 GB / 2.039 TB/s = 0.8551 s; FLOPs: 8.787 + 127 x
  // 0.01358 = 10.51 TFLOP / 312 TFLOP/s = 0.0337 s. Memory binds: 128 / 0.8551 = 149.7 tokens/s,
  // against 146.3 for static batching (prefill's 28.3 ms no longer adds to the decode steps).
  const GpuKind& a100 = shipped_gpus().find("a100-80gb");
  const Plan p = build_plan(shipped("llava-1.5-7b"), RequestShape{}, 1, DType::f16);
  const Roofline r = roofline(p, a100);
  const double bytes = 17.763414144e9 + 127 * 13.588585088e9;
  const double flops = 8.787284553728e12 + 127 * 13.583777792e9;
  EXPECT_LT(flops / 312e12, bytes / 2.039e12);
  EXPECT_NEAR(r.overlap.request_batch_seconds, bytes / 2.039e12, 1e-9);
  EXPECT_NEAR(r.overlap.request_batch_seconds, 0.8551, 1e-4);
  EXPECT_NEAR(r.overlap.tokens_per_second, 149.69, 0.01);
  EXPECT_NEAR(r.overlap.requests_per_second, 1 / (bytes / 2.039e12), 1e-9);
  EXPECT_NEAR(r.totals.tokens_per_second, 146.34, 0.01);
  // Each phase alone: prefill is compute bound, the decode step memory bound.
  EXPECT_NEAR(r.overlap.prefill_seconds, 8.787284553728e12 / 312e12, 1e-12);
  EXPECT_NEAR(r.overlap.decode_step_seconds, 13.588585088e9 / 2.039e12, 1e-12);
}

TEST(Roofline, TheOverlapBoundAdmitsWhatAContinuousBatchingServerMeasured) {
  // SGLang served LLaVA-1.5-13B on one H100 at 18.6 images/s at batch 48 (issue 22, from
  // SGLang's benchmark); the static-batching bound of a 640-token prompt and 128 output tokens
  // is 16.8 images/s, which a server overlapping prefill with decode can beat. The overlap bound
  // must not be beaten: 22.5 images/s.
  const Plan p = build_plan(shipped("llava-1.5-13b"), RequestShape{}, 48, DType::f16);
  const Roofline r = roofline(p, shipped_gpus().find("h100-sxm"));
  EXPECT_NEAR(r.totals.images_per_second, 16.82, 0.01);
  EXPECT_NEAR(r.overlap.images_per_second, 22.55, 0.01);
  EXPECT_LT(r.totals.images_per_second, 18.6);
  EXPECT_GT(r.overlap.images_per_second, 18.6);
}

TEST(Roofline, TheOverlapBoundIsNeverBelowTheStaticBound) {
  for (const char* model : {"llava-1.5-7b", "llava-1.5-13b", "qwen2-vl-7b-instruct"}) {
    for (const char* gpu : {"a100-80gb", "h100-sxm", "l4"}) {
      for (const std::int64_t batch : {1, 8, 64}) {
        const Plan p = build_plan(shipped(model), RequestShape{}, batch, DType::f16);
        const Roofline r = roofline(p, shipped_gpus().find(gpu));
        EXPECT_GE(r.overlap.tokens_per_second, r.totals.tokens_per_second * (1 - 1e-12))
            << model << " " << gpu << " " << batch;
        EXPECT_LE(r.overlap.request_batch_seconds, r.totals.request_batch_seconds * (1 + 1e-12));
      }
    }
  }
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
