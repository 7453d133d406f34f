#pragma once

// Error checking and RAII owners for the CUDA executor. Only .cu files of models/cuda include
// this header.

#include <cstddef>
#include <string>
#include <utility>

#include <cublasLt.h>
#include <cuda_runtime.h>

#include "core/error.hpp"

namespace lmmbench::gpu::cuda {

/// Throws Error("what: cudaErrorX: text (file:line)"), after clearing the thread's last error.
[[noreturn]] void throw_cuda(cudaError_t status, const char* what, const char* file, int line);
/// Throws Error("what: CUBLAS_STATUS_X: text (file:line)").
[[noreturn]] void throw_cublas(cublasStatus_t status, const char* what, const char* file, int line);

}  // namespace lmmbench::gpu::cuda

#define LMMBENCH_CUDA(call)                                                           \
  do {                                                                                \
    const cudaError_t lmmbench_status_ = (call);                                      \
    if (lmmbench_status_ != cudaSuccess)                                              \
      ::lmmbench::gpu::cuda::throw_cuda(lmmbench_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define LMMBENCH_CUBLAS(call)                                                           \
  do {                                                                                  \
    const cublasStatus_t lmmbench_status_ = (call);                                     \
    if (lmmbench_status_ != CUBLAS_STATUS_SUCCESS)                                      \
      ::lmmbench::gpu::cuda::throw_cublas(lmmbench_status_, #call, __FILE__, __LINE__); \
  } while (0)

namespace lmmbench::gpu::cuda {

/// Device memory of a fixed size; move-only. Freed on destruction (errors there are ignored: the
/// context may already be failing).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
    if (bytes_ > 0) LMMBENCH_CUDA(cudaMalloc(&ptr_, bytes_));
  }
  ~DeviceBuffer() {
    if (ptr_ != nullptr) cudaFree(ptr_);
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      if (ptr_ != nullptr) cudaFree(ptr_);
      ptr_ = std::exchange(other.ptr_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  [[nodiscard]] void* get() const { return ptr_; }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Owns one CUDA handle-like resource (a stream, a cuBLASLt handle, a graph): created by the
/// caller, destroyed by `Destroy` when the owner goes, errors there ignored. Members of this type
/// are released when a constructor that made them throws later on.
template <typename Handle, auto Destroy>
class Owned {
 public:
  Owned() = default;
  explicit Owned(Handle handle) : handle_(handle) {}
  ~Owned() { reset(); }
  Owned(Owned&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;

  [[nodiscard]] Handle get() const { return handle_; }
  void reset() noexcept {
    if (handle_ != nullptr) static_cast<void>(Destroy(std::exchange(handle_, nullptr)));
  }

 private:
  Handle handle_ = nullptr;
};

using Stream = Owned<cudaStream_t, cudaStreamDestroy>;
using LtHandle = Owned<cublasLtHandle_t, cublasLtDestroy>;
using Graph = Owned<cudaGraph_t, cudaGraphDestroy>;
using GraphExec = Owned<cudaGraphExec_t, cudaGraphExecDestroy>;

/// A non-blocking stream on the current device.
inline Stream make_stream() {
  cudaStream_t s = nullptr;
  LMMBENCH_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return Stream(s);
}

inline LtHandle make_lt_handle() {
  cublasLtHandle_t h = nullptr;
  LMMBENCH_CUBLAS(cublasLtCreate(&h));
  return LtHandle(h);
}

/// A pair of CUDA events bracketing work on one stream.
class EventTimer {
 public:
  EventTimer() {
    LMMBENCH_CUDA(cudaEventCreate(&start_));
    try {
      LMMBENCH_CUDA(cudaEventCreate(&stop_));
    } catch (...) {
      cudaEventDestroy(start_);
      throw;
    }
  }
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;

  void start(cudaStream_t stream) { LMMBENCH_CUDA(cudaEventRecord(start_, stream)); }
  void stop(cudaStream_t stream) { LMMBENCH_CUDA(cudaEventRecord(stop_, stream)); }
  /// Waits for the stop event; GPU seconds between the two events.
  double seconds() {
    LMMBENCH_CUDA(cudaEventSynchronize(stop_));
    float ms = 0;
    LMMBENCH_CUDA(cudaEventElapsedTime(&ms, start_, stop_));
    return static_cast<double>(ms) * 1e-3;
  }

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

}  // namespace lmmbench::gpu::cuda
