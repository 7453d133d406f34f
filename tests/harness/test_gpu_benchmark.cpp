// `lmmbench gpu`'s driver in parts (harness/gpu_benchmark.hpp): options, the GPU target, and a
// plan's rows, with no device and with a stand-in executor.
#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "harness/gpu_benchmark.hpp"
#include "models/gpu/roofline.hpp"

namespace lmmbench::harness {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kConfigDir = std::filesystem::path(LMMBENCH_SOURCE_DIR) / "configs";

const gpu::GpuTable& gpus() {
  static const gpu::GpuTable table = gpu::GpuTable::load(kConfigDir / "gpus.json");
  return table;
}

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

/// Times every stage at `slowdown` x its roofline bound on the H100; `failing` throws instead.
class StandInExecutor : public gpu::Executor {
 public:
  StandInExecutor(double slowdown, std::string failing)
      : slowdown_(slowdown), failing_(std::move(failing)) {
    device_.name = "NVIDIA H100 80GB HBM3";
  }
  [[nodiscard]] const gpu::DeviceInfo& device() const override { return device_; }
  [[nodiscard]] const gpu::MeasureOptions& options() const override { return options_; }
  gpu::StageMeasurement measure(const gpu::Stage& stage, gpu::DType dtype) override {
    if (stage.name == failing_) throw Error("out of memory");
    const auto& kind = gpus().find("h100-sxm");
    const double peak = *kind.peak_flops(dtype);
    const double bandwidth = kind.bandwidth_bytes_per_s();
    gpu::StageMeasurement m;
    m.stage = stage.name;
    for (const auto& g : stage.gemms) {
      gpu::OpMeasurement op;
      op.seconds = slowdown_ * std::max(g.flops() / peak, g.bytes(dtype) / bandwidth) /
                   static_cast<double>(g.count);
      op.runs = 10;
      op.converged = true;
      m.ops.push_back(op);
    }
    for (const auto& a : stage.attention) {
      gpu::OpMeasurement op;
      op.seconds = slowdown_ * std::max(a.flops() / peak, a.bytes(dtype) / bandwidth) /
                   static_cast<double>(a.count);
      m.ops.push_back(op);
    }
    // The stage as the roofline bounds it (its own rule, not the sum of its ops' bounds).
    m.seconds = slowdown_ * stage_seconds_.at(stage.name);
    ++measured;
    return m;
  }
  std::function<double()> prepare_gemm(const gpu::Gemm&, gpu::DType) override {
    throw std::logic_error("not used");
  }
  void expect(const gpu::Roofline& bound) {
    for (const auto& s : bound.stages)
      stage_seconds_[s.name] = s.seconds();
  }
  int measured = 0;

 private:
  double slowdown_;
  std::string failing_;
  gpu::DeviceInfo device_;
  gpu::MeasureOptions options_;
  std::map<std::string, double> stage_seconds_;
};

GpuBenchmarkOptions h100_options() {
  GpuBenchmarkOptions o;
  o.models = {"llava-1.5-7b"};
  o.gpu = "h100-sxm";
  o.batches = {4};
  return o;
}

TEST(GpuBenchmarkParts, OptionsAreRefusedNamingTheFlag) {
  auto with = [](const std::function<void(GpuBenchmarkOptions&)>& change) {
    auto o = h100_options();
    change(o);
    return refusal([&] { validate_gpu_benchmark(o); });
  };
  EXPECT_EQ(with([](auto&) {}), "");
  EXPECT_EQ(with([](auto& o) { o.models.clear(); }), "--model: no model given");
  EXPECT_EQ(with([](auto& o) { o.batches.clear(); }), "--batch: no batch size");
  EXPECT_EQ(with([](auto& o) { o.gpu_count = 0; }), "--gpu-count: the GPU count must be >= 1");
  EXPECT_EQ(with([](auto& o) { o.memory_fraction = 0; }), "--memory-fraction: must be in (0, 1]");
  EXPECT_EQ(with([](auto& o) { o.memory_fraction = 1.5; }), "--memory-fraction: must be in (0, 1]");
  EXPECT_EQ(with([](auto& o) { o.usd_per_gpu_hour = 0.0; }),
            "--price: the price must be > 0 dollars per GPU-hour");
}

TEST(GpuBenchmarkParts, TheTargetIsTheNamedKindOrTheDeviceFound) {
  std::ostringstream log;
  auto o = h100_options();
  const auto named = gpu_target(gpus(), o, nullptr, "no CUDA module", log);
  EXPECT_EQ(named.kind.name, "h100-sxm");
  EXPECT_EQ(named.source, "named");
  EXPECT_DOUBLE_EQ(named.peak_flops, 989.4e12);
  EXPECT_DOUBLE_EQ(named.bandwidth, 3350e9);
  ASSERT_TRUE(named.price.has_value());
  EXPECT_DOUBLE_EQ(named.price->usd_per_gpu_hour, 3.78);  // the table's first quote
  EXPECT_EQ(named.price->provider, "Lambda (1x H100 SXM)");
  o.usd_per_gpu_hour = 2.0;
  EXPECT_EQ(gpu_target(gpus(), o, nullptr, "", log).price->provider, "--price");
  EXPECT_TRUE(log.str().empty());

  o.gpu = "auto";
  EXPECT_THAT(refusal([&] { (void)gpu_target(gpus(), o, nullptr, "no CUDA module", log); }),
              HasSubstr("--gpu: --gpu auto found no GPU (no CUDA module). For the roofline alone, "
                        "name a GPU kind: a100-40gb, "));
  const StandInExecutor h100(1.0, "");
  const auto detected = gpu_target(gpus(), o, &h100, "", log);
  EXPECT_EQ(detected.kind.name, "h100-sxm");
  EXPECT_EQ(detected.source, "detected");

  o.gpu = "a100-80gb";  // named, but another device is present: a note, the named datasheet
  const auto other = gpu_target(gpus(), o, &h100, "", log);
  EXPECT_EQ(other.kind.name, "a100-80gb");
  EXPECT_THAT(log.str(), HasSubstr("note: the device is 'NVIDIA H100 80GB HBM3' but --gpu names "
                                   "a100-80gb; bounds use a100-80gb's datasheet"));
}

TEST(GpuBenchmarkParts, APlanGivesItsRooflineRowsWithoutADevice) {
  const auto o = h100_options();
  std::ostringstream log;
  const auto target = gpu_target(gpus(), o, nullptr, "", log);
  const auto spec = gpu::load_model_spec("llava-1.5-7b", kConfigDir);
  const auto plan = gpu::build_plan(spec, o.request, 4, o.dtype);
  const auto bound = gpu::roofline(plan, target.kind);
  std::vector<std::string> failures;
  const auto row = gpu_batch_result(spec, plan, target, o, nullptr, failures, log);
  EXPECT_TRUE(failures.empty());
  EXPECT_TRUE(log.str().empty());
  EXPECT_EQ(row.batch, 4);
  ASSERT_EQ(row.stages.size(), plan.stages.size());
  for (std::size_t i = 0; i < row.stages.size(); ++i) {
    EXPECT_EQ(row.stages[i].name, plan.stages[i].name);
    EXPECT_DOUBLE_EQ(row.stages[i].bound_ms, bound.stages[i].seconds() * 1e3);
    EXPECT_EQ(row.stages[i].bound_by, bound.stages[i].memory_bound() ? "memory" : "compute");
    EXPECT_FALSE(row.stages[i].measured_ms.has_value());
    EXPECT_EQ(row.stages[i].ops.size(),
              plan.stages[i].gemms.size() + plan.stages[i].attention.size());
  }
  EXPECT_DOUBLE_EQ(row.bound_tokens_per_s, bound.totals.tokens_per_second);
  EXPECT_FALSE(row.measured_tokens_per_s.has_value());
  EXPECT_EQ(row.max_batch_kv_fit, gpu::max_batch_kv_fit(plan, target.kind, o.memory_fraction));
  EXPECT_TRUE(row.fits_in_memory);
  const auto cost = gpu::cost(3.78, 1, bound.totals, plan.request.images);
  EXPECT_DOUBLE_EQ(row.usd_per_day.value(), cost.usd_per_day);
  EXPECT_DOUBLE_EQ(row.usd_per_1m_output_tokens.value(), cost.usd_per_1m_output_tokens.value());
  EXPECT_FALSE(row.measured_usd_per_1m_output_tokens.has_value());
}

TEST(GpuBenchmarkParts, MeasuredStagesGiveMeasuredThroughputAndAFailedStageIsRecorded) {
  const auto o = h100_options();
  std::ostringstream log;
  const auto target = gpu_target(gpus(), o, nullptr, "", log);
  const auto spec = gpu::load_model_spec("llava-1.5-7b", kConfigDir);
  const auto plan = gpu::build_plan(spec, o.request, 4, o.dtype);
  const auto bound = gpu::roofline(plan, target.kind);

  StandInExecutor twice_the_bound(2.0, "");
  twice_the_bound.expect(bound);
  std::vector<std::string> failures;
  const auto row = gpu_batch_result(spec, plan, target, o, &twice_the_bound, failures, log);
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(twice_the_bound.measured, static_cast<int>(plan.stages.size()));
  for (const auto& stage : row.stages)
    EXPECT_NEAR(*stage.measured_ms, 2 * stage.bound_ms, 1e-9 * stage.bound_ms) << stage.name;
  ASSERT_TRUE(row.measured_tokens_per_s.has_value());
  EXPECT_NEAR(*row.measured_tokens_per_s, row.bound_tokens_per_s / 2,
              1e-9 * row.bound_tokens_per_s);
  EXPECT_NEAR(*row.measured_usd_per_1m_output_tokens, 2 * *row.usd_per_1m_output_tokens, 1e-9);
  EXPECT_THAT(log.str(), HasSubstr("measuring llava-1.5-7b batch 4: lm.decode\n"));

  StandInExecutor failing(2.0, std::string(gpu::kDecode));
  failing.expect(bound);
  const auto broken = gpu_batch_result(spec, plan, target, o, &failing, failures, log);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0], "llava-1.5-7b batch 4 lm.decode: out of memory");
  EXPECT_THAT(log.str(), HasSubstr("error: llava-1.5-7b batch 4 lm.decode: out of memory\n"));
  for (const auto& stage : broken.stages) {
    if (stage.name == gpu::kDecode) {
      EXPECT_EQ(stage.error, "out of memory");
      EXPECT_FALSE(stage.measured_ms.has_value());
      EXPECT_GT(stage.bound_ms, 0);  // the bound is still there
    } else {
      EXPECT_TRUE(stage.measured_ms.has_value()) << stage.name;
    }
  }
  EXPECT_FALSE(broken.measured_tokens_per_s.has_value());  // decode was not measured
}

TEST(GpuBenchmarkParts, EveryMeasuredStageCarriesTheDevicesTelemetryAndTheOverlapBound) {
  const auto o = h100_options();
  std::ostringstream log;
  const auto target = gpu_target(gpus(), o, nullptr, "", log);
  const auto spec = gpu::load_model_spec("llava-1.5-7b", kConfigDir);
  const auto plan = gpu::build_plan(spec, o.request, 4, o.dtype);
  const auto bound = gpu::roofline(plan, target.kind);
  StandInExecutor executor(2.0, "");
  executor.expect(bound);
  // Two GPUs that NVML sees; the measuring device is the H100.
  int reads = 0;
  perf::GpuTelemetrySource source;
  source.gpu_names = {"NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"};
  source.read = [&reads] {
    ++reads;
    perf::GpuSample other;
    other.sm_clock_mhz = 1410;
    perf::GpuSample h100;
    h100.sm_clock_mhz = 1980 - reads;
    h100.power_w = 500;
    h100.throttle_reasons = 0x4;
    return std::vector<perf::GpuSample>{other, h100};
  };
  perf::GpuSampler sampler(source, std::chrono::milliseconds(1000));
  std::vector<std::string> failures;
  const auto row = gpu_batch_result(spec, plan, target, o, &executor, failures, log, &sampler);
  ASSERT_EQ(row.stages.size(), plan.stages.size());
  // Each stage is its own window: a first and a last sample.
  EXPECT_EQ(reads, 2 * static_cast<int>(plan.stages.size()));
  for (std::size_t i = 0; i < row.stages.size(); ++i) {
    const auto& t = row.stages[i].telemetry;
    ASSERT_TRUE(t.has_value()) << row.stages[i].name;
    EXPECT_EQ(t->name, "NVIDIA H100 80GB HBM3");
    EXPECT_EQ(t->samples, 2u);
    EXPECT_DOUBLE_EQ(*t->sm_clock_mhz_min, 1980.0 - 2 * static_cast<double>(i + 1));
    EXPECT_EQ(*t->throttle_reasons, std::vector<std::string>{"sw_power_cap"});
  }
  // The overlap bound beside the static one: never below it, and a cheaper cost floor.
  EXPECT_DOUBLE_EQ(*row.overlap_bound_tokens_per_s, bound.overlap.tokens_per_second);
  EXPECT_GE(*row.overlap_bound_tokens_per_s, row.bound_tokens_per_s);
  EXPECT_LE(*row.overlap_usd_per_1m_output_tokens, *row.usd_per_1m_output_tokens);

  // No GPU that NVML names like the device: no telemetry rather than another GPU's.
  reports::PerfGpuTelemetrySet window;
  window.available = true;
  window.gpus.resize(1);
  window.gpus[0].name = "NVIDIA A100-SXM4-80GB";
  EXPECT_FALSE(device_telemetry(window, "NVIDIA H100 80GB HBM3", 0).has_value());
  window.gpus.push_back(window.gpus[0]);
  window.gpus[1].index = 1;
  EXPECT_EQ(device_telemetry(window, "NVIDIA A100-SXM4-80GB", 1)->index, 1);
}

TEST(GpuBenchmarkParts, AModelHasOneRowPerBatchAndItsSummaryFromTheFirst) {
  auto o = h100_options();
  o.batches = {1, 8, 4096};
  std::ostringstream log;
  const auto target = gpu_target(gpus(), o, nullptr, "", log);
  const auto spec = gpu::load_model_spec("llava-1.5-7b", kConfigDir);
  std::vector<std::string> failures;
  const auto model = gpu_model_result(spec, target, o, nullptr, failures, log);
  EXPECT_EQ(model.model, "llava-1.5-7b");
  ASSERT_EQ(model.batches.size(), 3u);
  EXPECT_EQ(model.batches[0].batch, 1);
  EXPECT_EQ(model.batches[1].batch, 8);
  EXPECT_FALSE(model.batches[2].fits_in_memory);  // 4096 sequences of KV cache do not fit
  const auto first = gpu::build_plan(spec, o.request, 1, o.dtype);
  EXPECT_EQ(model.prompt_tokens, first.prompt_len);
  EXPECT_EQ(model.image_tokens, first.image.tokens);
  EXPECT_DOUBLE_EQ(model.weight_bytes, first.resident_weight_bytes());
  EXPECT_THAT(model.language, HasSubstr("32 layers"));
}

}  // namespace
}  // namespace lmmbench::harness
