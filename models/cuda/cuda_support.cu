#include <fmt/format.h>

#include "models/cuda/cuda_support.cuh"

namespace lmmbench::gpu::cuda {

void throw_cuda(cudaError_t status, const char* what, const char* file, int line) {
  // The runtime also keeps the error as the thread's last error; cleared here, so that a later
  // cudaGetLastError() (after a kernel launch) does not report this one again, e.g. in the next
  // executor after a constructor whose cudaMalloc failed. A sticky error stays regardless.
  static_cast<void>(cudaGetLastError());
  throw Error(fmt::format("{}: {}: {} ({}:{})", what, cudaGetErrorName(status),
                          cudaGetErrorString(status), file, line));
}

void throw_cublas(cublasStatus_t status, const char* what, const char* file, int line) {
  throw Error(fmt::format("{}: {}: {} ({}:{})", what, cublasLtGetStatusName(status),
                          cublasLtGetStatusString(status), file, line));
}

}  // namespace lmmbench::gpu::cuda
