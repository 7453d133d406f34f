#include <algorithm>
#include <cmath>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "models/cuda/cuda_support.cuh"
#include "models/cuda/reference.cuh"

namespace lmmbench::gpu::cuda {

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

CheckResult check_linear(const DeviceLinear& op, DType dtype, std::int64_t slice,
                         cudaStream_t stream) {
  const std::int64_t s = batched_slice(slice, op.batch, op.k);
  const std::int64_t rows = std::min(op.m, s);
  const std::int64_t cols = std::min(op.n, s);
  const std::size_t e = static_cast<std::size_t>(element_bytes(dtype));
  const auto at = [e](const void* base, std::int64_t elements) {
    return static_cast<const char*>(base) + static_cast<std::size_t>(elements) * e;
  };
  return check_batched_linear(
      op.batch, rows, cols, op.k, op.w_is_k_by_n, op.alpha, dtype, [&](std::int64_t p) {
        LinearSlice slice_of_p;
        slice_of_p.x = copy_block(at(op.x, p * op.stride_x), op.k, rows, op.k, dtype, stream);
        // W as [cols x k] (row j = output feature j) or as [k x cols].
        slice_of_p.w = op.w_is_k_by_n
                           ? copy_block(at(op.w, p * op.stride_w), op.n, op.k, cols, dtype, stream)
                           : copy_block(at(op.w, p * op.stride_w), op.k, cols, op.k, dtype, stream);
        slice_of_p.y = copy_block(at(op.y, p * op.stride_y), op.n, rows, cols, dtype, stream);
        return slice_of_p;
      });
}

CheckResult check_softmax_row(const std::vector<float>& before, const std::vector<float>& after,
                              std::int64_t lo, std::int64_t hi, DType dtype) {
  CheckResult result;
  result.tolerance = linear_tolerance(dtype);
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
