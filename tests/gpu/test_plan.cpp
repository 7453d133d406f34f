// The plan's FLOPs and bytes against hand calculations (shared/research/perf-anchors.md 7.3-7.4):
// each expected value below is written out from the architecture, independently of plan.cpp.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "gpu_test_support.hpp"
#include "models/gpu/plan.hpp"

namespace lmmbench::gpu {
namespace {

using testing::shipped;

constexpr double kRel = 1e-12;  // the plan is exact arithmetic; allow only double rounding

const Stage& stage(const Plan& p, std::string_view name) {
  const Stage* s = p.find(name);
  if (s == nullptr) throw std::runtime_error("no stage " + std::string(name));
  return *s;
}

/// LLaVA-1.5 FLOPs of one image request with n prompt tokens (d, f, L, V of the LM).
struct LlavaFlops {
  double patch, vision, projector, prefill, head;
  [[nodiscard]] double total() const { return patch + vision + projector + prefill + head; }
};

LlavaFlops llava_flops(double d, double f, double layers, double vocab, double n) {
  const double dv = 1024, fv = 4096, s = 577, patches = 576;
  LlavaFlops x{};
  x.patch = 2 * patches * dv * (3 * 14 * 14);
  // 23 CLIP layers: QKV 3 dv^2 + O dv^2 + fc1/fc2 2 dv fv per token, 2 FLOPs each; attention
  // Q K^T and P V, 2 s^2 dv each.
  x.vision = 23 * (2 * s * (4 * dv * dv + 2 * dv * fv) + 4 * s * s * dv);
  x.projector = 2 * patches * (dv * d + d * d);
  // Per token and layer 2 (4 d^2 + 3 d f); causal attention n (n + 1) / 2 pairs x 4 d.
  x.prefill = layers * (n * 2 * (4 * d * d + 3 * d * f) + 2 * n * (n + 1) * d);
  x.head = 2 * d * vocab;
  return x;
}

TEST(Plan, Llava7bPrefillOfA640TokenPromptIs8_8Tflop) {
  const Plan p =
      build_plan(shipped("llava-1.5-7b"), RequestShape{1, 336, 336, 64, 128}, 1, DType::f16);
  EXPECT_EQ(p.image.tokens, 576);
  EXPECT_EQ(p.prompt_len, 640);  // 64 text + 576 image tokens
  EXPECT_EQ(p.decode_context, 704);
  EXPECT_EQ(p.decode_steps(), 127);
  const LlavaFlops x = llava_flops(4096, 11008, 32, 32064, 640);
  EXPECT_NEAR(stage(p, kPatchEmbed).flops(), x.patch, kRel * x.patch);
  EXPECT_NEAR(stage(p, kVisionLayers).flops(), x.vision, kRel * x.vision);
  EXPECT_NEAR(stage(p, kProjector).flops(), x.projector, kRel * x.projector);
  EXPECT_NEAR(stage(p, kPrefill).flops(), x.prefill, kRel * x.prefill);
  EXPECT_NEAR(stage(p, kLmHead).flops(), x.head, kRel * x.head);
  EXPECT_NEAR(p.prefill_flops(), x.total(), kRel * x.total());
  // perf-anchors 7.3: 366 GFLOP vision, 24.2 GFLOP projector, 8.79 TFLOP in all.
  EXPECT_NEAR((x.patch + x.vision) / 1e9, 366.0, 0.5);
  EXPECT_NEAR(x.projector / 1e9, 24.2, 0.05);
  EXPECT_NEAR(p.prefill_flops() / 1e12, 8.79, 0.005);
}

TEST(Plan, PrefillScalesWithTheBatch) {
  const auto spec = shipped("llava-1.5-7b");
  const Plan one = build_plan(spec, RequestShape{}, 1, DType::f16);
  const Plan many = build_plan(spec, RequestShape{}, 32, DType::f16);
  EXPECT_NEAR(many.prefill_flops(), 32 * one.prefill_flops(), kRel * many.prefill_flops());
  EXPECT_EQ(stage(many, kPrefill).gemms[0].m, 32 * 640);
  EXPECT_EQ(stage(many, kDecode).gemms[0].m, 32);
}

TEST(Plan, Llava13bAndLongerPrompts) {
  const auto p13 = build_plan(shipped("llava-1.5-13b"), RequestShape{}, 1, DType::f16);
  EXPECT_NEAR(p13.prefill_flops(), llava_flops(5120, 13824, 40, 32064, 640).total(),
              kRel * p13.prefill_flops());
  EXPECT_NEAR(p13.prefill_flops() / 1e12, 16.81, 0.005);  // perf-anchors 7.3
  // n = 1024 (448 text + 576 image tokens): 13.93 (7B) and 26.82 (13B) TFLOP.
  const RequestShape longer{1, 336, 336, 448, 128};
  EXPECT_NEAR(build_plan(shipped("llava-1.5-7b"), longer, 1, DType::f16).prefill_flops() / 1e12,
              13.93, 0.005);
  EXPECT_NEAR(build_plan(shipped("llava-1.5-13b"), longer, 1, DType::f16).prefill_flops() / 1e12,
              26.82, 0.005);
}

/// Bytes of one decode step of a llama-style LM (FP16): every GEMM reads its activations
/// (B rows) and weights and writes its output; attention reads Q, the whole KV cache of c tokens
/// and writes O; the LM head reads its B x d input and V x d weight and writes B x V logits.
double decode_bytes(double d, double f, double layers, double heads, double vocab, double batch,
                    double context) {
  const double hd = d / heads;
  const double gemms = (batch * d + d * 3 * d + batch * 3 * d) + (batch * d + d * d + batch * d) +
                       (batch * d + d * 2 * f + batch * 2 * f) + (batch * f + f * d + batch * d);
  const double attention = 2 * batch * heads * hd + 2 * batch * heads * context * hd;
  const double head = batch * d + d * vocab + batch * vocab;
  return 2 * (layers * (gemms + attention) + head);
}

TEST(Plan, Llava7bDecodeStepReads13_2GbOfWeights) {
  const auto spec = shipped("llava-1.5-7b");
  const Plan p = build_plan(spec, RequestShape{}, 1, DType::f16);
  const double weights = 2.0 * (32 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008) + 32064.0 * 4096);
  EXPECT_NEAR(p.decode_weight_bytes_per_step(), weights, kRel * weights);
  EXPECT_NEAR(p.decode_weight_bytes_per_step() / 1e9, 13.21, 0.005);  // perf-anchors 7.4
  const double step = decode_bytes(4096, 11008, 32, 32, 32064, 1, 704);
  EXPECT_NEAR(p.decode_bytes_per_step(), step, kRel * step);
  // perf-anchors 7.4 gives 13.58 GB (weights + KV cache, activations left out).
  EXPECT_NEAR(p.decode_bytes_per_step() / 1e9, 13.58, 0.01);
  EXPECT_EQ(p.kv_bytes_per_token(), 2.0 * 32 * 32 * 128 * 2);  // 524,288 B

  const Plan p32 = build_plan(spec, RequestShape{}, 32, DType::f16);
  const double step32 = decode_bytes(4096, 11008, 32, 32, 32064, 32, 704);
  EXPECT_NEAR(p32.decode_bytes_per_step(), step32, kRel * step32);
  // The KV cache of 32 x 704 tokens is the difference perf-anchors shows (25.03 - 13.58 GB plus
  // the activations of 32 rows, 0.15 GB).
  EXPECT_NEAR(p32.decode_bytes_per_step() / 1e9, 25.18, 0.01);

  const Plan p13 = build_plan(shipped("llava-1.5-13b"), RequestShape{}, 1, DType::f16);
  EXPECT_NEAR(p13.decode_weight_bytes_per_step() / 1e9, 25.70, 0.005);  // perf-anchors 7.4
  EXPECT_EQ(p13.kv_bytes_per_token(), 2.0 * 40 * 40 * 128 * 2);         // 819,200 B
}

TEST(Plan, ResidentWeightsCountEveryMatrixOnce) {
  const Plan p = build_plan(shipped("llava-1.5-7b"), RequestShape{}, 1, DType::f16);
  const double vision = 588.0 * 1024 + 24 * (4.0 * 1024 * 1024 + 2.0 * 1024 * 4096);
  const double projector = 1024.0 * 4096 + 4096.0 * 4096;
  const double lm = 2 * 32064.0 * 4096 + 32 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008);
  EXPECT_DOUBLE_EQ(p.resident_weight_bytes(), 2 * (vision + projector + lm));
}

TEST(Plan, GroupedQueryAttentionShrinksKeysAndValues) {
  const Plan p = build_plan(shipped("qwen2-vl-7b-instruct"), RequestShape{}, 2, DType::bf16);
  EXPECT_EQ(p.image.tokens, 144);
  EXPECT_EQ(p.prompt_len, 64 + 144);
  // q: 28 heads x 128, k and v: 4 heads x 128 each.
  const Gemm& qkv = stage(p, kDecode).gemms[0];
  EXPECT_EQ(qkv.n, (28 + 2 * 4) * 128);
  EXPECT_EQ(qkv.k, 3584);
  EXPECT_EQ(p.kv_bytes_per_token(), 2.0 * 28 * 4 * 128 * 2);  // 57,344 B
  const Attention& a = stage(p, kDecode).attention[0];
  EXPECT_EQ(a.kv_heads, 4);
  const double c = 64 + 144 + 64;
  EXPECT_EQ(p.decode_context, c);
  // Reads Q and writes O for 28 heads; reads K and V of c tokens for 4 heads.
  EXPECT_DOUBLE_EQ(a.bytes(DType::bf16), 2 * (2.0 * 2 * 28 * 128 + 2.0 * 2 * 4 * c * 128));
  EXPECT_DOUBLE_EQ(a.flops(), 4.0 * 128 * 28 * 2 * c);
  // Vision: 576 patches of 3 x 2 x 14 x 14, full attention over 576 positions, 16 heads of 80;
  // merger over 144 tokens of 5120.
  EXPECT_EQ(stage(p, kPatchEmbed).gemms[0].k, 1176);
  EXPECT_EQ(stage(p, kPatchEmbed).gemms[0].m, 2 * 576);
  EXPECT_EQ(stage(p, kVisionLayers).attention[0].head_dim, 80);
  EXPECT_EQ(stage(p, kVisionLayers).gemms[2].n, 5120);
  EXPECT_EQ(stage(p, kProjector).gemms[0].m, 2 * 144);
  EXPECT_EQ(stage(p, kProjector).gemms[0].k, 5120);
  EXPECT_EQ(stage(p, kProjector).gemms[1].n, 3584);
}

TEST(Attention, MaskedPairsAreCountedExactly) {
  Attention a{"a", 1, 1, 1, 1, 4, 4, true, std::nullopt, 1};
  EXPECT_EQ(a.attended_pairs(), 10);  // 1 + 2 + 3 + 4
  a.q_len = a.kv_len = 5;
  a.window = 3;
  EXPECT_EQ(a.attended_pairs(), 12);  // 1 + 2 + 3 + 3 + 3
  a.q_len = 1;
  a.kv_len = 10;
  a.window = 4;
  EXPECT_EQ(a.attended_pairs(), 4);  // one query at position 9 sees 4 keys
  a.window.reset();
  EXPECT_EQ(a.attended_pairs(), 10);
  a.q_len = 3;
  a.kv_len = 10;
  EXPECT_EQ(a.attended_pairs(), 8 + 9 + 10);
  a.causal = false;
  a.q_len = 3;
  a.kv_len = 7;
  EXPECT_EQ(a.attended_pairs(), 21);
  EXPECT_EQ(a.executed_flops(), 4.0 * 3 * 7);
}

TEST(Plan, TextOnlyRequestsHaveNoVisionStages) {
  const Plan p =
      build_plan(shipped("llava-1.5-7b"), RequestShape{0, 336, 336, 100, 10}, 4, DType::f16);
  EXPECT_EQ(p.prompt_len, 100);
  EXPECT_EQ(p.find(kPatchEmbed), nullptr);
  EXPECT_EQ(p.find(kProjector), nullptr);
  EXPECT_EQ(p.stages.size(), 3u);
}

TEST(Plan, RefusesRequestsThatCannotRun) {
  const auto spec = shipped("llava-1.5-7b");
  EXPECT_THROW((void)build_plan(spec, RequestShape{}, 0, DType::f16), InputError);
  EXPECT_THROW((void)build_plan(spec, RequestShape{1, 336, 336, 64, 0}, 1, DType::f16), InputError);
  EXPECT_THROW((void)build_plan(spec, RequestShape{0, 336, 336, 0, 10}, 1, DType::f16), InputError);
  try {
    (void)build_plan(spec, RequestShape{1, 336, 336, 3400, 128}, 1, DType::f16);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("exceed the model's max_position_embeddings 4096"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lmmbench::gpu
