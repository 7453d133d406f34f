#include <algorithm>

#include <fmt/format.h>

#include "models/cuda/cuda_support.cuh"
#include "models/cuda/lt_matmul.cuh"

namespace lmmbench::gpu::cuda {

namespace {

cudaDataType_t cuda_type(DType dtype) {
  return dtype == DType::f16 ? CUDA_R_16F : CUDA_R_16BF;
}

cublasLtMatrixLayout_t make_layout(cudaDataType_t type, std::int64_t rows, std::int64_t cols,
                                   std::int64_t ld, std::int64_t batch, std::int64_t stride) {
  cublasLtMatrixLayout_t layout = nullptr;
  LMMBENCH_CUBLAS(cublasLtMatrixLayoutCreate(&layout, type, static_cast<std::uint64_t>(rows),
                                             static_cast<std::uint64_t>(cols), ld));
  if (batch > 1) {
    const auto count = static_cast<std::int32_t>(batch);
    LMMBENCH_CUBLAS(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
                                                     &count, sizeof(count)));
    LMMBENCH_CUBLAS(cublasLtMatrixLayoutSetAttribute(
        layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
  }
  return layout;
}

}  // namespace

std::uint32_t reduction_scheme_mask(bool reduced_precision_reduction) {
  return reduced_precision_reduction
             ? static_cast<std::uint32_t>(CUBLASLT_REDUCTION_SCHEME_MASK)
             : static_cast<std::uint32_t>(CUBLASLT_REDUCTION_SCHEME_NONE) |
                   static_cast<std::uint32_t>(CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE);
}

std::string MatmulShape::describe() const {
  return fmt::format("m={} n={} k={} op(A)={} op(B)={} batch={}", m, n, k, transpose_a ? "T" : "N",
                     transpose_b ? "T" : "N", batch);
}

LtMatmul::LtMatmul(cublasLtHandle_t handle, const MatmulShape& shape, DType dtype,
                   std::size_t workspace_bytes, int max_algorithms,
                   bool reduced_precision_reduction)
    : handle_(handle), shape_(shape), workspace_bytes_(workspace_bytes) {
  if (shape.batch > INT32_MAX) throw Error("cuBLASLt batch count over 2^31: " + shape.describe());
  try {
    LMMBENCH_CUBLAS(cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t ta = shape.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t tb = shape.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    LMMBENCH_CUBLAS(
        cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
    LMMBENCH_CUBLAS(
        cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
    const cudaDataType_t type = cuda_type(dtype);
    a_ = shape.transpose_a
             ? make_layout(type, shape.k, shape.m, shape.lda, shape.batch, shape.stride_a)
             : make_layout(type, shape.m, shape.k, shape.lda, shape.batch, shape.stride_a);
    b_ = shape.transpose_b
             ? make_layout(type, shape.n, shape.k, shape.ldb, shape.batch, shape.stride_b)
             : make_layout(type, shape.k, shape.n, shape.ldb, shape.batch, shape.stride_b);
    d_ = make_layout(type, shape.m, shape.n, shape.ldd, shape.batch, shape.stride_d);
    LMMBENCH_CUBLAS(cublasLtMatmulPreferenceCreate(&preference_));
    const std::uint64_t workspace = workspace_bytes;
    LMMBENCH_CUBLAS(cublasLtMatmulPreferenceSetAttribute(
        preference_, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof(workspace)));
    const std::uint32_t reduction = reduction_scheme_mask(reduced_precision_reduction);
    LMMBENCH_CUBLAS(cublasLtMatmulPreferenceSetAttribute(
        preference_, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &reduction, sizeof(reduction)));
    results_.resize(static_cast<std::size_t>(max_algorithms > 0 ? max_algorithms : 1));
    int returned = 0;
    LMMBENCH_CUBLAS(cublasLtMatmulAlgoGetHeuristic(handle_, op_, a_, b_, d_, d_, preference_,
                                                   static_cast<int>(results_.size()),
                                                   results_.data(), &returned));
    results_.resize(static_cast<std::size_t>(returned));
    // A result whose state is not SUCCESS holds no usable algorithm.
    std::string refused;
    const auto unusable = [&](const cublasLtMatmulHeuristicResult_t& r) {
      if (r.state == CUBLAS_STATUS_SUCCESS) return false;
      refused += std::string(refused.empty() ? "" : ", ") + cublasLtGetStatusName(r.state);
      return true;
    };
    results_.erase(std::remove_if(results_.begin(), results_.end(), unusable), results_.end());
    if (results_.empty()) {
      throw Error(fmt::format("cuBLASLt's heuristic returned no usable algorithm for {}{}",
                              shape.describe(),
                              refused.empty() ? "" : " (result states: " + refused + ")"));
    }
  } catch (...) {
    release();
    throw;
  }
}

LtMatmul::~LtMatmul() {
  release();
}

void LtMatmul::release() noexcept {
  if (preference_ != nullptr) cublasLtMatmulPreferenceDestroy(preference_);
  if (d_ != nullptr) cublasLtMatrixLayoutDestroy(d_);
  if (b_ != nullptr) cublasLtMatrixLayoutDestroy(b_);
  if (a_ != nullptr) cublasLtMatrixLayoutDestroy(a_);
  if (op_ != nullptr) cublasLtMatmulDescDestroy(op_);
  preference_ = nullptr;
  d_ = b_ = a_ = nullptr;
  op_ = nullptr;
}

cublasStatus_t LtMatmul::try_run(int index, const void* a, const void* b, void* d, void* workspace,
                                 cudaStream_t stream) const {
  const float beta = 0.0f;
  return cublasLtMatmul(handle_, op_, &shape_.alpha, a, a_, b, b_, &beta, d, d_, d, d_,
                        &results_[static_cast<std::size_t>(index)].algo, workspace,
                        workspace_bytes_, stream);
}

void LtMatmul::run(const void* a, const void* b, void* d, void* workspace,
                   cudaStream_t stream) const {
  const cublasStatus_t status = try_run(selected_, a, b, d, workspace, stream);
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw_cublas(status, ("cublasLtMatmul " + shape_.describe()).c_str(), __FILE__, __LINE__);
  }
}

}  // namespace lmmbench::gpu::cuda
