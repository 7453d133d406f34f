#include "harness/perf/nvml.hpp"

#include <algorithm>
#include <exception>
#include <memory>

#include <dlfcn.h>
#include <fmt/format.h>

namespace lmmbench::harness::perf {

namespace {

// The few NVML entry points used, declared from the documented C API
// (https://docs.nvidia.com/deploy/nvml-api/) so that neither nvml.h nor libnvidia-ml is needed
// to build: the library is the driver's and is opened at run time. nvmlReturn_t and the enums
// are C enums (int); NVML_SUCCESS is 0; nvmlDevice_t is an opaque pointer.
using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;           // NVML_CLOCK_SM
constexpr int kNvmlClockMem = 2;          // NVML_CLOCK_MEM
constexpr unsigned kNvmlNameBuffer = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE

struct NvmlMemory {  // nvmlMemory_t: bytes
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct NvmlUtilization {  // nvmlUtilization_t: percent of the last sample period
  unsigned int gpu;
  unsigned int memory;
};

/// The loaded library and its entry points; shuts NVML down and unloads it when the last
/// reader is gone.
class NvmlLibrary {
 public:
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  NvmlReturn (*device_count)(unsigned*) = nullptr;
  NvmlReturn (*handle_by_index)(unsigned, NvmlDevice*) = nullptr;
  NvmlReturn (*name)(NvmlDevice, char*, unsigned) = nullptr;
  NvmlReturn (*power_usage)(NvmlDevice, unsigned*) = nullptr;                 // mW
  NvmlReturn (*total_energy)(NvmlDevice, unsigned long long*) = nullptr;      // mJ
  NvmlReturn (*clock_info)(NvmlDevice, int, unsigned*) = nullptr;             // MHz
  NvmlReturn (*memory_info)(NvmlDevice, NvmlMemory*) = nullptr;               // bytes
  NvmlReturn (*utilization)(NvmlDevice, NvmlUtilization*) = nullptr;          // %
  NvmlReturn (*throttle_reasons)(NvmlDevice, unsigned long long*) = nullptr;  // bitmask, optional
  const char* (*error_string)(NvmlReturn) = nullptr;

  explicit NvmlLibrary(void* handle) : handle_(handle) {}
  ~NvmlLibrary() {
    if (initialised && shutdown != nullptr) shutdown();
    dlclose(handle_);
  }
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  /// Binds `fn` to `symbol`; false when the library lacks it.
  template <class Fn>
  bool bind(Fn& fn, const char* symbol) {
    fn = reinterpret_cast<Fn>(dlsym(handle_, symbol));
    return fn != nullptr;
  }

  std::string error(NvmlReturn r) const {
    const char* text = error_string != nullptr ? error_string(r) : nullptr;
    return text != nullptr ? fmt::format("{} (NVML error {})", text, r)
                           : fmt::format("NVML error {}", r);
  }

  bool initialised = false;
  std::vector<NvmlDevice> devices;

 private:
  void* handle_;
};

GpuTelemetrySource unavailable(std::string why) {
  GpuTelemetrySource s;
  s.unavailable = "not available: " + std::move(why);
  return s;
}

std::vector<GpuSample> read_all(const NvmlLibrary& nvml) {
  std::vector<GpuSample> out;
  out.reserve(nvml.devices.size());
  for (const auto device : nvml.devices) {
    GpuSample s;
    unsigned value = 0;
    if (nvml.power_usage(device, &value) == kNvmlSuccess) s.power_w = value / 1000.0;
    unsigned long long energy = 0;
    if (nvml.total_energy(device, &energy) == kNvmlSuccess)
      s.energy_j = static_cast<double>(energy) / 1000.0;
    if (nvml.clock_info(device, kNvmlClockSm, &value) == kNvmlSuccess) s.sm_clock_mhz = value;
    if (nvml.clock_info(device, kNvmlClockMem, &value) == kNvmlSuccess) s.memory_clock_mhz = value;
    NvmlMemory memory{};
    if (nvml.memory_info(device, &memory) == kNvmlSuccess) {
      s.memory_used_bytes = static_cast<double>(memory.used);
      s.memory_total_bytes = static_cast<double>(memory.total);
    }
    NvmlUtilization util{};
    if (nvml.utilization(device, &util) == kNvmlSuccess) {
      s.gpu_utilization_pct = util.gpu;
      s.memory_utilization_pct = util.memory;
    }
    unsigned long long reasons = 0;
    if (nvml.throttle_reasons != nullptr &&
        nvml.throttle_reasons(device, &reasons) == kNvmlSuccess) {
      s.throttle_reasons = reasons;
    }
    out.push_back(s);
  }
  return out;
}

std::optional<double> mean_of(const std::vector<GpuSample>& samples,
                              std::optional<double> GpuSample::*field) {
  double sum = 0;
  std::size_t n = 0;
  for (const auto& s : samples) {
    if (const auto& v = s.*field) {
      sum += *v;
      ++n;
    }
  }
  return n > 0 ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt;
}

std::optional<double> max_of(const std::vector<GpuSample>& samples,
                             std::optional<double> GpuSample::*field) {
  std::optional<double> out;
  for (const auto& s : samples) {
    if (const auto& v = s.*field) out = out ? std::max(*out, *v) : *v;
  }
  return out;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

GpuTelemetrySource nvml_source(const std::string& library) {
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return unavailable(fmt::format("cannot load {} ({}): no NVIDIA driver on this machine?",
                                   library, why != nullptr ? why : "dlopen failed"));
  }
  auto nvml = std::make_shared<NvmlLibrary>(handle);
  const bool bound = nvml->bind(nvml->init, "nvmlInit_v2") &&
                     nvml->bind(nvml->shutdown, "nvmlShutdown") &&
                     nvml->bind(nvml->device_count, "nvmlDeviceGetCount_v2") &&
                     nvml->bind(nvml->handle_by_index, "nvmlDeviceGetHandleByIndex_v2") &&
                     nvml->bind(nvml->name, "nvmlDeviceGetName") &&
                     nvml->bind(nvml->power_usage, "nvmlDeviceGetPowerUsage") &&
                     nvml->bind(nvml->total_energy, "nvmlDeviceGetTotalEnergyConsumption") &&
                     nvml->bind(nvml->clock_info, "nvmlDeviceGetClockInfo") &&
                     nvml->bind(nvml->memory_info, "nvmlDeviceGetMemoryInfo") &&
                     nvml->bind(nvml->utilization, "nvmlDeviceGetUtilizationRates") &&
                     nvml->bind(nvml->error_string, "nvmlErrorString");
  if (!bound) return unavailable(fmt::format("{} lacks an NVML entry point used", library));
  // Optional: NVML 12 renamed "throttle reasons" to "clocks event reasons"; same signature.
  if (!nvml->bind(nvml->throttle_reasons, "nvmlDeviceGetCurrentClocksEventReasons")) {
    nvml->bind(nvml->throttle_reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
  }
  if (const auto r = nvml->init(); r != kNvmlSuccess)
    return unavailable("nvmlInit_v2 failed: " + nvml->error(r));
  nvml->initialised = true;
  unsigned count = 0;
  if (const auto r = nvml->device_count(&count); r != kNvmlSuccess)
    return unavailable("nvmlDeviceGetCount_v2 failed: " + nvml->error(r));
  if (count == 0) return unavailable("NVML sees no GPU");
  GpuTelemetrySource source;
  for (unsigned i = 0; i < count; ++i) {
    NvmlDevice device = nullptr;
    if (const auto r = nvml->handle_by_index(i, &device); r != kNvmlSuccess) {
      return unavailable(
          fmt::format("nvmlDeviceGetHandleByIndex_v2({}) failed: {}", i, nvml->error(r)));
    }
    char name[kNvmlNameBuffer] = {};
    if (nvml->name(device, name, kNvmlNameBuffer) != kNvmlSuccess) name[0] = '\0';
    nvml->devices.push_back(device);
    source.gpu_names.emplace_back(name);
  }
  source.read = [nvml] { return read_all(*nvml); };
  return source;
}

std::vector<std::string> throttle_reason_names(std::uint64_t mask) {
  // nvml.h, nvmlClocksEventReason* (formerly nvmlClocksThrottleReason*), bits 0 to 8.
  static constexpr const char* kNames[] = {"gpu_idle",    "applications_clocks", "sw_power_cap",
                                           "hw_slowdown", "sync_boost",          "sw_thermal",
                                           "hw_thermal",  "hw_power_brake",      "display_clocks"};
  std::vector<std::string> names;
  for (unsigned bit = 0; bit < 64; ++bit) {
    if ((mask >> bit & 1U) == 0) continue;
    names.emplace_back(bit < std::size(kNames) ? std::string(kNames[bit])
                                               : fmt::format("{:#x}", std::uint64_t{1} << bit));
  }
  return names;
}

reports::PerfGpuTelemetry aggregate_gpu_samples(std::int64_t index, const std::string& name,
                                                const std::vector<GpuSample>& samples) {
  reports::PerfGpuTelemetry g;
  g.index = index;
  g.name = name;
  g.samples = samples.size();
  g.power_w_mean = mean_of(samples, &GpuSample::power_w);
  g.power_w_max = max_of(samples, &GpuSample::power_w);
  g.sm_clock_mhz_mean = mean_of(samples, &GpuSample::sm_clock_mhz);
  for (const auto& s : samples) {
    if (s.sm_clock_mhz) {
      g.sm_clock_mhz_min = std::min(g.sm_clock_mhz_min.value_or(*s.sm_clock_mhz), *s.sm_clock_mhz);
    }
  }
  std::optional<std::uint64_t> reasons;
  for (const auto& s : samples) {
    if (s.throttle_reasons) reasons = reasons.value_or(0) | *s.throttle_reasons;
  }
  if (reasons) g.throttle_reasons = throttle_reason_names(*reasons);
  g.memory_clock_mhz_mean = mean_of(samples, &GpuSample::memory_clock_mhz);
  g.memory_used_bytes_max = max_of(samples, &GpuSample::memory_used_bytes);
  g.memory_total_bytes = max_of(samples, &GpuSample::memory_total_bytes);
  g.gpu_utilization_pct_mean = mean_of(samples, &GpuSample::gpu_utilization_pct);
  g.memory_utilization_pct_mean = mean_of(samples, &GpuSample::memory_utilization_pct);

  const auto first = std::find_if(samples.begin(), samples.end(),
                                  [](const GpuSample& s) { return s.energy_j.has_value(); });
  const auto last = std::find_if(samples.rbegin(), samples.rend(),
                                 [](const GpuSample& s) { return s.energy_j.has_value(); });
  // The counter needs two readings; one that went backwards (a driver reload) is not trusted.
  if (first != samples.end() && &*first != &*last && *last->energy_j >= *first->energy_j) {
    g.energy_j = *last->energy_j - *first->energy_j;
    g.energy_source = "counter";
    return g;
  }
  const GpuSample* previous = nullptr;
  double joules = 0;
  bool integrated = false;
  for (const auto& s : samples) {
    if (!s.power_w) continue;
    if (previous != nullptr) {
      joules += (*previous->power_w + *s.power_w) / 2 * (s.t_s - previous->t_s);
      integrated = true;
    }
    previous = &s;
  }
  if (integrated) {
    g.energy_j = joules;
    g.energy_source = "integrated_power";
  }
  return g;
}

GpuSampler::GpuSampler(GpuTelemetrySource source, std::chrono::milliseconds interval)
    : source_(std::move(source)), interval_(interval) {}

GpuSampler::~GpuSampler() {
  stop_thread();
}

void GpuSampler::take_sample() {
  std::vector<GpuSample> reading;
  try {
    reading = source_.read();
  } catch (const std::exception& e) {
    const std::lock_guard lock(mutex_);
    if (read_error_.empty()) read_error_ = e.what();
    return;
  }
  const double t = now_s();
  const std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < reading.size() && i < samples_.size(); ++i) {
    reading[i].t_s = t;
    samples_[i].push_back(reading[i]);
  }
}

void GpuSampler::stop_thread() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void GpuSampler::start() {
  stop_thread();
  if (!source_.unavailable.empty()) return;
  samples_.assign(source_.gpu_names.size(), {});
  read_error_.clear();
  stopping_ = false;
  take_sample();
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      take_sample();
      lock.lock();
    }
  });
}

reports::PerfGpuTelemetrySet GpuSampler::stop() {
  reports::PerfGpuTelemetrySet set;
  set.interval_ms = static_cast<double>(interval_.count());
  if (!source_.unavailable.empty()) {
    set.note = source_.unavailable;
    return set;
  }
  stop_thread();
  take_sample();
  set.available = true;
  if (!read_error_.empty()) set.note = "a reading failed: " + read_error_;
  std::optional<double> first;
  std::optional<double> last;
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    const auto& s = samples_[i];
    if (!s.empty()) {
      first = std::min(first.value_or(s.front().t_s), s.front().t_s);
      last = std::max(last.value_or(s.back().t_s), s.back().t_s);
    }
    set.gpus.push_back(
        aggregate_gpu_samples(static_cast<std::int64_t>(i), source_.gpu_names[i], s));
  }
  set.window_s = first ? *last - *first : 0;
  return set;
}

GpuTelemetryObserver::GpuTelemetryObserver(GpuTelemetrySource source,
                                           std::chrono::milliseconds interval)
    : sampler_(std::move(source), interval) {}

void GpuTelemetryObserver::before_level(std::size_t /*index*/) {
  sampler_.start();
}

void GpuTelemetryObserver::after_level(std::size_t /*index*/, reports::PerfLevel& level) {
  level.gpu_telemetry = sampler_.stop();
}

}  // namespace lmmbench::harness::perf
