#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <cublasLt.h>
#include <cuda_runtime.h>

#include "models/gpu/dtype.hpp"

namespace lmmbench::gpu::cuda {

/// D = alpha op(A) op(B) in cuBLASLt's column-major terms: D is m x n, op(A) is m x k, op(B) is
/// k x n; `batch` products at the given element strides. A stored transposed is k x m (lda >= k),
/// otherwise m x k (lda >= m); likewise B is n x k or k x n.
struct MatmulShape {
  bool transpose_a = false;
  bool transpose_b = false;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t lda = 0;
  std::int64_t ldb = 0;
  std::int64_t ldd = 0;
  std::int64_t batch = 1;
  std::int64_t stride_a = 0;
  std::int64_t stride_b = 0;
  std::int64_t stride_d = 0;
  float alpha = 1.0f;

  [[nodiscard]] std::string describe() const;
};

/// The reduction schemes cuBLASLt may use for split-K partial sums: every scheme, or only those
/// that keep them in the compute type (FP32) - NONE | COMPUTE_TYPE, leaving out INPLACE and
/// OUTPUT_TYPE, which add them up in the output type (cublasLt.h, cublasLtReductionScheme_t).
std::uint32_t reduction_scheme_mask(bool reduced_precision_reduction);

/// One cuBLASLt matmul: FP16 or BF16 operands and output, FP32 accumulation and scale
/// (CUBLAS_COMPUTE_32F / CUDA_R_32F), beta = 0. Asks the heuristic for up to `max_algorithms`
/// candidates for the given workspace size and reduction schemes (the
/// sample_cublasLt_LtSgemmSimpleAutoTuning call sequence of NVIDIA/CUDALibrarySamples) and keeps
/// those whose `state` is CUBLAS_STATUS_SUCCESS (the other fields of a result are only valid
/// then); none left is an Error naming the states. Not thread-safe.
class LtMatmul {
 public:
  LtMatmul(cublasLtHandle_t handle, const MatmulShape& shape, DType dtype,
           std::size_t workspace_bytes, int max_algorithms, bool reduced_precision_reduction);
  ~LtMatmul();
  LtMatmul(const LtMatmul&) = delete;
  LtMatmul& operator=(const LtMatmul&) = delete;

  [[nodiscard]] const MatmulShape& shape() const { return shape_; }
  [[nodiscard]] int candidates() const { return static_cast<int>(results_.size()); }
  /// Enqueues one call with candidate `index`; returns cuBLASLt's status (a candidate may be
  /// refused at run time).
  cublasStatus_t try_run(int index, const void* a, const void* b, void* d, void* workspace,
                         cudaStream_t stream) const;
  void select(int index) { selected_ = index; }
  [[nodiscard]] int selected() const { return selected_; }
  /// Enqueues one call with the selected candidate; throws Error on failure.
  void run(const void* a, const void* b, void* d, void* workspace, cudaStream_t stream) const;

 private:
  void release() noexcept;

  cublasLtHandle_t handle_;
  MatmulShape shape_;
  std::size_t workspace_bytes_;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr;
  cublasLtMatrixLayout_t b_ = nullptr;
  cublasLtMatrixLayout_t d_ = nullptr;
  cublasLtMatmulPreference_t preference_ = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> results_;
  int selected_ = 0;
};

}  // namespace lmmbench::gpu::cuda
