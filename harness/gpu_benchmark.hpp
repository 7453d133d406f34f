#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "models/gpu/dtype.hpp"
#include "models/gpu/executor.hpp"
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

/// Plans every model at every batch size, computes its roofline and cost, and measures each
/// stage on the device when there is one. Progress and notes go to `log`. Throws InputError for
/// bad input (unknown model or GPU kind, inconsistent config, "--gpu auto" without a device).
GpuBenchmarkResult run_gpu_benchmark(const GpuBenchmarkOptions& options, std::ostream& log);

}  // namespace lmmbench::harness
