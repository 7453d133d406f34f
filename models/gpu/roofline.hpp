#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/gpu/gpu_table.hpp"
#include "models/gpu/plan.hpp"

namespace lmmbench::gpu {

/// The roofline of one stage on one GPU: it cannot run faster than its FLOPs at the datasheet's
/// dense tensor peak, nor than its minimum bytes at the datasheet's memory bandwidth.
struct StageBound {
  std::string name;
  Phase phase = Phase::prefill;
  double flops = 0;            ///< Model FLOPs of one execution for the whole batch.
  double bytes = 0;            ///< Minimum bytes of one execution.
  double compute_seconds = 0;  ///< flops / peak FLOP/s
  double memory_seconds = 0;   ///< bytes / bandwidth

  /// The bound: max(compute_seconds, memory_seconds).
  [[nodiscard]] double seconds() const;
  [[nodiscard]] bool memory_bound() const { return memory_seconds >= compute_seconds; }
};

/// What a batch achieves on one GPU when each stage takes the given time. The same arithmetic
/// serves roofline bounds and measured stage times. The batch is prefilled together, then
/// decodes output_tokens - 1 steps together (static batching, no overlap of prefill and decode).
struct Throughput {
  double prefill_seconds = 0;           ///< Vision, projector, LM prefill and one LM head.
  double decode_step_seconds = 0;       ///< LM decode step at the mean context and one LM head.
  double request_batch_seconds = 0;     ///< prefill + (output_tokens - 1) x decode step
  double tokens_per_second = 0;         ///< Output tokens: batch x output_tokens / request batch.
  double decode_tokens_per_second = 0;  ///< Steady decoding alone: batch / decode step.
  double requests_per_second = 0;       ///< batch / request batch
  double images_per_second = 0;         ///< batch x images per request / request batch
};

/// Throughput from per-stage seconds (one execution for the whole batch); empty when
/// `stage_seconds` has no time for a stage the totals need.
std::optional<Throughput> throughput(
    const Plan& plan, const std::function<std::optional<double>(const Stage&)>& stage_seconds);

struct Roofline {
  std::vector<StageBound> stages;  ///< In plan order.
  Throughput totals;               ///< Upper bounds (times are lower bounds).
  /// The overlap bound: the request batch's total FLOPs at the peak or its total bytes at the
  /// bandwidth, whichever takes longer, max(sum FLOPs / peak, sum bytes / bandwidth), as if every
  /// memory-bound stage overlapped a compute-bound one (what a continuous-batching server that
  /// mixes prefill with decode steps can approach). prefill_seconds and decode_step_seconds are
  /// that rule over each phase alone; request_batch_seconds over the whole request batch
  /// (prefill and output_tokens - 1 decode steps), which the rates divide. It is never below
  /// `totals`' rates: max(a + b, c + d) <= max(a, c) + max(b, d).
  Throughput overlap;
};

/// The roofline of every stage of `plan` on `gpu`. Throws InputError when the table has no dense
/// peak for the plan's dtype on that GPU.
Roofline roofline(const Plan& plan, const GpuKind& gpu);

/// The largest batch whose weights and KV cache fit in memory_fraction of the GPU's memory, with
/// every sequence holding its final length (prompt + output, capped by a sliding window) of KV
/// cache; 0 when the weights alone do not fit. Activations and workspace live in the remaining
/// 1 - memory_fraction.
std::int64_t max_batch_kv_fit(const Plan& plan, const GpuKind& gpu, double memory_fraction);

/// Cost of serving on `gpu_count` GPUs, each running its own replica at `per_gpu` throughput
/// (core/cost.hpp, the one cost model).
struct Cost {
  double usd_per_day = 0;                          ///< gpu_count x usd_per_gpu_hour x 24
  std::optional<double> usd_per_1m_output_tokens;  ///< usd_per_day / output tokens per day x 1e6
  std::optional<double> usd_per_1k_images;         ///< Empty for text-only requests.
};

Cost cost(double usd_per_gpu_hour, std::int64_t gpu_count, const Throughput& per_gpu,
          std::int64_t images_per_request);

}  // namespace lmmbench::gpu
