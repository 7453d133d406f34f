#include <fmt/format.h>

#include "models/cuda/cuda_support.cuh"

namespace lmmbench::gpu::cuda {

void throw_cuda(cudaError_t status, const char* what, const char* file, int line) {
  throw Error(fmt::format("{}: {}: {} ({}:{})", what, cudaGetErrorName(status),
                          cudaGetErrorString(status), file, line));
}

void throw_cublas(cublasStatus_t status, const char* what, const char* file, int line) {
  throw Error(fmt::format("{}: {}: {} ({}:{})", what, cublasLtGetStatusName(status),
                          cublasLtGetStatusString(status), file, line));
}

}  // namespace lmmbench::gpu::cuda
