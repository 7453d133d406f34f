#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/gpu/dtype.hpp"

namespace lmmbench {
class ConfigNode;
}

namespace lmmbench::gpu {

/// One on-demand price, as found on a date at a source. Prices are inputs with a date, never
/// constants in code.
struct PriceQuote {
  std::string provider;
  double usd_per_gpu_hour = 0;
  std::string date;    ///< YYYY-MM-DD the price was read (YYYY-MM when the source gives no day).
  std::string source;  ///< Where (a URL).
  std::string note;    ///< What the quote covers when that is not obvious (e.g. a whole instance).
};

/// Dense (no 2:4 sparsity) tensor-core peaks from the vendor's datasheet, in TFLOPS (TOPS for
/// int8). Empty when the GPU has no such path (FP8 on Ampere) or no figure is published.
struct DensePeaks {
  std::optional<double> fp16;
  std::optional<double> bf16;
  std::optional<double> tf32;
  std::optional<double> fp8;
  std::optional<double> int8;
};

/// A kind of GPU from configs/gpus.json.
struct GpuKind {
  std::string name;                       ///< e.g. "a100-80gb"
  std::vector<std::string> aliases;       ///< Other names --gpu accepts.
  std::string description;                ///< e.g. "NVIDIA A100 80GB SXM4"
  std::vector<std::string> device_names;  ///< cudaDeviceProp::name values that are this kind.
  DensePeaks dense_tflops;
  double memory_gb = 0;           ///< Datasheet capacity, GB = 1e9 bytes.
  double bandwidth_gb_per_s = 0;  ///< Datasheet memory bandwidth, GB/s = 1e9 bytes/s.
  std::optional<double> tdp_w;
  std::vector<std::string> sources;  ///< Where each figure comes from.
  std::string notes;
  std::vector<PriceQuote> prices;  ///< Newest first is the convention; the first is the default.

  /// Dense tensor peak for `dtype` in FLOP/s; empty when the table has none.
  [[nodiscard]] std::optional<double> peak_flops(DType dtype) const;
  [[nodiscard]] double bandwidth_bytes_per_s() const { return bandwidth_gb_per_s * 1e9; }
  [[nodiscard]] double memory_bytes() const { return memory_gb * 1e9; }
};

/// The GPU table (configs/gpus.json; JSON with comments). Shared by the GPU roofline and the
/// serving cost model. Immutable after loading; thread-safe for reading.
class GpuTable {
 public:
  /// Reads and validates the file: every figure positive, names unique across names and aliases,
  /// dates YYYY-MM-DD or YYYY-MM, unknown fields rejected. Throws InputError naming the file, line
  /// and field.
  static GpuTable load(const std::filesystem::path& path);
  static GpuTable read(const ConfigNode& root);

  [[nodiscard]] const std::vector<GpuKind>& kinds() const { return kinds_; }
  [[nodiscard]] const std::string& source() const { return source_; }
  /// The kind named `name` or one of its aliases (case-insensitive); throws InputError listing the
  /// names (with a did-you-mean) otherwise.
  [[nodiscard]] const GpuKind& find(std::string_view name) const;
  /// The kind whose device_names contain `device_name` (case-insensitive, exact), or nullptr.
  [[nodiscard]] const GpuKind* match_device(std::string_view device_name) const;

 private:
  std::vector<GpuKind> kinds_;
  std::string source_;
};

}  // namespace lmmbench::gpu
