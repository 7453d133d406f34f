#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lmmbench::gpu {

// Header-only: the CUDA module (models/cuda) uses it without linking models/gpu.

/// The element type of every weight, activation and KV-cache entry in a plan. Both are 2 bytes;
/// the executor multiplies them with FP32 accumulation (cuBLASLt CUBLAS_COMPUTE_32F).
enum class DType { f16, bf16 };

/// Bytes per element.
constexpr std::int64_t element_bytes(DType) {
  return 2;
}

/// "fp16" or "bf16": the names used on the command line, in configs/gpus.json peaks and in JSON.
constexpr std::string_view to_string(DType dtype) {
  return dtype == DType::f16 ? "fp16" : "bf16";
}

/// Parses the names printed by to_string; nullopt for anything else.
constexpr std::optional<DType> parse_dtype(std::string_view name) {
  if (name == "fp16") return DType::f16;
  if (name == "bf16") return DType::bf16;
  return std::nullopt;
}

}  // namespace lmmbench::gpu
