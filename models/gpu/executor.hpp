#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "models/gpu/dtype.hpp"
#include "models/gpu/plan.hpp"

namespace lmmbench::gpu {

// The interface between the harness and the CUDA workload executor. This header is plain C++ and
// C++17 (the CUDA module includes it for these types, internally). The executor lives in a shared
// module, liblmmbench_cuda.so (models/cuda, built when LMMBENCH_ENABLE_CUDA), that
// open_executor() loads with dlopen only when a measurement is asked for: the lmmbench binary
// itself links no CUDA library, starts without cuBLASLt's initialisation cost and runs where no
// CUDA is installed. Only the versioned C API of models/gpu/cuda_module_api.h crosses the dlopen
// boundary; Executor wraps it on this side, so exceptions and C++ types stay in lmmbench.

/// Facts about the device a measurement ran on, for the run record.
struct DeviceInfo {
  int index = 0;
  std::string name;  ///< cudaDeviceProp::name, e.g. "NVIDIA H100 80GB HBM3"
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int sm_count = 0;
  std::int64_t memory_bytes = 0;  ///< Total global memory.
  std::int64_t l2_bytes = 0;
  int sm_clock_mhz = 0;      ///< Peak SM clock (cudaDevAttrClockRate).
  int memory_clock_mhz = 0;  ///< Peak memory clock (cudaDevAttrMemoryClockRate).
  int memory_bus_bits = 0;
  std::string driver_version;        ///< CUDA version the driver supports, "major.minor".
  std::string cuda_runtime_version;  ///< "major.minor"
  std::string cublaslt_version;      ///< cublasLtGetVersion(), "major.minor.patch"
};

/// Which timings start with a cold L2 cache. A decode step reads every layer's weights once, far
/// more than any L2 holds, so each decode GEMM meets its weights in memory; timed alone and
/// repeated, a matrix that fits in L2 (LLaVA-1.5-7B's o_proj, 33.5 MB, in an H100's 50 MB) would
/// be read from the cache and beat the memory bandwidth.
enum class L2Policy {
  cold_decode,  ///< Cold for the decode-phase stages, warm for the others (the default).
  warm,         ///< Never flushed: repeated calls find their operands in L2 where they fit.
  cold,         ///< Flushed before every timed call of every stage.
};

constexpr std::string_view to_string(L2Policy policy) {
  switch (policy) {
    case L2Policy::cold_decode:
      return "cold-decode";
    case L2Policy::warm:
      return "warm";
    case L2Policy::cold:
      return "cold";
  }
  return "cold-decode";
}

/// Parses the names printed by to_string; nullopt for anything else.
constexpr std::optional<L2Policy> parse_l2_policy(std::string_view name) {
  if (name == "cold-decode") return L2Policy::cold_decode;
  if (name == "warm") return L2Policy::warm;
  if (name == "cold") return L2Policy::cold;
  return std::nullopt;
}

/// How ops are timed: warm-up runs, then samples until the relative spread (sample standard
/// deviation / mean) is at most max_relative_spread after min_runs, or max_runs or
/// max_seconds_per_op is reached; the reported time is the median sample.
struct MeasureOptions {
  int warmup_runs = 3;
  int min_runs = 10;
  int max_runs = 200;
  double max_relative_spread = 0.02;
  double max_seconds_per_op = 2.0;  ///< Wall-clock budget for one op's samples.
  /// Which stages are timed with a cold L2: the cache is evicted before every timed run by
  /// reading (not writing: a memset leaves dirty lines whose write-back the timed kernel would
  /// pay) a buffer four times the L2 size. prepare_gemm (benchmarks) flushes only for `cold`.
  L2Policy l2 = L2Policy::cold_decode;
  /// Whether cuBLASLt may pick split-K algorithms that reduce partial sums in the output type
  /// (CUBLASLT_REDUCTION_SCHEME_INPLACE and _OUTPUT_TYPE). False keeps the reduction in FP32 (the
  /// mask NONE | COMPUTE_TYPE), the policy of cuBLAS's CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_
  /// REDUCTION and of PyTorch with torch.backends.cuda.matmul.allow_fp16_reduced_precision_
  /// reduction (and the bf16 twin) set to False; PyTorch's default is True (docs/gpu.md).
  bool reduced_precision_reduction = false;
  /// Also time a decode-phase stage of several layers as one CUDA graph of its whole L-layer
  /// sequence, each layer with its own weights, as a CUDA-graph decode step runs it.
  bool time_sequence = true;
  int algorithms = 8;  ///< cuBLASLt heuristic candidates timed per GEMM; the fastest is kept.
  /// cuBLASLt workspace. 32 MiB is cuBLAS's recommendation for Hopper (4 MiB for older GPUs), as
  /// quoted in PyTorch PR #120925; the larger size serves both.
  std::size_t workspace_bytes = std::size_t{32} << 20;
  int verify_rows = 64;  ///< Rows and columns of each result checked against the host reference.
};

/// Whether `stage`'s timings start with a cold L2 under `policy`.
inline bool cold_l2(const Stage& stage, L2Policy policy) {
  return policy == L2Policy::cold ||
         (policy == L2Policy::cold_decode && stage.phase == Phase::decode);
}

/// Layers of a stage: the most calls any of its ops makes (each op runs once per layer).
inline std::int64_t stage_layers(const Stage& stage) {
  std::int64_t layers = 0;
  for (const auto& g : stage.gemms)
    layers = std::max(layers, g.count);
  for (const auto& a : stage.attention)
    layers = std::max(layers, a.count);
  return layers;
}

/// Whether `stage` is also timed as one L-layer sequence (MeasureOptions::time_sequence).
inline bool times_sequence(const Stage& stage, const MeasureOptions& options) {
  return options.time_sequence && stage.phase == Phase::decode && stage_layers(stage) > 1;
}

/// One GEMM or attention call of a stage, measured.
struct OpMeasurement {
  std::string name;
  std::string kind;            ///< "gemm" or "attention"
  double seconds = 0;          ///< Median GPU time of one call (CUDA events).
  double relative_spread = 0;  ///< Sample standard deviation / mean of the samples kept.
  int runs = 0;                ///< Samples taken.
  bool converged = false;      ///< The spread fell under the threshold.
  int algorithms_tried = 0;    ///< cuBLASLt candidates timed (per GEMM of the op).
  /// Largest |result - reference| / sum_k |a_ik b_kj| over the checked slice, and the bound it
  /// had to stay under (4 unit roundoffs of the output type).
  double max_error = 0;
  double tolerance = 0;
};

/// A stage's whole L-layer sequence timed as one CUDA graph: layer l runs every op whose count
/// exceeds l, with weights (and KV cache) of its own among `weight_sets` rotating copies, so no
/// layer finds its weights in L2 from the layer before.
struct SequenceMeasurement {
  double seconds = 0;  ///< Median GPU time of the whole sequence.
  double relative_spread = 0;
  int runs = 0;
  bool converged = false;
  int layers = 0;
  int weight_sets = 0;
};

struct StageMeasurement {
  std::string stage;
  double seconds = 0;    ///< Sum over ops of count x median seconds.
  bool cold_l2 = false;  ///< The timings started with a cold L2 (MeasureOptions::l2).
  /// The stage's gemms then its attention calls, in plan order.
  std::vector<OpMeasurement> ops;
  /// The L-layer sequence, when times_sequence(stage, options).
  std::optional<SequenceMeasurement> sequence;
};

/// A result did not match the reference: the executor's numbers would be meaningless.
class VerificationError : public Error {
 public:
  using Error::Error;
};

/// Runs plan stages on one CUDA device. Owns its CUDA context state (handles, stream, buffers);
/// use from one thread. open_executor returns the one implementation, which calls the module.
class Executor {
 public:
  virtual ~Executor() = default;
  [[nodiscard]] virtual const DeviceInfo& device() const = 0;
  [[nodiscard]] virtual const MeasureOptions& options() const = 0;
  /// Allocates random operands (never zeros) for every op of `stage`, checks each result against
  /// a host reference on a slice, then times it. Throws VerificationError on a mismatch and
  /// Error with the CUDA or cuBLASLt error text on a failure (e.g. out of memory).
  virtual StageMeasurement measure(const Stage& stage, DType dtype) = 0;
  /// For microbenchmarks: prepares and verifies `gemm` and picks its fastest algorithm; the
  /// returned callable runs one call and returns its GPU seconds. It owns its buffers and is valid
  /// while this executor lives.
  virtual std::function<double()> prepare_gemm(const Gemm& gemm, DType dtype) = 0;
};

/// Either an executor on the device, or why there is none.
struct ExecutorProbe {
  std::unique_ptr<Executor> executor;
  std::string unavailable;  ///< Empty when executor is set.
};

/// File name of the CUDA module.
inline constexpr const char* kCudaModuleFile = "liblmmbench_cuda.so";
/// Environment variable naming the module's path (first in the search, for other layouts).
inline constexpr const char* kCudaModuleVariable = "LMMBENCH_CUDA_MODULE";

/// Where open_executor looks for the module, in order: $LMMBENCH_CUDA_MODULE, next to the
/// running executable (the build tree), the installed library directory
/// (core/resource_paths.hpp). The first that exists is used.
std::vector<std::filesystem::path> cuda_module_candidates();

/// Opens CUDA device `device_index` through the CUDA module found by cuda_module_candidates().
/// A build without CUDA (no module), a missing CUDA library or driver, or no device is not an
/// error: the probe says why instead. So is a module that is not a lmmbench CUDA module of this
/// API version (a stale build): it is refused, never called, and the reason names both versions
/// or the missing entry point, and closed again. A module in use stays loaded for the rest of the
/// process. Not thread-safe.
ExecutorProbe open_executor(int device_index, const MeasureOptions& options);
/// The same with the module at `module` (tests, benchmarks).
ExecutorProbe open_executor(int device_index, const MeasureOptions& options,
                            const std::filesystem::path& module);

}  // namespace lmmbench::gpu
