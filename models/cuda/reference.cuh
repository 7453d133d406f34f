#pragma once

#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

#include "models/gpu/dtype.hpp"
#include "models/gpu/linear_check.hpp"

namespace lmmbench::gpu::cuda {

/// Copies rows [0, rows) x columns [0, cols) of a row-major device matrix with `pitch` elements
/// per row to the host, as floats. Synchronises `stream`.
std::vector<float> copy_block(const void* src, std::int64_t pitch, std::int64_t rows,
                              std::int64_t cols, DType dtype, cudaStream_t stream);

/// Operands of a (batched) Y = alpha X W^T on the device, all row-major: X is [m x k], W is
/// [n x k] (or [k x n] when w_is_k_by_n), Y is [m x n]; product p starts p x the stride (elements)
/// after each pointer.
struct DeviceLinear {
  const void* x = nullptr;
  const void* w = nullptr;
  const void* y = nullptr;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  bool w_is_k_by_n = false;
  float alpha = 1.0f;
  std::int64_t batch = 1;
  std::int64_t stride_x = 0;
  std::int64_t stride_w = 0;
  std::int64_t stride_y = 0;
};

/// Checks every product of the batch on rows and columns [0, s) of its result, s = `slice` or
/// fewer for large batches (batched_slice), against the host reference of linear_check.hpp.
CheckResult check_linear(const DeviceLinear& op, DType dtype, std::int64_t slice,
                         cudaStream_t stream);

/// Checks one softmax row: `after` against the masked softmax of `before` over keys [lo, hi].
/// Errors are absolute on probabilities; the bound is 4 unit roundoffs.
CheckResult check_softmax_row(const std::vector<float>& before, const std::vector<float>& after,
                              std::int64_t lo, std::int64_t hi, DType dtype);

}  // namespace lmmbench::gpu::cuda
