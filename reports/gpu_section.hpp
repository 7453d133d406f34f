#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/perf_section.hpp"

namespace lmmbench::reports {

// The GPU section of a run record (run.json "gpu", written by `lmmbench gpu`; `lmmbench gpu
// --json` prints the same object). It holds, per model and batch size, the analytic roofline
// bound of every stage and, where a GPU ran the workload, the measured time next to it.
//
// Conventions for renderers:
//  - Every "bound_*" number is an upper bound on speed (a lower bound on time) from datasheet
//    peaks; every "measured_*" number is a median CUDA-event time from this run, or null when
//    nothing was measured. A null is never to be shown as 0.
//  - Units are in the key: *_ms milliseconds, *_per_s per second, flops (floating-point
//    operations, a multiply and an add count 2), bytes, usd (US dollars), tflops (1e12 FLOP/s).
//  - mfu and mbu are fractions (0..1) of the datasheet's dense tensor peak and memory bandwidth.
//  - Stage times are for one execution of the stage for the whole batch; op times for one call.

/// One GEMM or attention call of a stage.
struct GpuOpResult {
  std::string name;        ///< "qkv", "o_proj", "gate_up", "down", "fc1", "attention", ...
  std::string kind;        ///< "gemm" or "attention"
  std::string shape;       ///< Human-readable: "M=640 N=12288 K=4096" or the attention sizes.
  std::int64_t count = 1;  ///< Calls per stage execution (e.g. one per layer).
  double flops = 0;        ///< Model FLOPs of one call (masked attention pairs not counted).
  double bytes = 0;        ///< Minimum bytes of one call.
  double bound_ms = 0;     ///< max(flops / peak, bytes / bandwidth) for one call.
  std::optional<double> measured_ms;      ///< Median GPU time of one call.
  std::optional<double> achieved_tflops;  ///< flops / measured time / 1e12
  std::optional<double> mfu;              ///< achieved FLOP/s / dense peak
  std::optional<double> mbu;              ///< bytes / measured time / bandwidth
  std::optional<double> relative_spread;  ///< Sample stdev / mean of the timing samples.
  std::optional<int> runs;                ///< Timing samples taken.
  std::optional<bool> converged;          ///< The spread fell under the threshold.
  /// Checked against a host reference before timing: largest error relative to sum |a b| over
  /// the checked slice, and the bound it stayed under.
  std::optional<double> max_error;
  std::optional<double> tolerance;
};

/// One pipeline stage ("vision.patch_embed", "vision.layers", "projector", "lm.prefill",
/// "lm.decode", "lm_head") for the whole batch.
struct GpuStageResult {
  std::string name;
  std::string phase;  ///< "prefill" (once per request batch), "decode" (per step) or "both".
  std::string description;
  double flops = 0;
  double bytes = 0;
  double bound_ms = 0;
  std::string bound_by;  ///< "compute" or "memory": which side of the roofline binds.
  std::optional<double> measured_ms;
  std::optional<double> achieved_tflops;
  std::optional<double> mfu;
  std::optional<double> mbu;
  std::string error;            ///< Why measuring this stage failed; empty otherwise.
  std::optional<bool> cold_l2;  ///< Timed with a cold L2 (null when not measured).
  /// The stage's whole L-layer sequence timed as one CUDA graph (decode stages; null otherwise):
  /// each layer with its own weights, no launch gaps, as a CUDA-graph decode step runs.
  std::optional<double> sequence_ms;
  std::optional<int> sequence_layers;
  std::optional<int> sequence_weight_sets;  ///< Rotating weight copies (together > 2 x L2).
  /// NVML telemetry of the measuring device while this stage was measured (SM clock, power,
  /// throttle reasons); null when nothing was measured or NVML is not available.
  std::optional<PerfGpuTelemetry> telemetry;
  std::vector<GpuOpResult> ops;
};

/// One batch size of one model.
struct GpuBatchResult {
  std::int64_t batch = 1;
  std::int64_t max_batch_kv_fit = 0;     ///< Largest batch whose weights + KV cache fit.
  bool fits_in_memory = true;            ///< batch <= max_batch_kv_fit
  double prefill_flops = 0;              ///< One prefill of the whole batch.
  double prefill_flops_per_request = 0;  ///< prefill_flops / batch
  double decode_bytes_per_step = 0;  ///< One decode step of the whole batch at the mean context.
  double decode_weight_bytes_per_step = 0;  ///< The weight part of it.
  std::vector<GpuStageResult> stages;
  double bound_prefill_ms = 0;
  std::optional<double> measured_prefill_ms;
  double bound_decode_step_ms = 0;
  std::optional<double> measured_decode_step_ms;
  /// Output tokens per second per GPU including prefill (batch x output tokens / (prefill +
  /// (output tokens - 1) x decode step)).
  double bound_tokens_per_s = 0;
  std::optional<double> measured_tokens_per_s;
  double bound_decode_tokens_per_s = 0;  ///< batch / decode step (steady decoding alone).
  std::optional<double> measured_decode_tokens_per_s;
  double bound_requests_per_s = 0;
  std::optional<double> measured_requests_per_s;
  double bound_images_per_s = 0;
  std::optional<double> measured_images_per_s;
  /// The overlap bound (models/gpu/roofline.hpp Roofline::overlap): the request batch's total
  /// FLOPs at the peak or total bytes at the bandwidth, whichever is longer, as if memory-bound
  /// and compute-bound work overlapped (continuous batching). Never below the bound_* rates,
  /// which assume static batching; a server can beat bound_* but not these. Null in records
  /// written before the overlap bound existed (left out of the JSON then).
  std::optional<double> overlap_bound_tokens_per_s;
  std::optional<double> overlap_bound_requests_per_s;
  std::optional<double> overlap_bound_images_per_s;
  // Cost on gpu_count GPUs (each one replica); null without a price.
  std::optional<double> usd_per_day;
  std::optional<double> usd_per_1m_output_tokens;          ///< At the bound.
  std::optional<double> overlap_usd_per_1m_output_tokens;  ///< At the overlap bound: the least.
  std::optional<double> measured_usd_per_1m_output_tokens;
  std::optional<double> usd_per_1k_images;  ///< At the bound; null for text-only requests.
  std::optional<double> measured_usd_per_1k_images;
};

struct GpuModelResult {
  std::string model;        ///< Name asked for.
  std::string spec_source;  ///< The config.json read.
  std::string model_type;   ///< "llava", "qwen2_vl"
  std::string vision;       ///< One-line summary of the vision tower.
  std::string projector;    ///< One-line summary of the projector.
  std::string language;     ///< One-line summary of the language model.
  std::int64_t images_per_request = 0;
  std::int64_t image_height = 0;  ///< Before the model's processor.
  std::int64_t image_width = 0;
  std::int64_t image_tokens = 0;   ///< Tokens one image adds to the prompt.
  std::int64_t text_tokens = 0;    ///< Text tokens of the prompt.
  std::int64_t prompt_tokens = 0;  ///< text + images x image tokens
  std::int64_t output_tokens = 0;
  std::int64_t decode_context = 0;  ///< Context of the decode stage (the steps' mean).
  double weight_bytes = 0;          ///< Weights held on the GPU.
  double kv_bytes_per_token = 0;    ///< Per sequence.
  std::vector<GpuBatchResult> batches;
};

/// The device that ran the measurements.
struct GpuDevice {
  std::string name;
  std::string compute_capability;  ///< "9.0"
  int sm_count = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t l2_bytes = 0;
  int sm_clock_mhz = 0;
  int memory_clock_mhz = 0;
  int memory_bus_bits = 0;
  std::string driver_version;
  std::string cuda_runtime_version;
  std::string cublaslt_version;
};

/// How measurements were timed (absent when nothing was measured).
struct GpuTiming {
  int warmup_runs = 0;
  int min_runs = 0;
  int max_runs = 0;
  double max_relative_spread = 0;
  bool cold_l2 = false;  ///< L2 flushed before every sample of every stage (l2 == "cold").
  int algorithms = 0;    ///< cuBLASLt heuristic candidates timed per GEMM.
  std::int64_t workspace_bytes = 0;
  /// Which stages were timed cold: "cold-decode" (the decode stages), "warm" or "cold"; empty in
  /// records written before the policy existed (then cold_l2 says it).
  std::string l2;
  /// cuBLASLt could reduce split-K partial sums in the output type (false: FP32 only, the mask
  /// NONE | COMPUTE_TYPE); null in records written before it was recorded.
  std::optional<bool> reduced_precision_reduction;
  std::optional<bool> time_sequence;  ///< Decode stages were also timed as L-layer sequences.
};

/// The price the costs use.
struct GpuPrice {
  double usd_per_gpu_hour = 0;
  std::string provider;  ///< "--price" when given on the command line.
  std::string date;      ///< YYYY-MM-DD the quote was read; empty for --price.
  std::string source;    ///< URL of the quote; empty for --price.
};

struct GpuSection {
  std::string gpu;              ///< GPU kind from the table, e.g. "a100-80gb".
  std::string gpu_description;  ///< e.g. "NVIDIA A100 80GB SXM4"
  std::string gpu_source;       ///< "named" (--gpu KIND) or "detected" (--gpu auto).
  std::string gpu_table;        ///< Path of the GPU table read.
  std::int64_t gpu_count = 1;
  std::string dtype;       ///< "fp16" or "bf16"
  double peak_tflops = 0;  ///< Dense tensor peak used by the roofline.
  double bandwidth_gb_per_s = 0;
  double memory_gb = 0;
  double memory_fraction = 0;  ///< Share of memory for weights + KV cache in max_batch_kv_fit.
  std::optional<GpuPrice> price;
  bool measured = false;    ///< Whether a GPU ran the workload.
  std::string measurement;  ///< What was measured, or why nothing was (e.g. no device).
  std::optional<GpuDevice> device;
  std::optional<GpuTiming> timing;
  /// Why the stages carry no NVML telemetry although measured ("not available: ..."); empty
  /// otherwise.
  std::string telemetry_note;
  std::vector<GpuModelResult> models;
};

void to_json(nlohmann::json& j, const GpuSection& s);
/// Reads what to_json writes; absent optional fields read as null.
void from_json(const nlohmann::json& j, GpuSection& s);
/// The price alone (the training-cost section holds one too).
/// "$X per GPU-hour · provider · date · source": the price fact of the sections that cost GPU
/// hours.
std::string price_text(const GpuPrice& p);
void to_json(nlohmann::json& j, const GpuPrice& p);
void from_json(const nlohmann::json& j, GpuPrice& p);

}  // namespace lmmbench::reports
