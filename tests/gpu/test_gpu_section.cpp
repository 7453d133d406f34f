// The run record's GPU section: JSON round trip, nulls for what was not measured, records
// without the section, and the Markdown rendering.
#include <sstream>

#include <gtest/gtest.h>

#include "reports/markdown.hpp"
#include "reports/run_record.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {
namespace {

GpuSection example(bool measured) {
  GpuSection s;
  s.gpu = "a100-80gb";
  s.gpu_description = "NVIDIA A100 80GB SXM4";
  s.gpu_source = measured ? "detected" : "named";
  s.gpu_table = "configs/gpus.json";
  s.gpu_count = 8;
  s.dtype = "fp16";
  s.peak_tflops = 312;
  s.bandwidth_gb_per_s = 2039;
  s.memory_gb = 80;
  s.memory_fraction = 0.9;
  s.price = GpuPrice{1.89, "--price", "", ""};
  s.measured = measured;
  s.measurement = measured ? "measured" : "measurement needs a GPU: no device";
  GpuModelResult m;
  m.model = "llava-1.5-7b";
  m.prompt_tokens = 640;
  GpuBatchResult b;
  b.batch = 1;
  b.max_batch_kv_fit = 143;
  b.prefill_flops = 8.787e12;
  GpuStageResult st;
  st.name = "lm.decode";
  st.bound_ms = 6.5;
  st.bound_by = "memory";
  GpuOpResult op;
  op.name = "qkv";
  op.kind = "gemm";
  op.count = 32;
  if (measured) {
    s.device = GpuDevice{"NVIDIA A100-SXM4-80GB",
                         "8.0",
                         108,
                         85899345920,
                         41943040,
                         1410,
                         1593,
                         5120,
                         "13.0",
                         "13.0",
                         "13.1.0"};
    s.timing = GpuTiming{3, 10, 200, 0.02, false, 8, 33554432, "cold-decode", false, true};
    op.measured_ms = 0.1;
    op.mfu = 0.5;
    st.measured_ms = 7.5;
    b.measured_tokens_per_s = 130;
  }
  st.ops.push_back(op);
  b.stages.push_back(st);
  b.bound_tokens_per_s = 146.3;
  b.usd_per_day = 362.88;
  b.usd_per_1m_output_tokens = 3.6;
  m.batches.push_back(b);
  s.models.push_back(m);
  return s;
}

TEST(GpuSection, RoundTripsThroughJsonWithNullsForWhatWasNotMeasured) {
  for (const bool measured : {false, true}) {
    const GpuSection s = example(measured);
    const nlohmann::json j = s;
    const auto& batch = j.at("models").at(0).at("batches").at(0);
    EXPECT_EQ(batch.at("stages").at(0).at("measured_ms").is_null(), !measured);
    EXPECT_EQ(batch.at("measured_tokens_per_s").is_null(), !measured);
    EXPECT_EQ(j.at("device").is_null(), !measured);
    EXPECT_DOUBLE_EQ(batch.at("bound_tokens_per_s").get<double>(), 146.3);
    const GpuSection back = j.get<GpuSection>();
    EXPECT_EQ(nlohmann::json(back), j);
    EXPECT_EQ(back.models.at(0).batches.at(0).stages.at(0).ops.at(0).measured_ms.has_value(),
              measured);
  }
}

TEST(GpuSection, RunRecordsWithAndWithoutIt) {
  RunRecord r;
  r.run_name = "gpu";
  nlohmann::json j = r;
  EXPECT_FALSE(j.contains("gpu"));  // evaluation records are unchanged
  EXPECT_FALSE(j.get<RunRecord>().gpu.has_value());
  r.gpu = example(false);
  j = r;
  EXPECT_EQ(j.at("schema_version"), 2);
  const RunRecord back = j.get<RunRecord>();
  ASSERT_TRUE(back.gpu.has_value());
  EXPECT_EQ(back.gpu->models.at(0).model, "llava-1.5-7b");
  EXPECT_EQ(nlohmann::json(back), j);
}

TEST(GpuMarkdown, ShowsBoundsAndDashesForUnmeasuredValues) {
  std::ostringstream out;
  render_section_markdown(gpu_view(example(false)), out);
  const std::string text = out.str();
  EXPECT_NE(text.find("| lm.decode |  | 0 | 0 | 6.5 | memory | — | — | — | — |"), std::string::npos)
      << text;
  EXPECT_NE(text.find("- not measured: measurement needs a GPU: no device"), std::string::npos)
      << text;
  std::ostringstream measured;
  render_section_markdown(gpu_view(example(true)), measured);
  EXPECT_NE(measured.str().find("| 146.3 | 130 |"), std::string::npos) << measured.str();
  EXPECT_NE(measured.str().find("- device: NVIDIA A100-SXM4-80GB · compute capability 8.0"),
            std::string::npos)
      << measured.str();
}

}  // namespace
}  // namespace lmmbench::reports
