// The CUDA workload executor: runs the GEMMs and attention of a plan stage with cuBLASLt on
// random operands, checks every result against a host reference, and times it with CUDA events.
// The module's only interface is the C API of models/gpu/cuda_module_api.h, defined at the end of
// this file; the C++ types used inside it never cross the dlopen boundary.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <type_traits>

#include <fmt/format.h>

#include "models/cuda/cuda_support.cuh"
#include "models/cuda/kernels.cuh"
#include "models/cuda/lt_matmul.cuh"
#include "models/cuda/reference.cuh"
#include "models/gpu/cuda_module_api.h"
#include "models/gpu/executor.hpp"

namespace lmmbench::gpu {

namespace cuda {
namespace {

/// Keeps one SM busy for `cycles` clock cycles, so that the work enqueued behind it starts
/// back-to-back and its events do not time the CPU's launch latency (the role of nvbench's
/// blocking kernel).
__global__ void spin_kernel(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

constexpr double kSpinSeconds = 50e-6;

/// Evicts L2 by reading `n` 16-byte words through it (ld.global.cg caches in L2, not L1). Reading
/// leaves clean lines, which the next kernel can replace for free; a memset would leave dirty
/// lines whose write-back the timed kernel would pay. The store is never taken (the buffer holds
/// zeros) but keeps the loads from being optimised away.
__global__ void read_l2_flush_kernel(const uint4* data, std::size_t n, unsigned* sink) {
  uint4 acc = make_uint4(0, 0, 0, 0);
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const uint4 v = __ldcg(data + i);
    acc.x ^= v.x;
    acc.y ^= v.y;
    acc.z ^= v.z;
    acc.w ^= v.w;
  }
  if ((acc.x & acc.y & acc.z & acc.w) == 0xffffffffu) *sink = acc.x;
}

/// The flush buffer is this many times the L2 size, so no line of the timed operands survives.
constexpr std::size_t kFlushL2Multiple = 4;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Sample standard deviation (Bessel-corrected) over the mean.
double relative_spread(const std::vector<double>& v) {
  if (v.size() < 2) return INFINITY;
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (const double x : v)
    ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1)) / mean;
}

std::string cuda_version(int v) {
  return fmt::format("{}.{}", v / 1000, (v % 1000) / 10);
}

double gib(double bytes) {
  return bytes / static_cast<double>(1ULL << 30);
}

struct Samples {
  double median = 0;
  double relative_spread = 0;
  int runs = 0;
  bool converged = false;
};

/// Operands of one plan GEMM: Y[m x n] = X[m x k] W[n x k]^T, per product of the batch.
struct GemmOperands {
  Gemm gemm;
  DeviceBuffer x, w, y;
  std::unique_ptr<LtMatmul> matmul;
};

/// Operands of one attention call, sized for `chunk` of its `units` (sequence, key/value head)
/// pairs; a call runs every chunk in turn through the same buffers.
struct AttentionOperands {
  Attention attention;
  std::int64_t units = 0;
  std::int64_t chunk = 0;
  std::int64_t mq = 0;  ///< Query rows per unit: heads per key/value head x q_len.
  DeviceBuffer q, k, v, s, o;
  std::unique_ptr<LtMatmul> qk, pv;
  SoftmaxShape softmax;
};

class CudaExecutor {
 public:
  // Every resource is a member that owns it (Stream, LtHandle, DeviceBuffer, EventTimer), so a
  // constructor that throws half-way releases what it had made.
  CudaExecutor(int index, const MeasureOptions& options) : options_(options) {
    info_.index = index;
    LMMBENCH_CUDA(cudaSetDevice(index));
    cudaDeviceProp props{};
    LMMBENCH_CUDA(cudaGetDeviceProperties(&props, index));
    info_.name = props.name;
    info_.compute_capability_major = props.major;
    info_.compute_capability_minor = props.minor;
    info_.sm_count = props.multiProcessorCount;
    info_.memory_bytes = static_cast<std::int64_t>(props.totalGlobalMem);
    info_.l2_bytes = props.l2CacheSize;
    info_.memory_bus_bits = props.memoryBusWidth;
    int khz = 0;
    LMMBENCH_CUDA(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, index));
    info_.sm_clock_mhz = khz / 1000;
    LMMBENCH_CUDA(cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, index));
    info_.memory_clock_mhz = khz / 1000;
    int version = 0;
    LMMBENCH_CUDA(cudaDriverGetVersion(&version));
    info_.driver_version = cuda_version(version);
    LMMBENCH_CUDA(cudaRuntimeGetVersion(&version));
    info_.cuda_runtime_version = cuda_version(version);
    const std::size_t lt = cublasLtGetVersion();
    info_.cublaslt_version = fmt::format("{}.{}.{}", lt / 10000, (lt / 100) % 100, lt % 100);

    stream_owner_ = make_stream();
    stream_ = stream_owner_.get();
    timer_ = std::make_unique<EventTimer>();  // events belong to the device set above
    lt_owner_ = make_lt_handle();
    lt_ = lt_owner_.get();
    workspace_ = DeviceBuffer(options_.workspace_bytes);
    if (info_.l2_bytes > 0) {
      l2_flush_ = DeviceBuffer(kFlushL2Multiple * static_cast<std::size_t>(info_.l2_bytes));
      LMMBENCH_CUDA(cudaMemsetAsync(l2_flush_.get(), 0, l2_flush_.bytes(), stream_));
      flush_sink_ = DeviceBuffer(sizeof(unsigned));
      LMMBENCH_CUDA(cudaStreamSynchronize(stream_));
    }
    spin_cycles_ = static_cast<long long>(kSpinSeconds * info_.sm_clock_mhz * 1e6);
  }

  CudaExecutor(const CudaExecutor&) = delete;
  CudaExecutor& operator=(const CudaExecutor&) = delete;

  [[nodiscard]] const DeviceInfo& device() const { return info_; }

  /// Measures every op of `stage` (timings behind a read-only L2 flush when `cold`) and, when
  /// `sequence` is not null, its L-layer sequence as one CUDA graph into *sequence.
  StageMeasurement measure(const Stage& stage, DType dtype, bool cold,
                           SequenceMeasurement* sequence) {
    StageMeasurement m;
    m.stage = stage.name;
    m.cold_l2 = cold;
    // The sequence reuses the verified operands and chosen algorithms of every op.
    std::vector<std::shared_ptr<GemmOperands>> gemms;
    std::vector<std::shared_ptr<AttentionOperands>> attention;
    for (const auto& g : stage.gemms) {
      auto ops = prepare(g, dtype);
      m.ops.push_back(measure_gemm(stage.name, *ops, dtype, cold));
      m.seconds += static_cast<double>(g.count) * m.ops.back().seconds;
      if (sequence != nullptr) gemms.push_back(std::move(ops));
    }
    for (const auto& a : stage.attention) {
      auto ops = prepare(a, dtype);
      m.ops.push_back(measure_attention(stage.name, *ops, dtype, cold));
      m.seconds += static_cast<double>(a.count) * m.ops.back().seconds;
      if (sequence != nullptr) attention.push_back(std::move(ops));
    }
    if (sequence != nullptr) {
      *sequence = measure_sequence(stage, dtype, cold, gemms, attention);
      m.sequence = *sequence;
    }
    return m;
  }

  std::function<double()> prepare_gemm(const Gemm& gemm, DType dtype) {
    std::shared_ptr<GemmOperands> ops = prepare(gemm, dtype);
    const bool cold = options_.l2 == L2Policy::cold;
    pick_fastest(*ops->matmul, ops->w.get(), ops->x.get(), ops->y.get(), cold);
    verify_gemm("benchmark", *ops, dtype);
    return [this, ops, cold] {
      return time_once(
          [&] {
            ops->matmul->run(ops->w.get(), ops->x.get(), ops->y.get(), workspace_.get(), stream_);
          },
          cold);
    };
  }

 private:
  void require_memory(double bytes, const std::string& what) {
    std::size_t free = 0;
    std::size_t total = 0;
    LMMBENCH_CUDA(cudaMemGetInfo(&free, &total));
    if (bytes > 0.95 * static_cast<double>(free)) {
      throw Error(fmt::format(
          "{} needs {:.2f} GiB of device memory; {:.2f} GiB of {:.2f} GiB "
          "are free",
          what, gib(bytes), gib(static_cast<double>(free)), gib(static_cast<double>(total))));
    }
  }

  DeviceBuffer random_buffer(std::int64_t elements, DType dtype, float scale) {
    DeviceBuffer b(static_cast<std::size_t>(elements * element_bytes(dtype)));
    fill_uniform(b.get(), elements, dtype, ++seed_, scale, stream_);
    return b;
  }

  /// Evicts L2 by reading the flush buffer (read_l2_flush_kernel), outside the timed events.
  void flush_l2() {
    if (l2_flush_.bytes() == 0) return;
    const std::size_t words = l2_flush_.bytes() / sizeof(uint4);
    read_l2_flush_kernel<<<4 * std::max(info_.sm_count, 1), 256, 0, stream_>>>(
        static_cast<const uint4*>(l2_flush_.get()), words,
        static_cast<unsigned*>(flush_sink_.get()));
    LMMBENCH_CUDA(cudaGetLastError());
  }

  /// GPU seconds of `enqueue`'s work, bracketed by events behind the spin kernel; with `cold`,
  /// L2 is evicted first.
  double time_once(const std::function<void()>& enqueue, bool cold) {
    if (cold) flush_l2();
    spin_kernel<<<1, 1, 0, stream_>>>(spin_cycles_);
    LMMBENCH_CUDA(cudaGetLastError());
    timer_->start(stream_);
    enqueue();
    timer_->stop(stream_);
    return timer_->seconds();
  }

  Samples sample(const std::function<void()>& enqueue, bool cold) {
    for (int i = 0; i < options_.warmup_runs; ++i)
      enqueue();
    LMMBENCH_CUDA(cudaStreamSynchronize(stream_));
    std::vector<double> xs;
    Samples s;
    const auto started = std::chrono::steady_clock::now();
    while (true) {
      xs.push_back(time_once(enqueue, cold));
      const int n = static_cast<int>(xs.size());
      if (n >= options_.min_runs && relative_spread(xs) <= options_.max_relative_spread) {
        s.converged = true;
        break;
      }
      if (n >= options_.max_runs) break;
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      if (n >= 3 && elapsed.count() > options_.max_seconds_per_op) break;
    }
    s.median = median(xs);
    s.relative_spread = relative_spread(xs);
    s.runs = static_cast<int>(xs.size());
    return s;
  }

  /// Times every heuristic candidate (a few runs each, median) and selects the fastest.
  int pick_fastest(LtMatmul& mm, const void* a, const void* b, void* d, bool cold) {
    constexpr int kRuns = 5;
    double best = INFINITY;
    int best_index = -1;
    for (int i = 0; i < mm.candidates(); ++i) {
      if (mm.try_run(i, a, b, d, workspace_.get(), stream_) != CUBLAS_STATUS_SUCCESS) continue;
      std::vector<double> xs;
      for (int r = 0; r < kRuns; ++r) {
        xs.push_back(time_once(
            [&] {
              if (mm.try_run(i, a, b, d, workspace_.get(), stream_) != CUBLAS_STATUS_SUCCESS) {
                throw Error("cuBLASLt candidate " + std::to_string(i) +
                            " failed after running once");
              }
            },
            cold));
      }
      const double t = median(xs);
      if (t < best) {
        best = t;
        best_index = i;
      }
    }
    if (best_index < 0) {
      throw Error("no cuBLASLt candidate could run " + mm.shape().describe());
    }
    mm.select(best_index);
    return mm.candidates();
  }

  std::shared_ptr<GemmOperands> prepare(const Gemm& g, DType dtype) {
    const double e = static_cast<double>(element_bytes(dtype));
    const double b = static_cast<double>(g.batch);
    require_memory(e * b *
                       (static_cast<double>(g.m) * static_cast<double>(g.k) +
                        static_cast<double>(g.k) * static_cast<double>(g.n) +
                        static_cast<double>(g.m) * static_cast<double>(g.n)),
                   fmt::format("GEMM {} ({}x{}x{})", g.name, g.m, g.n, g.k));
    auto ops = std::make_shared<GemmOperands>();
    ops->gemm = g;
    // Activations uniform in [-1, 1), weights scaled by 1/sqrt(k) so outputs stay near unit size.
    ops->x = random_buffer(g.m * g.k * g.batch, dtype, 1.0f);
    ops->w = random_buffer(g.n * g.k * g.batch, dtype, 1.0f / std::sqrt(static_cast<float>(g.k)));
    ops->y = DeviceBuffer(static_cast<std::size_t>(g.m * g.n * g.batch * element_bytes(dtype)));
    // Row-major Y = X W^T is column-major Y^T = W X^T: cuBLASLt's A is W (transposed), B is X.
    MatmulShape shape;
    shape.transpose_a = true;
    shape.transpose_b = false;
    shape.m = g.n;
    shape.n = g.m;
    shape.k = g.k;
    shape.lda = g.k;
    shape.ldb = g.k;
    shape.ldd = g.n;
    shape.batch = g.batch;
    shape.stride_a = g.n * g.k;
    shape.stride_b = g.m * g.k;
    shape.stride_d = g.m * g.n;
    ops->matmul =
        std::make_unique<LtMatmul>(lt_, shape, dtype, options_.workspace_bytes, options_.algorithms,
                                   options_.reduced_precision_reduction);
    return ops;
  }

  CheckResult verify_gemm(const std::string& stage, GemmOperands& ops, DType dtype) {
    ops.matmul->run(ops.w.get(), ops.x.get(), ops.y.get(), workspace_.get(), stream_);
    const Gemm& g = ops.gemm;
    DeviceLinear op;
    op.x = ops.x.get();
    op.w = ops.w.get();
    op.y = ops.y.get();
    op.m = g.m;
    op.n = g.n;
    op.k = g.k;
    op.batch = g.batch;
    op.stride_x = g.m * g.k;
    op.stride_w = g.n * g.k;
    op.stride_y = g.m * g.n;
    const CheckResult check = check_linear(op, dtype, options_.verify_rows, stream_);
    if (!check.passed()) {
      throw VerificationError(fmt::format(
          "{}/{} ({}x{}x{}, {}): cuBLASLt's result differs from the host reference in product {} "
          "of {}: error {:.3g} > tolerance {:.3g}",
          stage, g.name, g.m, g.n, g.k, to_string(dtype), check.failed_product, g.batch,
          check.max_error, check.tolerance));
    }
    return check;
  }

  OpMeasurement measure_gemm(const std::string& stage, GemmOperands& ops, DType dtype, bool cold) {
    OpMeasurement m;
    m.name = ops.gemm.name;
    m.kind = "gemm";
    m.algorithms_tried = pick_fastest(*ops.matmul, ops.w.get(), ops.x.get(), ops.y.get(), cold);
    const CheckResult check = verify_gemm(stage, ops, dtype);
    m.max_error = check.max_error;
    m.tolerance = check.tolerance;
    const Samples s = sample(
        [&] { ops.matmul->run(ops.w.get(), ops.x.get(), ops.y.get(), workspace_.get(), stream_); },
        cold);
    m.seconds = s.median;
    m.relative_spread = s.relative_spread;
    m.runs = s.runs;
    m.converged = s.converged;
    return m;
  }

  std::shared_ptr<AttentionOperands> prepare(const Attention& a, DType dtype) {
    auto ops = std::make_shared<AttentionOperands>();
    ops->attention = a;
    const std::int64_t group = a.heads / a.kv_heads;
    ops->units = a.sequences * a.kv_heads;
    ops->mq = group * a.q_len;
    const std::int64_t kv = a.kv_len;
    const std::int64_t hd = a.head_dim;
    const double per_unit =
        static_cast<double>(element_bytes(dtype)) *
        (2.0 * static_cast<double>(ops->mq * hd) + 2.0 * static_cast<double>(kv * hd) +
         static_cast<double>(ops->mq) * static_cast<double>(kv));
    std::size_t free = 0;
    std::size_t total = 0;
    LMMBENCH_CUDA(cudaMemGetInfo(&free, &total));
    const auto fit = static_cast<std::int64_t>(0.6 * static_cast<double>(free) / per_unit);
    if (fit < 1) {
      throw Error(fmt::format("attention {}: one sequence-head needs {:.2f} GiB; {:.2f} GiB free",
                              a.name, gib(per_unit), gib(static_cast<double>(free))));
    }
    // The largest divisor of `units` that fits, so every chunk has the same shape.
    std::int64_t chunk = std::min(ops->units, fit);
    while (ops->units % chunk != 0)
      --chunk;
    ops->chunk = chunk;
    ops->q = random_buffer(chunk * ops->mq * hd, dtype, 1.0f);
    ops->k = random_buffer(chunk * kv * hd, dtype, 1.0f);
    ops->v = random_buffer(chunk * kv * hd, dtype, 1.0f);
    ops->s = DeviceBuffer(static_cast<std::size_t>(chunk * ops->mq * kv * element_bytes(dtype)));
    ops->o = DeviceBuffer(static_cast<std::size_t>(chunk * ops->mq * hd * element_bytes(dtype)));

    // S[mq x kv] = Q K^T / sqrt(hd): column-major S^T = K Q^T (A = K transposed, B = Q).
    MatmulShape qk;
    qk.transpose_a = true;
    qk.m = kv;
    qk.n = ops->mq;
    qk.k = hd;
    qk.lda = hd;
    qk.ldb = hd;
    qk.ldd = kv;
    qk.batch = chunk;
    qk.stride_a = kv * hd;
    qk.stride_b = ops->mq * hd;
    qk.stride_d = ops->mq * kv;
    qk.alpha = 1.0f / std::sqrt(static_cast<float>(hd));
    ops->qk = std::make_unique<LtMatmul>(lt_, qk, dtype, options_.workspace_bytes,
                                         options_.algorithms, options_.reduced_precision_reduction);
    // O[mq x hd] = P V: column-major O^T = V^T P^T (A = V, B = P, neither transposed).
    MatmulShape pv;
    pv.m = hd;
    pv.n = ops->mq;
    pv.k = kv;
    pv.lda = hd;
    pv.ldb = kv;
    pv.ldd = hd;
    pv.batch = chunk;
    pv.stride_a = kv * hd;
    pv.stride_b = ops->mq * kv;
    pv.stride_d = ops->mq * hd;
    ops->pv = std::make_unique<LtMatmul>(lt_, pv, dtype, options_.workspace_bytes,
                                         options_.algorithms, options_.reduced_precision_reduction);
    ops->softmax.rows = chunk * ops->mq;
    ops->softmax.q_len = a.q_len;
    ops->softmax.kv_len = kv;
    ops->softmax.causal = a.causal;
    ops->softmax.window = a.window.value_or(0);
    return ops;
  }

  /// Enqueues one attention call: every chunk through the same buffers, with keys and values at
  /// `k` and `v` (the operands' own, or another layer's copies in a sequence).
  void run_attention(const AttentionOperands& ops, DType dtype, const void* k, const void* v) {
    for (std::int64_t done = 0; done < ops.units; done += ops.chunk) {
      ops.qk->run(k, ops.q.get(), ops.s.get(), workspace_.get(), stream_);
      masked_softmax_rows(ops.s.get(), ops.softmax, dtype, stream_);
      ops.pv->run(v, ops.s.get(), ops.o.get(), workspace_.get(), stream_);
    }
  }

  void run_attention(const AttentionOperands& ops, DType dtype) {
    run_attention(ops, dtype, ops.k.get(), ops.v.get());
  }

  /// Keys [lo, hi] that softmax row `row` keeps (the kernel's rule).
  static std::pair<std::int64_t, std::int64_t> kept_keys(const SoftmaxShape& s, std::int64_t row) {
    const std::int64_t position = s.kv_len - s.q_len + row % s.q_len;
    const std::int64_t hi = s.causal ? position : s.kv_len - 1;
    const std::int64_t first = position - s.window + 1;
    const std::int64_t lo = s.window > 0 && first > 0 ? first : 0;
    return {lo, hi};
  }

  CheckResult verify_attention(const std::string& stage, const AttentionOperands& ops,
                               DType dtype) {
    const Attention& a = ops.attention;
    const std::int64_t kv = a.kv_len;
    const std::int64_t hd = a.head_dim;
    auto fail = [&](const char* part, const CheckResult& c) {
      throw VerificationError(fmt::format(
          "{}/{} {} ({} queries x {} keys, head dim {}, {}): result differs from the host "
          "reference in sequence-head {} of {}: error {:.3g} > tolerance {:.3g}",
          stage, a.name, part, ops.mq, kv, hd, to_string(dtype),
          std::max<std::int64_t>(c.failed_product, 0), ops.chunk, c.max_error, c.tolerance));
    };
    CheckResult worst;
    auto keep = [&](const CheckResult& c) {
      worst.max_error = std::max(worst.max_error, c.max_error);
      worst.tolerance = c.tolerance;
    };
    ops.qk->run(ops.k.get(), ops.q.get(), ops.s.get(), workspace_.get(), stream_);
    // Every (sequence, KV head) product of the chunk is checked, on a slice.
    DeviceLinear qk;
    qk.x = ops.q.get();
    qk.w = ops.k.get();
    qk.y = ops.s.get();
    qk.m = ops.mq;
    qk.n = kv;
    qk.k = hd;
    qk.alpha = ops.qk->shape().alpha;
    qk.batch = ops.chunk;
    qk.stride_x = ops.mq * hd;
    qk.stride_w = kv * hd;
    qk.stride_y = ops.mq * kv;
    const CheckResult scores = check_linear(qk, dtype, options_.verify_rows, stream_);
    if (!scores.passed()) fail("Q K^T", scores);
    keep(scores);
    const std::size_t e = static_cast<std::size_t>(element_bytes(dtype));
    const std::int64_t rows[] = {0, ops.mq - 1};
    std::vector<std::vector<float>> before;
    for (const std::int64_t r : rows) {
      before.push_back(
          copy_block(static_cast<const char*>(ops.s.get()) + static_cast<std::size_t>(r * kv) * e,
                     kv, 1, kv, dtype, stream_));
    }
    masked_softmax_rows(ops.s.get(), ops.softmax, dtype, stream_);
    for (std::size_t i = 0; i < 2; ++i) {
      const auto after = copy_block(
          static_cast<const char*>(ops.s.get()) + static_cast<std::size_t>(rows[i] * kv) * e, kv, 1,
          kv, dtype, stream_);
      const auto [lo, hi] = kept_keys(ops.softmax, rows[i]);
      const CheckResult probabilities = check_softmax_row(before[i], after, lo, hi, dtype);
      if (!probabilities.passed()) fail("softmax", probabilities);
      keep(probabilities);
    }
    ops.pv->run(ops.v.get(), ops.s.get(), ops.o.get(), workspace_.get(), stream_);
    DeviceLinear pv;
    pv.x = ops.s.get();
    pv.w = ops.v.get();
    pv.y = ops.o.get();
    pv.m = ops.mq;
    pv.n = hd;
    pv.k = kv;
    pv.w_is_k_by_n = true;
    pv.batch = ops.chunk;
    pv.stride_x = ops.mq * kv;
    pv.stride_w = kv * hd;
    pv.stride_y = ops.mq * hd;
    const CheckResult output = check_linear(pv, dtype, options_.verify_rows, stream_);
    if (!output.passed()) fail("P V", output);
    keep(output);
    return worst;
  }

  OpMeasurement measure_attention(const std::string& stage, const AttentionOperands& ops,
                                  DType dtype, bool cold) {
    OpMeasurement m;
    m.name = ops.attention.name;
    m.kind = "attention";
    m.algorithms_tried = pick_fastest(*ops.qk, ops.k.get(), ops.q.get(), ops.s.get(), cold);
    m.algorithms_tried += pick_fastest(*ops.pv, ops.v.get(), ops.s.get(), ops.o.get(), cold);
    const CheckResult check = verify_attention(stage, ops, dtype);
    m.max_error = check.max_error;
    m.tolerance = check.tolerance;
    const Samples s = sample([&] { run_attention(ops, dtype); }, cold);
    m.seconds = s.median;
    m.relative_spread = s.relative_spread;
    m.runs = s.runs;
    m.converged = s.converged;
    return m;
  }

  /// The stage's L-layer sequence as one CUDA graph: layer l runs every op whose count exceeds
  /// l (the stage's GEMMs, then its attention), layer l with weight set l mod `sets`. Set 0 is
  /// the verified operands; the others are random copies of the weights (and of the KV cache),
  /// enough that the sets together exceed twice the L2 size, so no layer finds its weights in L2.
  SequenceMeasurement measure_sequence(const Stage& stage, DType dtype, bool cold,
                                       const std::vector<std::shared_ptr<GemmOperands>>& gemms,
                                       const std::vector<std::shared_ptr<AttentionOperands>>& att) {
    const std::int64_t layers = stage_layers(stage);
    double per_set = 0;
    for (const auto& g : gemms)
      per_set += static_cast<double>(g->w.bytes());
    for (const auto& a : att)
      per_set += static_cast<double>(a->k.bytes() + a->v.bytes());
    const double l2 = static_cast<double>(info_.l2_bytes);
    const auto wanted = static_cast<std::int64_t>(std::ceil(2.0 * l2 / std::max(per_set, 1.0))) + 1;
    const std::int64_t sets =
        std::max<std::int64_t>(1, std::min(layers, std::max<std::int64_t>(wanted, 2)));
    require_memory(
        static_cast<double>(sets - 1) * per_set,
        fmt::format("the {}-layer sequence of {} ({} weight sets)", layers, stage.name, sets));
    struct Copies {
      std::vector<DeviceBuffer> w, k, v;
    };
    std::vector<Copies> copies(static_cast<std::size_t>(sets - 1));
    for (auto& c : copies) {
      for (const auto& g : gemms) {
        const Gemm& x = g->gemm;
        c.w.push_back(
            random_buffer(x.n * x.k * x.batch, dtype, 1.0f / std::sqrt(static_cast<float>(x.k))));
      }
      for (const auto& a : att) {
        const std::int64_t elements = a->chunk * a->attention.kv_len * a->attention.head_dim;
        c.k.push_back(random_buffer(elements, dtype, 1.0f));
        c.v.push_back(random_buffer(elements, dtype, 1.0f));
      }
    }
    const auto pick = [&](std::int64_t set, const DeviceBuffer& own,
                          const std::vector<DeviceBuffer> Copies::*field, std::size_t i) {
      return set == 0 ? own.get() : (copies[static_cast<std::size_t>(set - 1)].*field)[i].get();
    };

    LMMBENCH_CUDA(cudaStreamSynchronize(stream_));
    cudaGraph_t raw_graph = nullptr;
    LMMBENCH_CUDA(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    try {
      for (std::int64_t l = 0; l < layers; ++l) {
        const std::int64_t set = l % sets;
        for (std::size_t i = 0; i < gemms.size(); ++i) {
          const GemmOperands& g = *gemms[i];
          if (l >= g.gemm.count) continue;
          g.matmul->run(pick(set, g.w, &Copies::w, i), g.x.get(), g.y.get(), workspace_.get(),
                        stream_);
        }
        for (std::size_t i = 0; i < att.size(); ++i) {
          const AttentionOperands& a = *att[i];
          if (l >= a.attention.count) continue;
          run_attention(a, dtype, pick(set, a.k, &Copies::k, i), pick(set, a.v, &Copies::v, i));
        }
      }
    } catch (...) {
      cudaStreamEndCapture(stream_, &raw_graph);
      if (raw_graph != nullptr) cudaGraphDestroy(raw_graph);
      throw;
    }
    LMMBENCH_CUDA(cudaStreamEndCapture(stream_, &raw_graph));
    const Graph graph(raw_graph);
    cudaGraphExec_t raw_exec = nullptr;
    LMMBENCH_CUDA(cudaGraphInstantiate(&raw_exec, graph.get(), 0));
    const GraphExec exec(raw_exec);

    const Samples s = sample([&] { LMMBENCH_CUDA(cudaGraphLaunch(exec.get(), stream_)); }, cold);
    SequenceMeasurement q;
    q.seconds = s.median;
    q.relative_spread = s.relative_spread;
    q.runs = s.runs;
    q.converged = s.converged;
    q.layers = static_cast<int>(layers);
    q.weight_sets = static_cast<int>(sets);
    return q;
  }

  MeasureOptions options_;
  DeviceInfo info_;
  Stream stream_owner_;
  cudaStream_t stream_ = nullptr;  ///< stream_owner_'s stream.
  std::unique_ptr<EventTimer> timer_;
  LtHandle lt_owner_;
  cublasLtHandle_t lt_ = nullptr;  ///< lt_owner_'s handle.
  DeviceBuffer workspace_;
  DeviceBuffer l2_flush_;
  DeviceBuffer flush_sink_;
  long long spin_cycles_ = 0;
  std::uint64_t seed_ = 0x6c6d6d62656e6368ULL;  // "lmmbench"
};

/// Why no executor can be opened on `device_index`, or nullopt when one can.
std::optional<std::string> unavailable(int device_index) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the status of this failed call
    return fmt::format("no usable CUDA device: cudaGetDeviceCount: {}: {}",
                       cudaGetErrorName(status), cudaGetErrorString(status));
  }
  if (count == 0) return "no CUDA device found (cudaGetDeviceCount returned 0)";
  if (device_index < 0 || device_index >= count) {
    return fmt::format("CUDA device {} was asked for but {} device(s) exist", device_index, count);
  }
  return std::nullopt;
}

void copy_text(std::string_view text, char* out, std::size_t size) {
  if (out == nullptr || size == 0) return;
  const std::size_t n = std::min(text.size(), size - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

/// Runs `body`, turning every exception into a status and its text: none leaves the module.
template <typename Body>
lmmbench_cuda_status guarded(char* error, std::size_t error_size, Body&& body) {
  try {
    body();
    return LMMBENCH_CUDA_OK;
  } catch (const VerificationError& e) {
    copy_text(e.what(), error, error_size);
    return LMMBENCH_CUDA_VERIFICATION_FAILED;
  } catch (const std::exception& e) {
    copy_text(e.what(), error, error_size);
    return LMMBENCH_CUDA_ERROR;
  } catch (...) {
    copy_text("unknown exception in the CUDA module", error, error_size);
    return LMMBENCH_CUDA_ERROR;
  }
}

DType dtype_of(lmmbench_cuda_dtype dtype) {
  return dtype == LMMBENCH_CUDA_BF16 ? DType::bf16 : DType::f16;
}

bool valid(lmmbench_cuda_dtype dtype) {
  return dtype == LMMBENCH_CUDA_F16 || dtype == LMMBENCH_CUDA_BF16;
}

Gemm gemm_of(const lmmbench_cuda_gemm_shape& g) {
  return Gemm{g.name != nullptr ? g.name : "", g.m, g.n, g.k, g.batch, g.count};
}

}  // namespace
}  // namespace cuda
}  // namespace lmmbench::gpu

// Short names for the C functions below, which live outside any namespace.
namespace gpu = lmmbench::gpu;
namespace impl = lmmbench::gpu::cuda;

struct lmmbench_cuda_executor {
  std::unique_ptr<impl::CudaExecutor> object;
};

struct lmmbench_cuda_gemm {
  std::function<double()> run;
};

#define LMMBENCH_CUDA_EXPORT extern "C" __attribute__((visibility("default")))

LMMBENCH_CUDA_EXPORT uint32_t lmmbench_cuda_api_version(void) {
  return LMMBENCH_CUDA_API_VERSION;
}

LMMBENCH_CUDA_EXPORT lmmbench_cuda_status
lmmbench_cuda_open(int32_t device_index, const lmmbench_cuda_measure_options* options,
                   lmmbench_cuda_executor** executor, char* error, size_t error_size) {
  if (options == nullptr || executor == nullptr) {
    impl::copy_text("lmmbench_cuda_open: null argument", error, error_size);
    return LMMBENCH_CUDA_INVALID_ARGUMENT;
  }
  *executor = nullptr;
  if (const auto why = impl::unavailable(device_index)) {
    impl::copy_text(*why, error, error_size);
    return LMMBENCH_CUDA_UNAVAILABLE;
  }
  gpu::MeasureOptions o;
  o.warmup_runs = options->warmup_runs;
  o.min_runs = options->min_runs;
  o.max_runs = options->max_runs;
  o.max_relative_spread = options->max_relative_spread;
  o.max_seconds_per_op = options->max_seconds_per_op;
  o.l2 = options->flush_l2 != 0 ? gpu::L2Policy::cold : gpu::L2Policy::cold_decode;
  o.reduced_precision_reduction = options->reduced_precision_reduction != 0;
  o.algorithms = options->algorithms;
  o.workspace_bytes = static_cast<std::size_t>(options->workspace_bytes);
  o.verify_rows = options->verify_rows;
  return impl::guarded(error, error_size, [&] {
    auto handle = std::make_unique<lmmbench_cuda_executor>();
    handle->object = std::make_unique<impl::CudaExecutor>(device_index, o);
    *executor = handle.release();
  });
}

LMMBENCH_CUDA_EXPORT void lmmbench_cuda_close(lmmbench_cuda_executor* executor) {
  delete executor;
}

LMMBENCH_CUDA_EXPORT lmmbench_cuda_status
lmmbench_cuda_device(const lmmbench_cuda_executor* executor, lmmbench_cuda_device_info* info) {
  if (executor == nullptr || info == nullptr) return LMMBENCH_CUDA_INVALID_ARGUMENT;
  const gpu::DeviceInfo& d = executor->object->device();
  *info = lmmbench_cuda_device_info{};
  info->index = d.index;
  impl::copy_text(d.name, info->name, sizeof info->name);
  info->compute_capability_major = d.compute_capability_major;
  info->compute_capability_minor = d.compute_capability_minor;
  info->sm_count = d.sm_count;
  info->memory_bytes = d.memory_bytes;
  info->l2_bytes = d.l2_bytes;
  info->sm_clock_mhz = d.sm_clock_mhz;
  info->memory_clock_mhz = d.memory_clock_mhz;
  info->memory_bus_bits = d.memory_bus_bits;
  impl::copy_text(d.driver_version, info->driver_version, sizeof info->driver_version);
  impl::copy_text(d.cuda_runtime_version, info->cuda_runtime_version,
                  sizeof info->cuda_runtime_version);
  impl::copy_text(d.cublaslt_version, info->cublaslt_version, sizeof info->cublaslt_version);
  return LMMBENCH_CUDA_OK;
}

LMMBENCH_CUDA_EXPORT lmmbench_cuda_status lmmbench_cuda_measure(
    lmmbench_cuda_executor* executor, const lmmbench_cuda_stage* stage, lmmbench_cuda_dtype dtype,
    lmmbench_cuda_op_measurement* ops, size_t op_capacity,
    lmmbench_cuda_sequence_measurement* sequence, char* error, size_t error_size) {
  if (executor == nullptr || stage == nullptr || !impl::valid(dtype) ||
      (stage->time_sequence != 0 && sequence == nullptr) ||
      (stage->gemm_count > 0 && stage->gemms == nullptr) ||
      (stage->attention_count > 0 && stage->attention == nullptr) ||
      (ops == nullptr && op_capacity > 0) ||
      op_capacity < stage->gemm_count + stage->attention_count) {
    impl::copy_text("lmmbench_cuda_measure: invalid argument", error, error_size);
    return LMMBENCH_CUDA_INVALID_ARGUMENT;
  }
  return impl::guarded(error, error_size, [&] {
    gpu::Stage s;
    s.name = stage->name != nullptr ? stage->name : "";
    for (std::size_t i = 0; i < stage->gemm_count; ++i)
      s.gemms.push_back(impl::gemm_of(stage->gemms[i]));
    for (std::size_t i = 0; i < stage->attention_count; ++i) {
      const lmmbench_cuda_attention_shape& a = stage->attention[i];
      gpu::Attention x;
      x.name = a.name != nullptr ? a.name : "";
      x.sequences = a.sequences;
      x.heads = a.heads;
      x.kv_heads = a.kv_heads;
      x.head_dim = a.head_dim;
      x.q_len = a.q_len;
      x.kv_len = a.kv_len;
      x.causal = a.causal != 0;
      if (a.window > 0) x.window = a.window;
      x.count = a.count;
      s.attention.push_back(std::move(x));
    }
    gpu::SequenceMeasurement q;
    const gpu::StageMeasurement m = executor->object->measure(
        s, impl::dtype_of(dtype), stage->cold_l2 != 0, stage->time_sequence != 0 ? &q : nullptr);
    if (stage->time_sequence != 0) {
      *sequence = lmmbench_cuda_sequence_measurement{
          q.seconds, q.relative_spread, q.runs, q.converged ? 1 : 0, q.layers, q.weight_sets};
    }
    for (std::size_t i = 0; i < m.ops.size(); ++i) {
      const gpu::OpMeasurement& op = m.ops[i];
      ops[i] = lmmbench_cuda_op_measurement{op.seconds,           op.relative_spread,  op.runs,
                                            op.converged ? 1 : 0, op.algorithms_tried, op.max_error,
                                            op.tolerance};
    }
  });
}

LMMBENCH_CUDA_EXPORT lmmbench_cuda_status lmmbench_cuda_prepare_gemm(
    lmmbench_cuda_executor* executor, const lmmbench_cuda_gemm_shape* shape,
    lmmbench_cuda_dtype dtype, lmmbench_cuda_gemm** gemm, char* error, size_t error_size) {
  if (executor == nullptr || shape == nullptr || gemm == nullptr || !impl::valid(dtype)) {
    impl::copy_text("lmmbench_cuda_prepare_gemm: invalid argument", error, error_size);
    return LMMBENCH_CUDA_INVALID_ARGUMENT;
  }
  *gemm = nullptr;
  return impl::guarded(error, error_size, [&] {
    auto handle = std::make_unique<lmmbench_cuda_gemm>();
    handle->run = executor->object->prepare_gemm(impl::gemm_of(*shape), impl::dtype_of(dtype));
    *gemm = handle.release();
  });
}

LMMBENCH_CUDA_EXPORT lmmbench_cuda_status lmmbench_cuda_run_gemm(lmmbench_cuda_gemm* gemm,
                                                                 double* seconds, char* error,
                                                                 size_t error_size) {
  if (gemm == nullptr || seconds == nullptr) {
    impl::copy_text("lmmbench_cuda_run_gemm: invalid argument", error, error_size);
    return LMMBENCH_CUDA_INVALID_ARGUMENT;
  }
  return impl::guarded(error, error_size, [&] { *seconds = gemm->run(); });
}

LMMBENCH_CUDA_EXPORT void lmmbench_cuda_release_gemm(lmmbench_cuda_gemm* gemm) {
  delete gemm;
}

// The definitions above have exactly the types the loader calls them through.
static_assert(std::is_same_v<decltype(&lmmbench_cuda_api_version), lmmbench_cuda_api_version_fn>);
static_assert(std::is_same_v<decltype(&lmmbench_cuda_open), lmmbench_cuda_open_fn>);
static_assert(std::is_same_v<decltype(&lmmbench_cuda_close), lmmbench_cuda_close_fn>);
static_assert(std::is_same_v<decltype(&lmmbench_cuda_device), lmmbench_cuda_device_fn>);
static_assert(std::is_same_v<decltype(&lmmbench_cuda_measure), lmmbench_cuda_measure_fn>);
static_assert(std::is_same_v<decltype(&lmmbench_cuda_prepare_gemm), lmmbench_cuda_prepare_gemm_fn>);
static_assert(std::is_same_v<decltype(&lmmbench_cuda_run_gemm), lmmbench_cuda_run_gemm_fn>);
static_assert(std::is_same_v<decltype(&lmmbench_cuda_release_gemm), lmmbench_cuda_release_gemm_fn>);
