#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "models/gpu/dtype.hpp"

namespace lmmbench::gpu {

// The comparison behind the CUDA executor's correctness check (docs/gpu.md, "The CUDA executor",
// step 4), on host data only. Header-only and C++17: the CUDA module includes it (it uses no code
// of models/gpu), and tests/gpu/test_linear_check.cpp runs it on synthetic data without a GPU.

/// Result of comparing slices of a GPU result with a host reference computed in double from the
/// same (rounded) inputs. Errors are relative to sum_k |a_ik b_kj| (the scale of the rounding
/// errors a dot product can make), so the bound does not depend on cancellation.
struct CheckResult {
  double max_error = 0;
  double tolerance = 0;
  /// The first product of a batch whose slice exceeded the tolerance; -1 when none did.
  std::int64_t failed_product = -1;
  [[nodiscard]] bool passed() const { return max_error <= tolerance; }
};

/// Unit roundoff of the output type: 2^-11 for FP16, 2^-8 for BF16.
inline double unit_roundoff(DType dtype) {
  return dtype == DType::f16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
}

/// The bound every checked element must stay under: 4 unit roundoffs of the output type (FP32
/// accumulation adds far less).
inline double linear_tolerance(DType dtype) {
  return 4.0 * unit_roundoff(dtype);
}

/// Host copies of one product's checked slice, row-major: x is [rows x k], w is [cols x k] (or
/// [k x cols] when the product's W is stored k by n), y is [rows x cols].
struct LinearSlice {
  std::vector<float> x;
  std::vector<float> w;
  std::vector<float> y;
};

/// Largest relative error of y = alpha x w^T over one slice (infinity for a NaN or an infinity
/// in y: a failure, not a small error).
inline double linear_slice_error(const LinearSlice& s, std::int64_t rows, std::int64_t cols,
                                 std::int64_t k, bool w_is_k_by_n, float alpha) {
  double worst = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      double sum = 0;
      double magnitude = 0;
      for (std::int64_t t = 0; t < k; ++t) {
        const double a = s.x[static_cast<std::size_t>(i * k + t)];
        const double b = w_is_k_by_n ? s.w[static_cast<std::size_t>(t * cols + j)]
                                     : s.w[static_cast<std::size_t>(j * k + t)];
        sum += a * b;
        magnitude += std::fabs(a * b);
      }
      const double reference = static_cast<double>(alpha) * sum;
      const double scale = std::max(std::fabs(static_cast<double>(alpha)) * magnitude, 1e-30);
      const double error =
          std::fabs(static_cast<double>(s.y[static_cast<std::size_t>(i * cols + j)]) - reference) /
          scale;
      worst = std::isfinite(error) ? std::max(worst, error) : INFINITY;
    }
  }
  return worst;
}

/// Rows (and columns) of each product's checked slice: at most `slice`, fewer for large batches
/// so that the host reference does at most `budget` multiply-adds over the whole batch, and at
/// least 1, so every product of the batch is checked.
inline std::int64_t batched_slice(std::int64_t slice, std::int64_t batch, std::int64_t k,
                                  double budget = 6.7e7) {
  const double per_product = budget / static_cast<double>(std::max<std::int64_t>(batch, 1)) /
                             static_cast<double>(std::max<std::int64_t>(k, 1));
  const auto fit = static_cast<std::int64_t>(std::sqrt(std::max(per_product, 1.0)));
  return std::max<std::int64_t>(1, std::min(slice, fit));
}

/// Checks every product p in [0, batch) of a batched Y = alpha X W^T, each on rows x cols of its
/// result: `fetch(p)` returns product p's LinearSlice (the GPU side copies it from the device).
/// The result holds the worst error over all products and the first product that failed.
template <typename Fetch>
CheckResult check_batched_linear(std::int64_t batch, std::int64_t rows, std::int64_t cols,
                                 std::int64_t k, bool w_is_k_by_n, float alpha, DType dtype,
                                 Fetch&& fetch) {
  CheckResult result;
  result.tolerance = linear_tolerance(dtype);
  for (std::int64_t p = 0; p < batch; ++p) {
    const LinearSlice slice = fetch(p);
    const double error = linear_slice_error(slice, rows, cols, k, w_is_k_by_n, alpha);
    if (!(error <= result.tolerance) && result.failed_product < 0) result.failed_product = p;
    result.max_error = std::isfinite(error) ? std::max(result.max_error, error) : INFINITY;
  }
  return result;
}

}  // namespace lmmbench::gpu
