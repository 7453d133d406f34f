// The loader of the CUDA module (models/gpu/executor_loader.cpp) against stand-in modules built
// from fake_cuda_module.cpp, so the C API, its version check and its error paths are tested
// without CUDA or a GPU.
#include <cstdlib>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include "models/gpu/cuda_module_api.h"
#include "models/gpu/executor.hpp"

namespace lmmbench::gpu {
namespace {

MeasureOptions options() {
  return MeasureOptions{};
}

std::string reason(const std::filesystem::path& module) {
  const ExecutorProbe probe = open_executor(0, options(), module);
  EXPECT_EQ(probe.executor, nullptr);
  return probe.unavailable;
}

TEST(ExecutorLoader, RefusesAModuleOfAnotherApiVersionNamingBoth) {
  const std::string why = reason(FAKE_MODULE_OTHER_VERSION);
  EXPECT_NE(why.find(FAKE_MODULE_OTHER_VERSION), std::string::npos) << why;
  EXPECT_NE(why.find("has CUDA module API version 1 but this lmmbench needs version " +
                     std::to_string(LMMBENCH_CUDA_API_VERSION)),
            std::string::npos)
      << why;
  // Refused and closed again: it is no longer mapped.
  EXPECT_EQ(dlopen(FAKE_MODULE_OTHER_VERSION, RTLD_NOW | RTLD_NOLOAD), nullptr);
}

TEST(ExecutorLoader, RefusesAModuleWithoutTheVersionEntryPoint) {
  const std::string why = reason(FAKE_MODULE_NO_VERSION);
  EXPECT_NE(why.find("is not an lmmbench CUDA module of API version " +
                     std::to_string(LMMBENCH_CUDA_API_VERSION) +
                     ": it has no entry point lmmbench_cuda_api_version"),
            std::string::npos)
      << why;
}

TEST(ExecutorLoader, RefusesAModuleMissingAnEntryPoint) {
  const std::string why = reason(FAKE_MODULE_NO_MEASURE);
  EXPECT_NE(why.find("has no entry point lmmbench_cuda_measure"), std::string::npos) << why;
}

TEST(ExecutorLoader, AMissingOrBrokenFileIsAReasonNotACrash) {
  EXPECT_NE(reason("/nonexistent/liblmmbench_cuda.so").find("was not found"), std::string::npos);
  EXPECT_NE(reason(LMMBENCH_SOURCE_DIR "/README.md").find("could not be loaded"),
            std::string::npos);
}

TEST(ExecutorLoader, TheModuleSaysWhyThereIsNoDevice) {
  const ExecutorProbe probe = open_executor(3, options(), FAKE_MODULE);
  EXPECT_EQ(probe.executor, nullptr);
  EXPECT_EQ(probe.unavailable, "fake module: only device 0 exists");
}

TEST(ExecutorLoader, WrapsTheCApiInTheExecutorInterface) {
  ExecutorProbe probe = open_executor(0, options(), FAKE_MODULE);
  ASSERT_NE(probe.executor, nullptr) << probe.unavailable;
  Executor& executor = *probe.executor;
  EXPECT_EQ(executor.device().name, "Fake GPU 80GB");
  EXPECT_EQ(executor.device().sm_count, 132);
  EXPECT_EQ(executor.device().memory_bytes, 80'000'000'000);
  EXPECT_EQ(executor.device().cublaslt_version, "13.0.0");

  Stage stage;
  stage.name = "lm.decode";
  stage.gemms = {Gemm{"qkv", 1, 12288, 4096, 1, 32}, Gemm{"o_proj", 1, 4096, 4096, 1, 32}};
  Attention attention;
  attention.name = "attention";
  attention.sequences = 1;
  attention.heads = 32;
  attention.kv_heads = 32;
  attention.head_dim = 128;
  attention.q_len = 1;
  attention.kv_len = 704;
  attention.count = 32;
  stage.attention = {attention};
  const StageMeasurement m = executor.measure(stage, DType::bf16);
  ASSERT_EQ(m.ops.size(), 3U);
  EXPECT_EQ(m.stage, "lm.decode");
  EXPECT_EQ(m.ops[0].name, "qkv");
  EXPECT_EQ(m.ops[0].kind, "gemm");
  EXPECT_EQ(m.ops[2].name, "attention");
  EXPECT_EQ(m.ops[2].kind, "attention");
  EXPECT_DOUBLE_EQ(m.ops[1].seconds, 2e-3);
  EXPECT_TRUE(m.ops[2].converged);
  EXPECT_DOUBLE_EQ(m.seconds, 32 * (1e-3 + 2e-3 + 3e-3));

  stage.name = "mismatch";
  EXPECT_THROW((void)executor.measure(stage, DType::f16), VerificationError);

  const auto run = executor.prepare_gemm(Gemm{"g", 256, 512, 128, 1, 1}, DType::f16);
  EXPECT_DOUBLE_EQ(run(), 256e-6);
  try {
    (void)executor.prepare_gemm(Gemm{"g", 0, 512, 128, 1, 1}, DType::f16);
    FAIL() << "no error";
  } catch (const VerificationError&) {
    FAIL() << "a failure is not a verification error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "fake module: out of memory");
  }
}

Stage decode_stage(Phase phase) {
  Stage stage;
  stage.name = "lm.decode";
  stage.phase = phase;
  stage.gemms = {Gemm{"qkv", 8, 12288, 4096, 1, 32}, Gemm{"o_proj", 8, 4096, 4096, 1, 32}};
  return stage;
}

TEST(ExecutorLoader, DecodeStagesAreTimedColdAndAsAnLLayerSequenceByDefault) {
  ExecutorProbe probe = open_executor(0, options(), FAKE_MODULE);
  ASSERT_NE(probe.executor, nullptr) << probe.unavailable;
  const StageMeasurement decode = probe.executor->measure(decode_stage(Phase::decode), DType::f16);
  EXPECT_TRUE(decode.cold_l2);
  ASSERT_TRUE(decode.sequence.has_value());
  EXPECT_EQ(decode.sequence->layers, 32);
  EXPECT_EQ(decode.sequence->weight_sets, 2);
  // The fake's sequence is 0.25 ms shorter when the module was told the L2 is cold.
  EXPECT_DOUBLE_EQ(decode.sequence->seconds, 32e-3 - 0.25e-3);

  const StageMeasurement prefill =
      probe.executor->measure(decode_stage(Phase::prefill), DType::f16);
  EXPECT_FALSE(prefill.cold_l2);
  EXPECT_FALSE(prefill.sequence.has_value());
}

TEST(ExecutorLoader, TheL2PolicyAndTheSequenceFollowTheOptions) {
  MeasureOptions warm;
  warm.l2 = L2Policy::warm;
  warm.time_sequence = false;
  ExecutorProbe probe = open_executor(0, warm, FAKE_MODULE);
  ASSERT_NE(probe.executor, nullptr) << probe.unavailable;
  const StageMeasurement m = probe.executor->measure(decode_stage(Phase::decode), DType::f16);
  EXPECT_FALSE(m.cold_l2);
  EXPECT_FALSE(m.sequence.has_value());

  EXPECT_TRUE(cold_l2(decode_stage(Phase::prefill), L2Policy::cold));
  EXPECT_FALSE(cold_l2(decode_stage(Phase::both), L2Policy::cold_decode));
  EXPECT_FALSE(cold_l2(decode_stage(Phase::decode), L2Policy::warm));
  // A one-layer decode stage (the LM head) has no sequence to time.
  Stage head = decode_stage(Phase::decode);
  head.gemms = {Gemm{"lm_head", 8, 32064, 4096, 1, 1}};
  EXPECT_FALSE(times_sequence(head, MeasureOptions{}));
  for (const auto policy : {L2Policy::cold_decode, L2Policy::warm, L2Policy::cold})
    EXPECT_EQ(parse_l2_policy(to_string(policy)), policy);
  EXPECT_FALSE(parse_l2_policy("hot").has_value());
}

TEST(ExecutorLoader, TheEnvironmentVariableComesFirstInTheSearch) {
  ::setenv(kCudaModuleVariable, FAKE_MODULE_OTHER_VERSION, 1);
  const auto candidates = cuda_module_candidates();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates.front(), FAKE_MODULE_OTHER_VERSION);
  const ExecutorProbe probe = open_executor(0, options());
  ::unsetenv(kCudaModuleVariable);
  EXPECT_EQ(probe.executor, nullptr);
  EXPECT_NE(probe.unavailable.find("API version 1"), std::string::npos) << probe.unavailable;
}

}  // namespace
}  // namespace lmmbench::gpu
