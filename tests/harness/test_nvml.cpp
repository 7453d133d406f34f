// `lmmbench perf --nvml`: the aggregation of GPU samples (means, maxima, energy from the counter
// or from integrated power), the observer over a fake reader, the "not available" note of the real
// loader where there is no NVIDIA driver, and measured power in the cost.
#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "harness/perf/metrics.hpp"
#include "harness/perf/nvml.hpp"

namespace lmmbench::harness::perf {
namespace {

GpuSample sample(double t, double power, std::optional<double> energy_j = std::nullopt) {
  GpuSample s;
  s.t_s = t;
  s.power_w = power;
  s.energy_j = energy_j;
  s.sm_clock_mhz = 1000 + 100 * t;
  s.memory_clock_mhz = 1593;
  s.memory_used_bytes = 1e9 * (1 + t);
  s.memory_total_bytes = 80e9;
  s.gpu_utilization_pct = 50 + 10 * t;
  s.memory_utilization_pct = 20;
  return s;
}

TEST(PerfNvml, AggregatesMeansAndMaxima) {
  const std::vector<GpuSample> samples{sample(0, 100), sample(1, 300), sample(2, 200)};
  const auto g = aggregate_gpu_samples(1, "NVIDIA H100", samples);
  EXPECT_EQ(g.index, 1);
  EXPECT_EQ(g.name, "NVIDIA H100");
  EXPECT_EQ(g.samples, 3u);
  EXPECT_DOUBLE_EQ(*g.power_w_mean, 200);
  EXPECT_DOUBLE_EQ(*g.power_w_max, 300);
  EXPECT_DOUBLE_EQ(*g.sm_clock_mhz_mean, 1100);
  EXPECT_DOUBLE_EQ(*g.memory_clock_mhz_mean, 1593);
  EXPECT_DOUBLE_EQ(*g.memory_used_bytes_max, 3e9);
  EXPECT_DOUBLE_EQ(*g.memory_total_bytes, 80e9);
  EXPECT_DOUBLE_EQ(*g.gpu_utilization_pct_mean, 60);
  EXPECT_DOUBLE_EQ(*g.memory_utilization_pct_mean, 20);
}

TEST(PerfNvml, EnergyFromTheCounterWhenItIsThere) {
  // The counter's increase wins over integrated power (which would be 200 + 250 = 450 J).
  const std::vector<GpuSample> samples{sample(0, 100, 5000), sample(1, 300, 5180),
                                       sample(2, 200, 5420)};
  const auto g = aggregate_gpu_samples(0, "g", samples);
  EXPECT_EQ(g.energy_source, "counter");
  EXPECT_DOUBLE_EQ(*g.energy_j, 420);
}

TEST(PerfNvml, EnergyFromIntegratedPowerWithoutTheCounter) {
  // Trapezoids: (100 + 300) / 2 x 1 s + (300 + 200) / 2 x 0.5 s = 200 + 125 J.
  const std::vector<GpuSample> samples{sample(0, 100), sample(1, 300), sample(1.5, 200)};
  const auto g = aggregate_gpu_samples(0, "g", samples);
  EXPECT_EQ(g.energy_source, "integrated_power");
  EXPECT_DOUBLE_EQ(*g.energy_j, 325);
  // A counter that went backwards (driver reloaded) is not trusted either.
  const std::vector<GpuSample> reset{sample(0, 100, 9000), sample(1, 100, 10)};
  const auto r = aggregate_gpu_samples(0, "g", reset);
  EXPECT_EQ(r.energy_source, "integrated_power");
  EXPECT_DOUBLE_EQ(*r.energy_j, 100);
}

TEST(PerfNvml, MissingFiguresAreNullNotZero) {
  GpuSample bare;
  const auto one = aggregate_gpu_samples(0, "g", {bare});
  EXPECT_EQ(one.samples, 1u);
  EXPECT_FALSE(one.power_w_mean);
  EXPECT_FALSE(one.energy_j);
  EXPECT_EQ(one.energy_source, "");
  EXPECT_FALSE(one.sm_clock_mhz_mean);
  const auto none = aggregate_gpu_samples(0, "g", {});
  EXPECT_EQ(none.samples, 0u);
  EXPECT_FALSE(none.power_w_max);
  EXPECT_FALSE(none.energy_j);
  // A single power sample gives a mean but no energy (no interval to integrate over).
  const auto single = aggregate_gpu_samples(0, "g", {sample(0, 100)});
  EXPECT_DOUBLE_EQ(*single.power_w_mean, 100);
  EXPECT_FALSE(single.energy_j);
}

TEST(PerfNvml, SmClockMinimumAndEveryThrottleReasonOfTheWindow) {
  std::vector<GpuSample> samples{sample(0, 100), sample(1, 300), sample(2, 200)};
  samples[0].sm_clock_mhz = 1980;
  samples[1].sm_clock_mhz = 1755;
  samples[2].sm_clock_mhz = 1830;
  samples[0].throttle_reasons = 0x0;   // running at full clock
  samples[1].throttle_reasons = 0x4;   // software power cap
  samples[2].throttle_reasons = 0x44;  // and hardware thermal slowdown
  const auto g = aggregate_gpu_samples(0, "NVIDIA H100", samples);
  EXPECT_DOUBLE_EQ(*g.sm_clock_mhz_min, 1755);
  ASSERT_TRUE(g.throttle_reasons.has_value());
  EXPECT_EQ(*g.throttle_reasons, (std::vector<std::string>{"sw_power_cap", "hw_thermal"}));
  // A driver that never reported reasons gives null, not "none".
  EXPECT_FALSE(aggregate_gpu_samples(0, "x", {sample(0, 1)}).throttle_reasons.has_value());
  // Reported and clear: an empty list.
  samples[1].throttle_reasons = 0;
  samples[2].throttle_reasons = 0;
  EXPECT_TRUE(aggregate_gpu_samples(0, "x", samples).throttle_reasons->empty());
}

TEST(PerfNvml, ThrottleReasonNamesFollowNvmlsBits) {
  EXPECT_EQ(throttle_reason_names(0x1ff),
            (std::vector<std::string>{"gpu_idle", "applications_clocks", "sw_power_cap",
                                      "hw_slowdown", "sync_boost", "sw_thermal", "hw_thermal",
                                      "hw_power_brake", "display_clocks"}));
  EXPECT_EQ(throttle_reason_names(0x400), (std::vector<std::string>{"0x400"}));
  EXPECT_TRUE(throttle_reason_names(0).empty());
}

TEST(PerfNvml, ObserverSamplesAcrossTheLevelWithAFakeReader) {
  std::atomic<int> reads{0};
  GpuTelemetrySource source;
  source.gpu_names = {"fake A", "fake B"};
  source.read = [&reads] {
    const int n = reads++;
    GpuSample a;
    a.power_w = 100;
    a.energy_j = 1000.0 + 10.0 * n;
    GpuSample b;
    b.power_w = 200 + n;
    return std::vector<GpuSample>{a, b};
  };
  GpuTelemetryObserver observer(source, std::chrono::milliseconds(5));
  for (std::size_t level = 0; level < 2; ++level) {
    const int before = reads.load();
    observer.before_level(level);
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    reports::PerfLevel L;
    observer.after_level(level, L);
    ASSERT_TRUE(L.gpu_telemetry);
    const auto& t = *L.gpu_telemetry;
    EXPECT_TRUE(t.available);
    EXPECT_EQ(t.note, "");
    EXPECT_DOUBLE_EQ(t.interval_ms, 5);
    EXPECT_GT(t.window_s, 0.03);
    ASSERT_EQ(t.gpus.size(), 2u);
    const int taken = reads.load() - before;
    // The first and last samples on the harness thread, at least a few in between.
    EXPECT_GE(taken, 3);
    EXPECT_EQ(t.gpus[0].samples, static_cast<std::size_t>(taken));
    EXPECT_EQ(t.gpus[0].name, "fake A");
    EXPECT_EQ(t.gpus[1].index, 1);
    EXPECT_EQ(t.gpus[0].energy_source, "counter");
    EXPECT_DOUBLE_EQ(*t.gpus[0].energy_j, 10.0 * (taken - 1));  // this level's samples only
    EXPECT_EQ(t.gpus[1].energy_source, "integrated_power");
    EXPECT_DOUBLE_EQ(*t.gpus[1].power_w_max, 200.0 + reads.load() - 1);
  }
}

TEST(PerfNvml, AReaderThatThrowsIsANote) {
  GpuTelemetrySource source;
  source.gpu_names = {"flaky"};
  source.read = []() -> std::vector<GpuSample> { throw std::runtime_error("GPU is lost"); };
  GpuTelemetryObserver observer(source, std::chrono::milliseconds(5));
  observer.before_level(0);
  reports::PerfLevel L;
  observer.after_level(0, L);
  ASSERT_TRUE(L.gpu_telemetry);
  EXPECT_EQ(L.gpu_telemetry->note, "a reading failed: GPU is lost");
  EXPECT_EQ(L.gpu_telemetry->gpus.at(0).samples, 0u);
}

TEST(PerfNvml, WithoutTheLibraryTheLevelGetsANote) {
  const auto missing = nvml_source("libnvidia-ml-not-there.so.1");
  EXPECT_TRUE(missing.gpu_names.empty());
  EXPECT_FALSE(missing.read);
  EXPECT_EQ(missing.unavailable.rfind("not available: cannot load libnvidia-ml-not-there.so.1", 0),
            0u)
      << missing.unavailable;

  GpuTelemetryObserver observer(missing, std::chrono::milliseconds(100));
  observer.before_level(0);
  reports::PerfLevel L;
  observer.after_level(0, L);
  ASSERT_TRUE(L.gpu_telemetry);
  EXPECT_FALSE(L.gpu_telemetry->available);
  EXPECT_EQ(L.gpu_telemetry->note, missing.unavailable);
  EXPECT_TRUE(L.gpu_telemetry->gpus.empty());
  const nlohmann::json j = *L.gpu_telemetry;
  EXPECT_EQ(j["available"], false);
  EXPECT_EQ(j.get<reports::PerfGpuTelemetrySet>().note, missing.unavailable);
}

TEST(PerfNvml, TheRealLoaderNeverThrows) {
  // On a machine without the NVIDIA driver (this project's CI) the default library is missing and
  // the source says so; where there is a GPU it reads every device NVML sees.
  const auto source = nvml_source();
  if (!source.unavailable.empty()) {
    EXPECT_EQ(source.unavailable.rfind("not available: ", 0), 0u) << source.unavailable;
    EXPECT_FALSE(source.read);
    return;
  }
  ASSERT_TRUE(source.read);
  ASSERT_FALSE(source.gpu_names.empty());
  const auto reading = source.read();
  EXPECT_EQ(reading.size(), source.gpu_names.size());
  EXPECT_TRUE(reading.front().memory_total_bytes.has_value());
}

TEST(PerfNvml, MeasuredPowerPricesTheEnergy) {
  reports::PerfLevel L;
  L.request_throughput = 1;
  CostInputs in;
  in.gpu_count = 2;
  in.usd_per_gpu_hour = 1;
  in.power_w = 700;
  in.power_source = "tdp (upper bound)";
  reports::PerfGpuTelemetrySet t;
  t.available = true;
  t.gpus.resize(2);
  t.gpus[0].power_w_mean = 300;
  t.gpus[1].power_w_mean = 500;
  L.gpu_telemetry = t;
  const auto c = compute_cost(L, in);
  EXPECT_DOUBLE_EQ(*c.power_w, 400);
  EXPECT_EQ(c.power_source, "nvml (measured: mean over the level of 2 GPU(s))");
  EXPECT_DOUBLE_EQ(*c.kwh_per_day, 400 * 2 * 24 / 1000.0);
  // Telemetry that is not available leaves the given power.
  L.gpu_telemetry->available = false;
  EXPECT_DOUBLE_EQ(*compute_cost(L, in).power_w, 700);
  EXPECT_EQ(compute_cost(L, in).power_source, "tdp (upper bound)");
}

}  // namespace
}  // namespace lmmbench::harness::perf
