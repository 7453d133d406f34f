#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "models/gpu/dtype.hpp"
#include "models/gpu/executor.hpp"
#include "models/gpu/gpu_table.hpp"
#include "models/gpu/model_spec.hpp"
#include "models/gpu/plan.hpp"
#include "reports/gpu_section.hpp"

namespace lmmbench::harness {

/// What `lmmbench gpu` runs: models x batch sizes for one request shape on one GPU kind.
struct GpuBenchmarkOptions {
  std::vector<std::string> models;  ///< Shipped spec names or config.json paths.
  std::string gpu = "auto";         ///< A kind of the GPU table, or "auto" (the device found).
  std::int64_t gpu_count = 1;       ///< Replicas for the cost (each GPU serves its own copy).
  std::vector<std::int64_t> batches = {1};
  gpu::RequestShape request;
  gpu::DType dtype = gpu::DType::f16;
  std::optional<double> usd_per_gpu_hour;  ///< Overrides the table's first price.
  double memory_fraction = 0.9;            ///< Of device memory for weights + KV cache.
  /// Searched first for models/gpu/ and gpus.json (core/resource_paths.hpp); empty: the search
  /// path alone.
  std::filesystem::path config_dir;
  std::filesystem::path gpu_table;  ///< Empty: gpus.json of the config search path.
  bool measure = true;              ///< Run the executor when a device is present.
  int device = 0;
  gpu::MeasureOptions timing;
};

struct GpuBenchmarkResult {
  reports::GpuSection section;
  /// Stages whose measurement failed (a CUDA error or a result that did not match the
  /// reference), as "model batch N stage: message". The roofline of every stage is still there.
  std::vector<std::string> failures;
};

/// The config directory whose models/gpu/ holds the shipped spec `model` (the first in the search
/// path), else the first with any specs, for the message listing them. `lmmbench gpu` and
/// `lmmbench train-cost` load their model specs from it.
std::filesystem::path spec_dir(const std::string& model, const std::filesystem::path& config_dir);

/// Refuses options no benchmark can run with (InputError naming the flag): no model, no batch
/// size, a GPU count below 1, a memory fraction outside (0, 1], a price that is not positive.
void validate_gpu_benchmark(const GpuBenchmarkOptions& options);

/// The GPU the bounds are computed for, with the figures every row uses.
struct GpuTarget {
  const gpu::GpuKind& kind;
  std::string source;                      ///< "named" (--gpu KIND) or "detected" (--gpu auto).
  double peak_flops;                       ///< Dense peak of the options' dtype, FLOP/s.
  double bandwidth;                        ///< Bytes/s.
  std::optional<reports::GpuPrice> price;  ///< --price, else the table's first quote; none: no $.
};

/// The GPU kind of `table` that options.gpu names, or, for "auto", the one whose device_names
/// hold `device`'s name (null device: InputError saying `unavailable`). A named kind that is not
/// the device present gets a note on `log`. InputError when the kind has no peak for the dtype.
GpuTarget gpu_target(const gpu::GpuTable& table, const GpuBenchmarkOptions& options,
                     const gpu::Executor* device, const std::string& unavailable,
                     std::ostream& log);

/// One row of the section: `plan`'s stages with their roofline bounds on `target`, the KV-cache
/// fit, throughput and cost bounds; with an executor, every stage measured too (a stage whose
/// measurement throws keeps its bound, gets the error, and adds "MODEL batch N STAGE: error" to
/// `failures`), and the measured throughput and cost where every stage it needs was measured.
reports::GpuBatchResult gpu_batch_result(const gpu::ModelSpec& spec, const gpu::Plan& plan,
                                         const GpuTarget& target,
                                         const GpuBenchmarkOptions& options,
                                         gpu::Executor* executor,
                                         std::vector<std::string>& failures, std::ostream& log);

/// A model's summary and one batch_result per options.batches, planned for options.request.
reports::GpuModelResult gpu_model_result(const gpu::ModelSpec& spec, const GpuTarget& target,
                                         const GpuBenchmarkOptions& options,
                                         gpu::Executor* executor,
                                         std::vector<std::string>& failures, std::ostream& log);

/// Plans every model at every batch size, computes its roofline and cost, and measures each
/// stage on the device when there is one. Progress and notes go to `log`. Throws InputError for
/// bad input (unknown model or GPU kind, inconsistent config, "--gpu auto" without a device).
GpuBenchmarkResult run_gpu_benchmark(const GpuBenchmarkOptions& options, std::ostream& log);

}  // namespace lmmbench::harness
