#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
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

/// How ops are timed: warm-up runs, then samples until the relative spread (sample standard
/// deviation / mean) is at most max_relative_spread after min_runs, or max_runs or
/// max_seconds_per_op is reached; the reported time is the median sample.
struct MeasureOptions {
  int warmup_runs = 3;
  int min_runs = 10;
  int max_runs = 200;
  double max_relative_spread = 0.02;
  double max_seconds_per_op = 2.0;  ///< Wall-clock budget for one op's samples.
  bool flush_l2 = false;  ///< Cold timings: overwrite an L2-sized buffer before every sample.
  int algorithms = 8;     ///< cuBLASLt heuristic candidates timed per GEMM; the fastest is kept.
  /// cuBLASLt workspace. 32 MiB is cuBLAS's recommendation for Hopper (4 MiB for older GPUs), as
  /// quoted in PyTorch PR #120925; the larger size serves both.
  std::size_t workspace_bytes = std::size_t{32} << 20;
  int verify_rows = 64;  ///< Rows and columns of each result checked against the host reference.
};

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

struct StageMeasurement {
  std::string stage;
  double seconds = 0;  ///< Sum over ops of count x median seconds.
  /// The stage's gemms then its attention calls, in plan order.
  std::vector<OpMeasurement> ops;
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
