// The CUDA executor on a real device (label gpu), reached the way lmmbench reaches it: the built
// liblmmbench_cuda.so loaded through its C API. Every GEMM and attention call of every stage is
// checked against the host reference and timed. Skips without a device.
#include <gtest/gtest.h>

#include "gpu_test_support.hpp"
#include "models/gpu/executor.hpp"
#include "models/gpu/plan.hpp"

namespace lmmbench::gpu {
namespace {

using testing::shipped;
using testing::spec_from_text;

/// A small LLaVA-style model that still has every feature: class token, grouped-query attention
/// (8 heads, 2 KV heads) and a sliding window shorter than the prompt.
ModelSpec tiny() {
  return spec_from_text(R"({"model_type": "llava",
    "vision_config": {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
      "num_attention_heads": 4, "image_size": 56, "patch_size": 14},
    "text_config": {"model_type": "mistral", "hidden_size": 256, "intermediate_size": 512,
      "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2,
      "vocab_size": 1000, "max_position_embeddings": 512, "sliding_window": 48},
    "vision_feature_layer": -1})");
}

ExecutorProbe open(int device, const MeasureOptions& options) {
  return open_executor(device, options, LMMBENCH_CUDA_MODULE_FILE);
}

MeasureOptions quick() {
  MeasureOptions o;
  o.min_runs = 3;
  o.max_runs = 20;
  o.max_seconds_per_op = 0.5;
  o.algorithms = 4;
  return o;
}

TEST(CudaExecutor, NoDeviceIsAMessageNotACrash) {
  const ExecutorProbe probe = open(1 << 20, quick());
  EXPECT_EQ(probe.executor, nullptr);
  EXPECT_FALSE(probe.unavailable.empty());
}

class OnDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    probe_ = open(0, quick());
    if (!probe_.executor) GTEST_SKIP() << probe_.unavailable;
  }
  ExecutorProbe probe_;
};

TEST_F(OnDevice, DescribesTheDevice) {
  const DeviceInfo& d = probe_.executor->device();
  EXPECT_FALSE(d.name.empty());
  EXPECT_GT(d.sm_count, 0);
  EXPECT_GT(d.memory_bytes, 0);
  EXPECT_FALSE(d.cublaslt_version.empty());
}

TEST_F(OnDevice, VerifiesAndTimesEveryStageInBothTypes) {
  for (const DType dtype : {DType::f16, DType::bf16}) {
    const Plan plan = build_plan(tiny(), RequestShape{1, 56, 56, 40, 8}, 2, dtype);
    ASSERT_GT(plan.prompt_len, 48);  // the window masks part of the prefill
    for (const Stage& stage : plan.stages) {
      const StageMeasurement m = probe_.executor->measure(stage, dtype);
      ASSERT_EQ(m.ops.size(), stage.gemms.size() + stage.attention.size()) << stage.name;
      double total = 0;
      for (std::size_t i = 0; i < m.ops.size(); ++i) {
        const OpMeasurement& op = m.ops[i];
        EXPECT_GT(op.seconds, 0) << stage.name << "/" << op.name;
        EXPECT_LE(op.max_error, op.tolerance) << stage.name << "/" << op.name;
        EXPECT_GE(op.runs, 3);
        const std::int64_t count = i < stage.gemms.size()
                                       ? stage.gemms[i].count
                                       : stage.attention[i - stage.gemms.size()].count;
        total += static_cast<double>(count) * op.seconds;
      }
      EXPECT_DOUBLE_EQ(m.seconds, total) << stage.name;
    }
  }
}

TEST_F(OnDevice, MeasuresTheLlava7bDecodeStep) {
  const Plan plan = build_plan(shipped("llava-1.5-7b"), RequestShape{}, 1, DType::f16);
  const StageMeasurement m = probe_.executor->measure(*plan.find(kDecode), DType::f16);
  EXPECT_GT(m.seconds, 0);
  for (const auto& op : m.ops)
    EXPECT_LE(op.max_error, op.tolerance) << op.name;
}

TEST_F(OnDevice, TimesTheDecodeStageColdAndAsAnLLayerGraph) {
  const Plan plan = build_plan(tiny(), RequestShape{1, 56, 56, 40, 8}, 4, DType::f16);
  const StageMeasurement m = probe_.executor->measure(*plan.find(kDecode), DType::f16);
  EXPECT_TRUE(m.cold_l2);
  ASSERT_TRUE(m.sequence.has_value());
  EXPECT_EQ(m.sequence->layers, 2);
  EXPECT_EQ(m.sequence->weight_sets, 2);
  EXPECT_GT(m.sequence->seconds, 0);
  EXPECT_GE(m.sequence->runs, 3);
}

TEST_F(OnDevice, BothReductionPoliciesGiveCheckedResults) {
  for (const bool reduced : {false, true}) {
    MeasureOptions o = quick();
    o.reduced_precision_reduction = reduced;
    ExecutorProbe probe = open(0, o);
    ASSERT_NE(probe.executor, nullptr) << probe.unavailable;
    // K much larger than M and N: the shape split-K algorithms are for.
    Stage stage;
    stage.name = "split_k";
    stage.gemms = {Gemm{"down", 8, 256, 32768, 1, 1}};
    const StageMeasurement m = probe.executor->measure(stage, DType::f16);
    EXPECT_LE(m.ops[0].max_error, m.ops[0].tolerance) << "reduced=" << reduced;
  }
}

TEST_F(OnDevice, AConstructorThatFailsReleasesWhatItMadeAndTheNextOpenWorks) {
  MeasureOptions huge = quick();
  huge.workspace_bytes = std::size_t{1} << 50;  // cudaMalloc fails after the stream and handle
  for (int i = 0; i < 50; ++i) {
    const ExecutorProbe failed = open(0, huge);
    ASSERT_EQ(failed.executor, nullptr);
    EXPECT_NE(failed.unavailable.find("cudaMalloc"), std::string::npos) << failed.unavailable;
  }
  ExecutorProbe probe = open(0, quick());
  ASSERT_NE(probe.executor, nullptr) << probe.unavailable;
  const auto run = probe.executor->prepare_gemm(Gemm{"g", 64, 64, 64, 1, 1}, DType::f16);
  EXPECT_GT(run(), 0);
}

TEST_F(OnDevice, PreparedGemmsTimeOneCall) {
  const auto run = probe_.executor->prepare_gemm(Gemm{"g", 256, 512, 128, 1, 1}, DType::f16);
  EXPECT_GT(run(), 0);
  EXPECT_GT(run(), 0);
}

}  // namespace
}  // namespace lmmbench::gpu
