#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/perf/benchmark.hpp"
#include "reports/perf_section.hpp"

/// GPU telemetry of `lmmbench perf --nvml` (docs/perf.md, "GPU telemetry"): NVML loaded at run
/// time, a sampler thread per load level, and the aggregation of its samples into the level's
/// gpu_telemetry. The aggregation and the sampler take the reading as a function, so both are
/// tested with fake samples on machines without a GPU.
namespace lmmbench::harness::perf {

/// One reading of one GPU. A figure the device or driver does not report is empty.
struct GpuSample {
  double t_s = 0;  ///< Monotonic seconds; stamped by the sampler, not the reader.
  std::optional<double> power_w;
  std::optional<double> energy_j;  ///< The driver's counter since it was loaded (Volta+).
  std::optional<double> sm_clock_mhz;
  std::optional<double> memory_clock_mhz;
  std::optional<double> memory_used_bytes;
  std::optional<double> memory_total_bytes;
  std::optional<double> gpu_utilization_pct;
  std::optional<double> memory_utilization_pct;
  /// Why the clocks are below their maximum: NVML's clocks event (throttle) reasons bitmask
  /// (nvmlClocksEventReason*: 0x1 GPU idle, 0x4 software power cap, 0x20/0x40 thermal, ...).
  std::optional<std::uint64_t> throttle_reasons;
};

/// The names of the reasons set in an NVML clocks event reasons bitmask, in bit order: "gpu_idle",
/// "applications_clocks", "sw_power_cap", "hw_slowdown", "sync_boost", "sw_thermal",
/// "hw_thermal", "hw_power_brake", "display_clocks", and "0x..." for a bit NVML added later.
std::vector<std::string> throttle_reason_names(std::uint64_t mask);

/// What the sampler reads from. `read` returns one sample per GPU, in the order of `gpu_names`
/// (t_s is ignored); it is called from the sampler thread and from the harness thread, never
/// both at once. A non-empty `unavailable` says why there is nothing to read (then `read` is
/// empty).
struct GpuTelemetrySource {
  std::vector<std::string> gpu_names;
  std::function<std::vector<GpuSample>()> read;
  std::string unavailable;
};

/// Loads NVML from `library` with dlopen (no link or header dependency), initialises it and
/// returns a source over every GPU it sees; the library stays loaded (and initialised) as long
/// as a copy of `read` lives. A missing library, a failed nvmlInit (no driver) or no device
/// gives a source with `unavailable` set to the reason, never an exception.
GpuTelemetrySource nvml_source(const std::string& library = "libnvidia-ml.so.1");

/// One GPU's figures over a window from its samples in time order: power mean and max, clock
/// and utilisation means, SM clock minimum, memory used max, every throttle reason any sample
/// had; energy from the counter's increase between the first
/// and last sample that have it, else the power integrated over time (trapezoids), else null
/// (fewer than two power samples).
reports::PerfGpuTelemetry aggregate_gpu_samples(std::int64_t index, const std::string& name,
                                                const std::vector<GpuSample>& samples);

/// Samples a source every `interval` over a window, from start() to stop(): the first and last
/// sample are taken on the caller's thread, the rest on the sampler's own thread. One window at a
/// time; start and stop from one thread. Used by `lmmbench perf --nvml` (per load level) and
/// `lmmbench gpu` (per measured stage).
class GpuSampler {
 public:
  GpuSampler(GpuTelemetrySource source, std::chrono::milliseconds interval);
  ~GpuSampler();
  GpuSampler(const GpuSampler&) = delete;
  GpuSampler& operator=(const GpuSampler&) = delete;

  [[nodiscard]] const GpuTelemetrySource& source() const { return source_; }
  /// Opens a window (closing any open one unread).
  void start();
  /// Closes the window and aggregates it per GPU; an unavailable source gives available = false
  /// and its reason as the note, a reading that threw gives its text as the note.
  reports::PerfGpuTelemetrySet stop();

 private:
  void take_sample();  ///< Appends one stamped reading per GPU (under mutex_).
  void stop_thread();

  GpuTelemetrySource source_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::vector<GpuSample>> samples_;  ///< Per GPU.
  std::string read_error_;
  std::thread thread_;
};

/// Records a GpuSampler's window from just before a level's first request to just after its last
/// completion in the level's gpu_telemetry. An unavailable source records its reason as a note.
/// Harness thread only.
class GpuTelemetryObserver : public LevelObserver {
 public:
  GpuTelemetryObserver(GpuTelemetrySource source, std::chrono::milliseconds interval);

  void before_level(std::size_t index) override;
  void after_level(std::size_t index, reports::PerfLevel& level) override;

 private:
  GpuSampler sampler_;
};

}  // namespace lmmbench::harness::perf
