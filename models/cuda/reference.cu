#include <algorithm>
#include <cmath>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "models/cuda/cuda_support.cuh"
#include "models/cuda/reference.cuh"

namespace lmmbench::gpu::cuda {

double unit_roundoff(DType dtype) {
  return dtype == DType::f16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
}

std::vector<float> copy_block(const void* src, std::int64_t pitch, std::int64_t rows,
                              std::int64_t cols, DType dtype, cudaStream_t stream) {
  const std::size_t element = static_cast<std::size_t>(element_bytes(dtype));
  const auto count = static_cast<std::size_t>(rows * cols);
  std::vector<std::uint16_t> raw(count);
  LMMBENCH_CUDA(cudaMemcpy2DAsync(raw.data(), static_cast<std::size_t>(cols) * element, src,
                                  static_cast<std::size_t>(pitch) * element,
                                  static_cast<std::size_t>(cols) * element,
                                  static_cast<std::size_t>(rows), cudaMemcpyDeviceToHost, stream));
  LMMBENCH_CUDA(cudaStreamSynchronize(stream));
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (dtype == DType::f16) {
      __half_raw h;
      h.x = raw[i];
      out[i] = __half2float(__half(h));
    } else {
      __nv_bfloat16_raw b;
      b.x = raw[i];
      out[i] = __bfloat162float(__nv_bfloat16(b));
    }
  }
  return out;
}

CheckResult check_linear(const void* x, const void* w, const void* y, std::int64_t m,
                         std::int64_t n, std::int64_t k, bool w_is_k_by_n, float alpha, DType dtype,
                         std::int64_t slice, cudaStream_t stream) {
  const std::int64_t rows = std::min(m, slice);
  const std::int64_t cols = std::min(n, slice);
  const auto xs = copy_block(x, k, rows, k, dtype, stream);
  // W as [cols x k] (row j = output feature j) or as [k x cols].
  const auto ws = w_is_k_by_n ? copy_block(w, n, k, cols, dtype, stream)
                              : copy_block(w, k, cols, k, dtype, stream);
  const auto ys = copy_block(y, n, rows, cols, dtype, stream);
  CheckResult result;
  result.tolerance = 4.0 * unit_roundoff(dtype);
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      double sum = 0;
      double magnitude = 0;
      for (std::int64_t t = 0; t < k; ++t) {
        const double a = xs[static_cast<std::size_t>(i * k + t)];
        const double b = w_is_k_by_n ? ws[static_cast<std::size_t>(t * cols + j)]
                                     : ws[static_cast<std::size_t>(j * k + t)];
        sum += a * b;
        magnitude += std::fabs(a * b);
      }
      const double reference = static_cast<double>(alpha) * sum;
      const double scale = std::max(std::fabs(static_cast<double>(alpha)) * magnitude, 1e-30);
      const double error =
          std::fabs(static_cast<double>(ys[static_cast<std::size_t>(i * cols + j)]) - reference) /
          scale;
      // A NaN or infinity is a failure, not a small error.
      result.max_error = std::isfinite(error) ? std::max(result.max_error, error) : INFINITY;
    }
  }
  return result;
}

CheckResult check_softmax_row(const std::vector<float>& before, const std::vector<float>& after,
                              std::int64_t lo, std::int64_t hi, DType dtype) {
  CheckResult result;
  result.tolerance = 4.0 * unit_roundoff(dtype);
  double top = -INFINITY;
  for (std::int64_t j = lo; j <= hi; ++j)
    top = std::max(top, static_cast<double>(before[static_cast<std::size_t>(j)]));
  double sum = 0;
  for (std::int64_t j = lo; j <= hi; ++j)
    sum += std::exp(static_cast<double>(before[static_cast<std::size_t>(j)]) - top);
  for (std::size_t j = 0; j < after.size(); ++j) {
    const auto jj = static_cast<std::int64_t>(j);
    const double expected =
        jj >= lo && jj <= hi ? std::exp(static_cast<double>(before[j]) - top) / sum : 0.0;
    const double error = std::fabs(static_cast<double>(after[j]) - expected);
    result.max_error = std::isfinite(error) ? std::max(result.max_error, error) : INFINITY;
  }
  return result;
}

}  // namespace lmmbench::gpu::cuda
