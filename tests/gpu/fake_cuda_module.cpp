/* A stand-in for liblmmbench_cuda.so, without CUDA (C-style C++ behind the C API), for the loader's
 * tests (test_executor_loader.cpp). Compile definitions pick the variant: FAKE_API_VERSION   the
 * version lmmbench_cuda_api_version() returns (default: the current one) FAKE_NO_VERSION    no
 * lmmbench_cuda_api_version at all (a module from before the versioned API) FAKE_NO_MEASURE    no
 * lmmbench_cuda_measure (an entry point missing) Its "device" is a fixed description; measure()
 * reports op i as (i + 1) ms and fails a stage named "mismatch" as a verification failure; a
 * stage's L-layer sequence (when asked for) takes 1 ms per layer, over 2 weight sets, and ends
 * 0.25 ms sooner with a cold L2 (so tests see the flag arrive). */
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "models/gpu/cuda_module_api.h"

#ifndef FAKE_API_VERSION
#define FAKE_API_VERSION LMMBENCH_CUDA_API_VERSION
#endif

#define EXPORT extern "C" __attribute__((visibility("default")))

struct lmmbench_cuda_executor {
  int32_t device_index;
};

struct lmmbench_cuda_gemm {
  int64_t m;
};

namespace {

void put(char* out, size_t size, const char* text) {
  if (out != nullptr && size > 0) snprintf(out, size, "%s", text);
}

}  // namespace

#ifndef FAKE_NO_VERSION
EXPORT uint32_t lmmbench_cuda_api_version(void) {
  return FAKE_API_VERSION;
}
#else
/* The C++ entry point of API version 1, never to be called. */
EXPORT void lmmbench_open_cuda_executor(void) {
  abort();
}
#endif

EXPORT lmmbench_cuda_status lmmbench_cuda_open(int32_t device_index,
                                               const lmmbench_cuda_measure_options* options,
                                               lmmbench_cuda_executor** executor, char* error,
                                               size_t error_size) {
  if (options == nullptr || executor == nullptr) return LMMBENCH_CUDA_INVALID_ARGUMENT;
  if (device_index != 0) {
    put(error, error_size, "fake module: only device 0 exists");
    return LMMBENCH_CUDA_UNAVAILABLE;
  }
  *executor = static_cast<lmmbench_cuda_executor*>(malloc(sizeof(lmmbench_cuda_executor)));
  (*executor)->device_index = device_index;
  return LMMBENCH_CUDA_OK;
}

EXPORT void lmmbench_cuda_close(lmmbench_cuda_executor* executor) {
  free(executor);
}

EXPORT lmmbench_cuda_status lmmbench_cuda_device(const lmmbench_cuda_executor* executor,
                                                 lmmbench_cuda_device_info* info) {
  memset(info, 0, sizeof *info);
  info->index = executor->device_index;
  put(info->name, sizeof info->name, "Fake GPU 80GB");
  info->compute_capability_major = 9;
  info->sm_count = 132;
  info->memory_bytes = 80000000000LL;
  put(info->cublaslt_version, sizeof info->cublaslt_version, "13.0.0");
  return LMMBENCH_CUDA_OK;
}

#ifndef FAKE_NO_MEASURE
EXPORT lmmbench_cuda_status lmmbench_cuda_measure(
    lmmbench_cuda_executor* executor, const lmmbench_cuda_stage* stage, lmmbench_cuda_dtype dtype,
    lmmbench_cuda_op_measurement* ops, size_t op_capacity,
    lmmbench_cuda_sequence_measurement* sequence, char* error, size_t error_size) {
  (void)executor;
  (void)dtype;
  const size_t n = stage->gemm_count + stage->attention_count;
  if (op_capacity < n || (stage->time_sequence != 0 && sequence == nullptr)) {
    return LMMBENCH_CUDA_INVALID_ARGUMENT;
  }
  if (strcmp(stage->name, "mismatch") == 0) {
    put(error, error_size, "mismatch/g: result differs from the host reference");
    return LMMBENCH_CUDA_VERIFICATION_FAILED;
  }
  for (size_t i = 0; i < n; ++i) {
    memset(&ops[i], 0, sizeof ops[i]);
    ops[i].seconds = 1e-3 * static_cast<double>(i + 1);
    ops[i].runs = 10;
    ops[i].converged = 1;
    ops[i].tolerance = 1e-3;
  }
  if (stage->time_sequence != 0) {
    int64_t layers = 0;
    for (size_t i = 0; i < stage->gemm_count; ++i)
      layers = stage->gemms[i].count > layers ? stage->gemms[i].count : layers;
    memset(sequence, 0, sizeof *sequence);
    sequence->layers = static_cast<int32_t>(layers);
    sequence->seconds = 1e-3 * static_cast<double>(layers) - (stage->cold_l2 != 0 ? 0.25e-3 : 0.0);
    sequence->runs = 10;
    sequence->converged = 1;
    sequence->weight_sets = 2;
  }
  return LMMBENCH_CUDA_OK;
}
#endif

EXPORT lmmbench_cuda_status lmmbench_cuda_prepare_gemm(lmmbench_cuda_executor* executor,
                                                       const lmmbench_cuda_gemm_shape* shape,
                                                       lmmbench_cuda_dtype dtype,
                                                       lmmbench_cuda_gemm** gemm, char* error,
                                                       size_t error_size) {
  (void)executor;
  (void)dtype;
  if (shape->m <= 0) {
    put(error, error_size, "fake module: out of memory");
    return LMMBENCH_CUDA_ERROR;
  }
  *gemm = static_cast<lmmbench_cuda_gemm*>(malloc(sizeof(lmmbench_cuda_gemm)));
  (*gemm)->m = shape->m;
  return LMMBENCH_CUDA_OK;
}

EXPORT lmmbench_cuda_status lmmbench_cuda_run_gemm(lmmbench_cuda_gemm* gemm, double* seconds,
                                                   char* error, size_t error_size) {
  (void)error;
  (void)error_size;
  *seconds = 1e-6 * static_cast<double>(gemm->m);
  return LMMBENCH_CUDA_OK;
}

EXPORT void lmmbench_cuda_release_gemm(lmmbench_cuda_gemm* gemm) {
  free(gemm);
}
