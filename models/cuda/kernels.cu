#include <cmath>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "models/cuda/cuda_support.cuh"
#include "models/cuda/kernels.cuh"

namespace lmmbench::gpu::cuda {

namespace {

__device__ inline float to_float(__half v) {
  return __half2float(v);
}
__device__ inline float to_float(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T>
__device__ inline T from_float(float v);
template <>
__device__ inline __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014).
__device__ inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

template <typename T>
__global__ void fill_uniform_kernel(T* data, std::int64_t count, std::uint64_t seed, float scale) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    const std::uint64_t bits = splitmix64(seed ^ (static_cast<std::uint64_t>(i) << 1));
    // 24 random bits -> [0, 1) -> [-1, 1)
    const float unit = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
    data[i] = from_float<T>((2.0f * unit - 1.0f) * scale);
  }
}

constexpr int kSoftmaxThreads = 256;

template <bool kMax>
__device__ float block_reduce(float v, float* shared) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, v, offset);
    v = kMax ? fmaxf(v, other) : v + other;
  }
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  __syncthreads();  // `shared` may still be read from the previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / 32;
  v = lane < warps ? shared[lane] : (kMax ? -INFINITY : 0.0f);
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, v, offset);
    v = kMax ? fmaxf(v, other) : v + other;
  }
  return v;
}

template <typename T>
__global__ void masked_softmax_kernel(T* scores, std::int64_t rows, std::int64_t q_len,
                                      std::int64_t kv_len, bool causal, std::int64_t window) {
  __shared__ float shared[32];
  for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    T* r = scores + row * kv_len;
    const std::int64_t position = kv_len - q_len + row % q_len;
    const std::int64_t hi = causal ? position : kv_len - 1;  // inclusive
    const std::int64_t first = position - window + 1;
    const std::int64_t lo = window > 0 && first > 0 ? first : 0;
    float m = -INFINITY;
    for (std::int64_t j = lo + threadIdx.x; j <= hi; j += blockDim.x)
      m = fmaxf(m, to_float(r[j]));
    m = block_reduce<true>(m, shared);
    float sum = 0.0f;
    for (std::int64_t j = lo + threadIdx.x; j <= hi; j += blockDim.x)
      sum += __expf(to_float(r[j]) - m);
    sum = block_reduce<false>(sum, shared);
    const float inverse = 1.0f / sum;
    for (std::int64_t j = threadIdx.x; j < kv_len; j += blockDim.x) {
      const bool kept = j >= lo && j <= hi;
      r[j] = from_float<T>(kept ? __expf(to_float(r[j]) - m) * inverse : 0.0f);
    }
  }
}

unsigned grid_for(std::int64_t work, std::int64_t per_block) {
  const std::int64_t blocks = (work + per_block - 1) / per_block;
  constexpr std::int64_t kMaxBlocks = 1 << 20;  // grid-stride loops cover the rest
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > kMaxBlocks ? kMaxBlocks : blocks));
}

}  // namespace

void fill_uniform(void* data, std::int64_t count, DType dtype, std::uint64_t seed, float scale,
                  cudaStream_t stream) {
  constexpr int kThreads = 256;
  const unsigned blocks = grid_for(count, kThreads);
  if (dtype == DType::f16) {
    fill_uniform_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<__half*>(data), count, seed,
                                                         scale);
  } else {
    fill_uniform_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<__nv_bfloat16*>(data), count,
                                                         seed, scale);
  }
  LMMBENCH_CUDA(cudaGetLastError());
}

void masked_softmax_rows(void* scores, const SoftmaxShape& shape, DType dtype,
                         cudaStream_t stream) {
  const unsigned blocks = grid_for(shape.rows, 1);
  if (dtype == DType::f16) {
    masked_softmax_kernel<<<blocks, kSoftmaxThreads, 0, stream>>>(
        static_cast<__half*>(scores), shape.rows, shape.q_len, shape.kv_len, shape.causal,
        shape.window);
  } else {
    masked_softmax_kernel<<<blocks, kSoftmaxThreads, 0, stream>>>(
        static_cast<__nv_bfloat16*>(scores), shape.rows, shape.q_len, shape.kv_len, shape.causal,
        shape.window);
  }
  LMMBENCH_CUDA(cudaGetLastError());
}

}  // namespace lmmbench::gpu::cuda
