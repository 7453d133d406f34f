#pragma once

#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

#include "models/gpu/dtype.hpp"

namespace lmmbench::gpu::cuda {

/// Result of comparing a slice of a GPU result with a host reference computed in double from the
/// same (rounded) inputs. Errors are relative to sum_k |a_ik b_kj| (the scale of the rounding
/// errors a dot product can make), so the bound does not depend on cancellation.
struct CheckResult {
  double max_error = 0;
  double tolerance = 0;
  [[nodiscard]] bool passed() const { return max_error <= tolerance; }
};

/// Unit roundoff of the output type: 2^-11 for FP16, 2^-8 for BF16.
double unit_roundoff(DType dtype);

/// Copies rows [0, rows) x columns [0, cols) of a row-major device matrix with `pitch` elements
/// per row to the host, as floats. Synchronises `stream`.
std::vector<float> copy_block(const void* src, std::int64_t pitch, std::int64_t rows,
                              std::int64_t cols, DType dtype, cudaStream_t stream);

/// Checks Y = alpha X W^T on rows and columns [0, slice) of the first product of a batch; all
/// row-major: X is [m x k], W is [n x k] (or [k x n] when w_is_k_by_n), Y is [m x n]. The bound
/// is 4 unit roundoffs of the output type (FP32 accumulation adds far less).
CheckResult check_linear(const void* x, const void* w, const void* y, std::int64_t m,
                         std::int64_t n, std::int64_t k, bool w_is_k_by_n, float alpha, DType dtype,
                         std::int64_t slice, cudaStream_t stream);

/// Checks one softmax row: `after` against the masked softmax of `before` over keys [lo, hi].
/// Errors are absolute on probabilities; the bound is 4 unit roundoffs.
CheckResult check_softmax_row(const std::vector<float>& before, const std::vector<float>& after,
                              std::int64_t lo, std::int64_t hi, DType dtype);

}  // namespace lmmbench::gpu::cuda
