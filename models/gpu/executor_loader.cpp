// Loads the CUDA module (liblmmbench_cuda.so) on demand and wraps its C API
// (models/gpu/cuda_module_api.h) in the C++ Executor interface; see models/gpu/executor.hpp.
#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include <dlfcn.h>
#include <fmt/format.h>

#include "core/resource_paths.hpp"
#include "core/text.hpp"
#include "models/gpu/cuda_module_api.h"
#include "models/gpu/executor.hpp"

namespace lmmbench::gpu {

namespace {

/// The module's entry points, resolved and checked once.
struct ModuleApi {
  lmmbench_cuda_open_fn open = nullptr;
  lmmbench_cuda_close_fn close = nullptr;
  lmmbench_cuda_device_fn device = nullptr;
  lmmbench_cuda_measure_fn measure = nullptr;
  lmmbench_cuda_prepare_gemm_fn prepare_gemm = nullptr;
  lmmbench_cuda_run_gemm_fn run_gemm = nullptr;
  lmmbench_cuda_release_gemm_fn release_gemm = nullptr;
};

/// Room for the module's error text; longer messages are truncated by the module.
using ErrorText = std::array<char, 2048>;

lmmbench_cuda_dtype c_dtype(DType dtype) {
  return dtype == DType::bf16 ? LMMBENCH_CUDA_BF16 : LMMBENCH_CUDA_F16;
}

lmmbench_cuda_gemm_shape c_gemm(const Gemm& g) {
  return lmmbench_cuda_gemm_shape{g.name.c_str(), g.m, g.n, g.k, g.batch, g.count};
}

/// The text the module left in `error` (NUL-terminated within the buffer, or cut there).
std::string text_of(const ErrorText& error) {
  return std::string(error.data(), strnlen(error.data(), error.size()));
}

/// Turns a failed call's status into the exception the Executor interface promises.
[[noreturn]] void throw_status(lmmbench_cuda_status status, const ErrorText& error) {
  const std::string text = text_of(error);
  if (status == LMMBENCH_CUDA_VERIFICATION_FAILED) throw VerificationError(text);
  throw Error(text.empty()
                  ? fmt::format("the CUDA module failed (status {})", static_cast<int>(status))
                  : text);
}

class ModuleExecutor final : public Executor {
 public:
  ModuleExecutor(const ModuleApi& api, lmmbench_cuda_executor* handle, MeasureOptions options)
      : api_(api), handle_(handle), options_(std::move(options)) {
    lmmbench_cuda_device_info d{};
    if (api_.device(handle_, &d) != LMMBENCH_CUDA_OK) {
      api_.close(handle_);
      throw Error("the CUDA module did not describe its device");
    }
    info_.index = d.index;
    info_.name = d.name;
    info_.compute_capability_major = d.compute_capability_major;
    info_.compute_capability_minor = d.compute_capability_minor;
    info_.sm_count = d.sm_count;
    info_.memory_bytes = d.memory_bytes;
    info_.l2_bytes = d.l2_bytes;
    info_.sm_clock_mhz = d.sm_clock_mhz;
    info_.memory_clock_mhz = d.memory_clock_mhz;
    info_.memory_bus_bits = d.memory_bus_bits;
    info_.driver_version = d.driver_version;
    info_.cuda_runtime_version = d.cuda_runtime_version;
    info_.cublaslt_version = d.cublaslt_version;
  }
  ModuleExecutor(const ModuleExecutor&) = delete;
  ModuleExecutor& operator=(const ModuleExecutor&) = delete;
  ~ModuleExecutor() override { api_.close(handle_); }

  [[nodiscard]] const DeviceInfo& device() const override { return info_; }
  [[nodiscard]] const MeasureOptions& options() const override { return options_; }

  StageMeasurement measure(const Stage& stage, DType dtype) override {
    std::vector<lmmbench_cuda_gemm_shape> gemms;
    for (const auto& g : stage.gemms)
      gemms.push_back(c_gemm(g));
    std::vector<lmmbench_cuda_attention_shape> attention;
    for (const auto& a : stage.attention) {
      attention.push_back(lmmbench_cuda_attention_shape{
          a.name.c_str(), a.sequences, a.heads, a.kv_heads, a.head_dim, a.q_len, a.kv_len,
          a.causal ? 1 : 0, a.window.value_or(0), a.count});
    }
    const bool cold = cold_l2(stage, options_.l2);
    const bool sequence = times_sequence(stage, options_);
    const lmmbench_cuda_stage c_stage{stage.name.c_str(), gemms.data(),     gemms.size(),
                                      attention.data(),   attention.size(), cold ? 1 : 0,
                                      sequence ? 1 : 0};
    std::vector<lmmbench_cuda_op_measurement> ops(gemms.size() + attention.size());
    lmmbench_cuda_sequence_measurement c_sequence{};
    ErrorText error{};
    const lmmbench_cuda_status status =
        api_.measure(handle_, &c_stage, c_dtype(dtype), ops.data(), ops.size(), &c_sequence,
                     error.data(), error.size());
    if (status != LMMBENCH_CUDA_OK) throw_status(status, error);

    StageMeasurement m;
    m.stage = stage.name;
    m.cold_l2 = cold;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const bool is_gemm = i < stage.gemms.size();
      OpMeasurement op;
      op.name = is_gemm ? stage.gemms[i].name : stage.attention[i - stage.gemms.size()].name;
      op.kind = is_gemm ? "gemm" : "attention";
      op.seconds = ops[i].seconds;
      op.relative_spread = ops[i].relative_spread;
      op.runs = ops[i].runs;
      op.converged = ops[i].converged != 0;
      op.algorithms_tried = ops[i].algorithms_tried;
      op.max_error = ops[i].max_error;
      op.tolerance = ops[i].tolerance;
      const std::int64_t count =
          is_gemm ? stage.gemms[i].count : stage.attention[i - stage.gemms.size()].count;
      m.seconds += static_cast<double>(count) * op.seconds;
      m.ops.push_back(std::move(op));
    }
    if (sequence) {
      SequenceMeasurement q;
      q.seconds = c_sequence.seconds;
      q.relative_spread = c_sequence.relative_spread;
      q.runs = c_sequence.runs;
      q.converged = c_sequence.converged != 0;
      q.layers = c_sequence.layers;
      q.weight_sets = c_sequence.weight_sets;
      m.sequence = q;
    }
    return m;
  }

  std::function<double()> prepare_gemm(const Gemm& gemm, DType dtype) override {
    const lmmbench_cuda_gemm_shape shape = c_gemm(gemm);
    lmmbench_cuda_gemm* handle = nullptr;
    ErrorText error{};
    const lmmbench_cuda_status status =
        api_.prepare_gemm(handle_, &shape, c_dtype(dtype), &handle, error.data(), error.size());
    if (status != LMMBENCH_CUDA_OK) throw_status(status, error);
    std::shared_ptr<lmmbench_cuda_gemm> owned(handle, api_.release_gemm);
    return [api = api_, owned] {
      double seconds = 0;
      ErrorText run_error{};
      const lmmbench_cuda_status run_status =
          api.run_gemm(owned.get(), &seconds, run_error.data(), run_error.size());
      if (run_status != LMMBENCH_CUDA_OK) throw_status(run_status, run_error);
      return seconds;
    };
  }

 private:
  ModuleApi api_;
  lmmbench_cuda_executor* handle_;
  MeasureOptions options_;
  DeviceInfo info_;
};

/// Resolves `name` in `module`; on failure fills `missing` and returns null.
template <typename Fn>
Fn symbol(void* module, const char* name, std::string& missing) {
  void* address = dlsym(module, name);
  if (address == nullptr && missing.empty()) missing = name;
  return reinterpret_cast<Fn>(address);
}

}  // namespace

std::vector<std::filesystem::path> cuda_module_candidates() {
  std::vector<std::filesystem::path> paths;
  if (const char* path = std::getenv(kCudaModuleVariable); path != nullptr && *path != '\0') {
    paths.emplace_back(path);
  }
  if (const auto dir = executable_dir()) paths.push_back(*dir / kCudaModuleFile);
  if (const auto dir = installed_library_dir()) paths.push_back(*dir / kCudaModuleFile);
  return paths;
}

ExecutorProbe open_executor(int device_index, const MeasureOptions& options) {
  const auto candidates = cuda_module_candidates();
  std::vector<std::string> tried;
  for (const auto& path : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {
      return open_executor(device_index, options, path);
    }
    tried.push_back(path.string());
  }
  return {nullptr, fmt::format("this lmmbench has no CUDA executor ({} not found{}; build with the "
                               "CUDA toolkit, LMMBENCH_ENABLE_CUDA=ON, or set {})",
                               kCudaModuleFile, tried.empty() ? "" : " at " + join(tried, ", "),
                               kCudaModuleVariable)};
}

ExecutorProbe open_executor(int device_index, const MeasureOptions& options,
                            const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return {nullptr, fmt::format("the CUDA executor {} was not found", path.string())};
  }
  // Kept open once in use: the executor's code must stay mapped while any executor lives.
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    return {nullptr,
            fmt::format("the CUDA executor {} could not be loaded: {}", path.string(), dlerror())};
  }
  // A refused module is closed again: nothing of it was called but its version.
  const auto refuse = [module](std::string reason) {
    dlclose(module);
    return ExecutorProbe{nullptr, std::move(reason)};
  };
  std::string missing;
  const auto version =
      symbol<lmmbench_cuda_api_version_fn>(module, LMMBENCH_CUDA_API_VERSION_SYMBOL, missing);
  if (version == nullptr) {
    return refuse(
        fmt::format("{} is not an lmmbench CUDA module of API version {}: it has no "
                    "entry point {} (a module older than the versioned API?); "
                    "rebuild it with this lmmbench",
                    path.string(), LMMBENCH_CUDA_API_VERSION, missing));
  }
  // Checked before any other entry point is looked at: a module of another version may name the
  // same functions with other signatures.
  if (const std::uint32_t found = version(); found != LMMBENCH_CUDA_API_VERSION) {
    return refuse(
        fmt::format("{} has CUDA module API version {} but this lmmbench needs "
                    "version {}; rebuild the module with this lmmbench (a stale "
                    "liblmmbench_cuda.so?)",
                    path.string(), found, LMMBENCH_CUDA_API_VERSION));
  }
  ModuleApi api;
  api.open = symbol<lmmbench_cuda_open_fn>(module, LMMBENCH_CUDA_OPEN_SYMBOL, missing);
  api.close = symbol<lmmbench_cuda_close_fn>(module, LMMBENCH_CUDA_CLOSE_SYMBOL, missing);
  api.device = symbol<lmmbench_cuda_device_fn>(module, LMMBENCH_CUDA_DEVICE_SYMBOL, missing);
  api.measure = symbol<lmmbench_cuda_measure_fn>(module, LMMBENCH_CUDA_MEASURE_SYMBOL, missing);
  api.prepare_gemm =
      symbol<lmmbench_cuda_prepare_gemm_fn>(module, LMMBENCH_CUDA_PREPARE_GEMM_SYMBOL, missing);
  api.run_gemm = symbol<lmmbench_cuda_run_gemm_fn>(module, LMMBENCH_CUDA_RUN_GEMM_SYMBOL, missing);
  api.release_gemm =
      symbol<lmmbench_cuda_release_gemm_fn>(module, LMMBENCH_CUDA_RELEASE_GEMM_SYMBOL, missing);
  if (!missing.empty()) {
    return refuse(
        fmt::format("{} (CUDA module API version {}) has no entry point {}; rebuild "
                    "the module with this lmmbench",
                    path.string(), LMMBENCH_CUDA_API_VERSION, missing));
  }

  const lmmbench_cuda_measure_options c_options{
      options.warmup_runs,        options.min_runs,
      options.max_runs,           options.max_relative_spread,
      options.max_seconds_per_op, options.l2 == L2Policy::cold ? 1 : 0,
      options.algorithms,         static_cast<std::uint64_t>(options.workspace_bytes),
      options.verify_rows,        options.reduced_precision_reduction ? 1 : 0};
  lmmbench_cuda_executor* handle = nullptr;
  ErrorText error{};
  const lmmbench_cuda_status status =
      api.open(device_index, &c_options, &handle, error.data(), error.size());
  if (status == LMMBENCH_CUDA_UNAVAILABLE) return {nullptr, text_of(error)};
  if (status != LMMBENCH_CUDA_OK || handle == nullptr) {
    return {nullptr, fmt::format("CUDA device could not be opened: {}", text_of(error))};
  }
  try {
    return {std::make_unique<ModuleExecutor>(api, handle, options), ""};
  } catch (const Error& e) {
    return {nullptr, fmt::format("CUDA device could not be opened: {}", e.what())};
  }
}

}  // namespace lmmbench::gpu
