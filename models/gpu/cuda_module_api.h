/* The C interface of the CUDA module (liblmmbench_cuda.so, models/cuda) that lmmbench loads with
 * dlopen (models/gpu/executor_loader.cpp). Plain C so that nothing whose layout depends on the
 * compiler, the standard library or its flags crosses the boundary: opaque handles, C structs of
 * fixed-size types, status codes and caller-owned error text buffers; no exception leaves the
 * module. The loader reads lmmbench_cuda_api_version() before anything else and refuses a module
 * of another version, naming both.
 *
 * Rule: any change to a struct, an enum, a signature or the meaning of a call increments
 * LMMBENCH_CUDA_API_VERSION. Version 1 was the C++ entry point of lmmbench 0.1 (never checked);
 * version 3 added the reduction policy, the per-stage cold-L2 flag and the L-layer sequence timing.
 */
#ifndef LMMBENCH_MODELS_GPU_CUDA_MODULE_API_H
#define LMMBENCH_MODELS_GPU_CUDA_MODULE_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LMMBENCH_CUDA_API_VERSION 3

/* Status of every call that can fail. Where a call takes an error buffer, a status other than
 * OK leaves a NUL-terminated message there (truncated to the buffer's size). */
typedef enum lmmbench_cuda_status {
  LMMBENCH_CUDA_OK = 0,
  LMMBENCH_CUDA_UNAVAILABLE = 1,         /* no driver, no device, no such device index */
  LMMBENCH_CUDA_ERROR = 2,               /* a CUDA or cuBLASLt call failed (with its text) */
  LMMBENCH_CUDA_VERIFICATION_FAILED = 3, /* a result differs from the host reference */
  LMMBENCH_CUDA_INVALID_ARGUMENT = 4     /* a null pointer, a short output array, a bad dtype */
} lmmbench_cuda_status;

typedef enum lmmbench_cuda_dtype {
  LMMBENCH_CUDA_F16 = 0,
  LMMBENCH_CUDA_BF16 = 1
} lmmbench_cuda_dtype;

/* An executor bound to one device (its stream, cuBLASLt handle, workspace); use from one thread. */
typedef struct lmmbench_cuda_executor lmmbench_cuda_executor;
/* A GEMM with its operands allocated, verified and its fastest algorithm chosen (benchmarks). */
typedef struct lmmbench_cuda_gemm lmmbench_cuda_gemm;

/* Timing and checking settings; models/gpu/executor.hpp MeasureOptions documents each. */
typedef struct lmmbench_cuda_measure_options {
  int32_t warmup_runs;
  int32_t min_runs;
  int32_t max_runs;
  double max_relative_spread;
  double max_seconds_per_op;
  int32_t
      flush_l2; /* 0 or 1: prepare_gemm's timed calls start with a cold L2 (measure: per stage) */
  int32_t algorithms;
  uint64_t workspace_bytes;
  int32_t verify_rows;
  int32_t reduced_precision_reduction; /* 0: reduce split-K partial sums in FP32 only; 1: any */
} lmmbench_cuda_measure_options;

/* Strings are NUL-terminated and truncated to their arrays. */
typedef struct lmmbench_cuda_device_info {
  int32_t index;
  char name[256];
  int32_t compute_capability_major;
  int32_t compute_capability_minor;
  int32_t sm_count;
  int64_t memory_bytes;
  int64_t l2_bytes;
  int32_t sm_clock_mhz;
  int32_t memory_clock_mhz;
  int32_t memory_bus_bits;
  char driver_version[32];
  char cuda_runtime_version[32];
  char cublaslt_version[32];
} lmmbench_cuda_device_info;

/* Y[m x n] = X[m x k] W[n x k]^T, `batch` independent products; called `count` times per stage. */
typedef struct lmmbench_cuda_gemm_shape {
  const char* name;
  int64_t m;
  int64_t n;
  int64_t k;
  int64_t batch;
  int64_t count;
} lmmbench_cuda_gemm_shape;

/* softmax(Q K^T / sqrt(head_dim)) V per sequence and head; window 0 = no sliding window. */
typedef struct lmmbench_cuda_attention_shape {
  const char* name;
  int64_t sequences;
  int64_t heads;
  int64_t kv_heads;
  int64_t head_dim;
  int64_t q_len;
  int64_t kv_len;
  int32_t causal; /* 0 or 1 */
  int64_t window;
  int64_t count;
} lmmbench_cuda_attention_shape;

typedef struct lmmbench_cuda_stage {
  const char* name;
  const lmmbench_cuda_gemm_shape* gemms;
  size_t gemm_count;
  const lmmbench_cuda_attention_shape* attention;
  size_t attention_count;
  int32_t cold_l2;       /* 0 or 1: evict L2 (by reading) before every timed call */
  int32_t time_sequence; /* 0 or 1: also time the stage's L-layer sequence as one CUDA graph */
} lmmbench_cuda_stage;

/* One op of a stage, measured; models/gpu/executor.hpp OpMeasurement documents each field. */
typedef struct lmmbench_cuda_op_measurement {
  double seconds;
  double relative_spread;
  int32_t runs;
  int32_t converged; /* 0 or 1 */
  int32_t algorithms_tried;
  double max_error;
  double tolerance;
} lmmbench_cuda_op_measurement;

/* The L-layer sequence of a stage; models/gpu/executor.hpp SequenceMeasurement documents each. */
typedef struct lmmbench_cuda_sequence_measurement {
  double seconds;
  double relative_spread;
  int32_t runs;
  int32_t converged; /* 0 or 1 */
  int32_t layers;
  int32_t weight_sets;
} lmmbench_cuda_sequence_measurement;

/* The entry points, looked up by these names. */
typedef uint32_t (*lmmbench_cuda_api_version_fn)(void);
/* Opens device `device_index`. UNAVAILABLE (with the reason) when there is no usable device. */
typedef lmmbench_cuda_status (*lmmbench_cuda_open_fn)(int32_t device_index,
                                                      const lmmbench_cuda_measure_options* options,
                                                      lmmbench_cuda_executor** executor,
                                                      char* error, size_t error_size);
typedef void (*lmmbench_cuda_close_fn)(lmmbench_cuda_executor* executor);
typedef lmmbench_cuda_status (*lmmbench_cuda_device_fn)(const lmmbench_cuda_executor* executor,
                                                        lmmbench_cuda_device_info* info);
/* Measures every op of `stage`: its gemms then its attention calls, written to ops[0 ..
 * gemm_count + attention_count), which `op_capacity` must cover; with stage->time_sequence, also
 * the L-layer sequence, written to *sequence (which must then not be null). */
typedef lmmbench_cuda_status (*lmmbench_cuda_measure_fn)(
    lmmbench_cuda_executor* executor, const lmmbench_cuda_stage* stage, lmmbench_cuda_dtype dtype,
    lmmbench_cuda_op_measurement* ops, size_t op_capacity,
    lmmbench_cuda_sequence_measurement* sequence, char* error, size_t error_size);
/* The gemm handle is valid while its executor is open; release it before closing the executor. */
typedef lmmbench_cuda_status (*lmmbench_cuda_prepare_gemm_fn)(lmmbench_cuda_executor* executor,
                                                              const lmmbench_cuda_gemm_shape* shape,
                                                              lmmbench_cuda_dtype dtype,
                                                              lmmbench_cuda_gemm** gemm,
                                                              char* error, size_t error_size);
/* Runs one call of a prepared gemm and stores its GPU seconds. */
typedef lmmbench_cuda_status (*lmmbench_cuda_run_gemm_fn)(lmmbench_cuda_gemm* gemm, double* seconds,
                                                          char* error, size_t error_size);
typedef void (*lmmbench_cuda_release_gemm_fn)(lmmbench_cuda_gemm* gemm);

#define LMMBENCH_CUDA_API_VERSION_SYMBOL "lmmbench_cuda_api_version"
#define LMMBENCH_CUDA_OPEN_SYMBOL "lmmbench_cuda_open"
#define LMMBENCH_CUDA_CLOSE_SYMBOL "lmmbench_cuda_close"
#define LMMBENCH_CUDA_DEVICE_SYMBOL "lmmbench_cuda_device"
#define LMMBENCH_CUDA_MEASURE_SYMBOL "lmmbench_cuda_measure"
#define LMMBENCH_CUDA_PREPARE_GEMM_SYMBOL "lmmbench_cuda_prepare_gemm"
#define LMMBENCH_CUDA_RUN_GEMM_SYMBOL "lmmbench_cuda_run_gemm"
#define LMMBENCH_CUDA_RELEASE_GEMM_SYMBOL "lmmbench_cuda_release_gemm"

#ifdef __cplusplus
}
#endif

#endif /* LMMBENCH_MODELS_GPU_CUDA_MODULE_API_H */
