#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "models/gpu/dtype.hpp"

namespace lmmbench::gpu::cuda {

/// Fills `count` elements with values uniform in [-scale, scale), derived from a hash of (seed,
/// index) so that a given seed always gives the same content. Never all zeros.
void fill_uniform(void* data, std::int64_t count, DType dtype, std::uint64_t seed, float scale,
                  cudaStream_t stream);

/// In-place softmax over each row of a row-major [rows x kv_len] score matrix. Row r holds the
/// scores of query r % q_len, which sits at context position kv_len - q_len + r % q_len (grouped
/// query heads stack their q_len rows one after another). With `causal`, keys after the query's
/// position get probability 0; with window > 0, so do keys more than window - 1 positions before
/// it. Accumulates in FP32.
struct SoftmaxShape {
  std::int64_t rows = 0;
  std::int64_t q_len = 0;
  std::int64_t kv_len = 0;
  bool causal = false;
  std::int64_t window = 0;
};
void masked_softmax_rows(void* scores, const SoftmaxShape& shape, DType dtype, cudaStream_t stream);

}  // namespace lmmbench::gpu::cuda
