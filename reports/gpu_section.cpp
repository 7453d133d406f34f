#include "reports/gpu_section.hpp"

#include <fmt/format.h>

#include "core/json_fields.hpp"

namespace lmmbench::reports {

// Each record type lists its fields once, in visit(); to_json and from_json both walk that list
// (core/json_fields.hpp). They are not in an unnamed namespace:
// json_fields::write and read find them by argument-dependent lookup.

using json_fields::Record;

template <class S, class F>
requires Record<S, GpuOpResult>
void visit(S& o, F&& f) {
  f("name", o.name);
  f("kind", o.kind);
  f("shape", o.shape);
  f("count", o.count);
  f("flops", o.flops);
  f("bytes", o.bytes);
  f("bound_ms", o.bound_ms);
  f("measured_ms", o.measured_ms);
  f("achieved_tflops", o.achieved_tflops);
  f("mfu", o.mfu);
  f("mbu", o.mbu);
  f("relative_spread", o.relative_spread);
  f("runs", o.runs);
  f("converged", o.converged);
  f("max_error", o.max_error);
  f("tolerance", o.tolerance);
}

template <class S, class F>
requires Record<S, GpuStageResult>
void visit(S& s, F&& f) {
  f("name", s.name);
  f("phase", s.phase);
  f("description", s.description);
  f("flops", s.flops);
  f("bytes", s.bytes);
  f("bound_ms", s.bound_ms);
  f("bound_by", s.bound_by);
  f("measured_ms", s.measured_ms);
  f("achieved_tflops", s.achieved_tflops);
  f("mfu", s.mfu);
  f("mbu", s.mbu);
  f("error", s.error);
  f("cold_l2", s.cold_l2, json_fields::omit_empty);
  f("sequence_ms", s.sequence_ms, json_fields::omit_empty);
  f("sequence_layers", s.sequence_layers, json_fields::omit_empty);
  f("sequence_weight_sets", s.sequence_weight_sets, json_fields::omit_empty);
  f("telemetry", s.telemetry, json_fields::omit_empty);
  f("ops", s.ops);
}

template <class S, class F>
requires Record<S, GpuBatchResult>
void visit(S& b, F&& f) {
  f("batch", b.batch);
  f("max_batch_kv_fit", b.max_batch_kv_fit);
  f("fits_in_memory", b.fits_in_memory);
  f("prefill_flops", b.prefill_flops);
  f("prefill_flops_per_request", b.prefill_flops_per_request);
  f("decode_bytes_per_step", b.decode_bytes_per_step);
  f("decode_weight_bytes_per_step", b.decode_weight_bytes_per_step);
  f("stages", b.stages);
  f("bound_prefill_ms", b.bound_prefill_ms);
  f("measured_prefill_ms", b.measured_prefill_ms);
  f("bound_decode_step_ms", b.bound_decode_step_ms);
  f("measured_decode_step_ms", b.measured_decode_step_ms);
  f("bound_tokens_per_s", b.bound_tokens_per_s);
  f("measured_tokens_per_s", b.measured_tokens_per_s);
  f("bound_decode_tokens_per_s", b.bound_decode_tokens_per_s);
  f("measured_decode_tokens_per_s", b.measured_decode_tokens_per_s);
  f("bound_requests_per_s", b.bound_requests_per_s);
  f("measured_requests_per_s", b.measured_requests_per_s);
  f("bound_images_per_s", b.bound_images_per_s);
  f("measured_images_per_s", b.measured_images_per_s);
  f("overlap_bound_tokens_per_s", b.overlap_bound_tokens_per_s, json_fields::omit_empty);
  f("overlap_bound_requests_per_s", b.overlap_bound_requests_per_s, json_fields::omit_empty);
  f("overlap_bound_images_per_s", b.overlap_bound_images_per_s, json_fields::omit_empty);
  f("usd_per_day", b.usd_per_day);
  f("usd_per_1m_output_tokens", b.usd_per_1m_output_tokens);
  f("overlap_usd_per_1m_output_tokens", b.overlap_usd_per_1m_output_tokens,
    json_fields::omit_empty);
  f("measured_usd_per_1m_output_tokens", b.measured_usd_per_1m_output_tokens);
  f("usd_per_1k_images", b.usd_per_1k_images);
  f("measured_usd_per_1k_images", b.measured_usd_per_1k_images);
}

template <class S, class F>
requires Record<S, GpuModelResult>
void visit(S& m, F&& f) {
  f("model", m.model);
  f("spec_source", m.spec_source);
  f("model_type", m.model_type);
  f("vision", m.vision);
  f("projector", m.projector);
  f("language", m.language);
  f("images_per_request", m.images_per_request);
  f("image_height", m.image_height);
  f("image_width", m.image_width);
  f("image_tokens", m.image_tokens);
  f("text_tokens", m.text_tokens);
  f("prompt_tokens", m.prompt_tokens);
  f("output_tokens", m.output_tokens);
  f("decode_context", m.decode_context);
  f("weight_bytes", m.weight_bytes);
  f("kv_bytes_per_token", m.kv_bytes_per_token);
  f("batches", m.batches);
}

template <class S, class F>
requires Record<S, GpuDevice>
void visit(S& d, F&& f) {
  f("name", d.name);
  f("compute_capability", d.compute_capability);
  f("sm_count", d.sm_count);
  f("memory_bytes", d.memory_bytes);
  f("l2_bytes", d.l2_bytes);
  f("sm_clock_mhz", d.sm_clock_mhz);
  f("memory_clock_mhz", d.memory_clock_mhz);
  f("memory_bus_bits", d.memory_bus_bits);
  f("driver_version", d.driver_version);
  f("cuda_runtime_version", d.cuda_runtime_version);
  f("cublaslt_version", d.cublaslt_version);
}

template <class S, class F>
requires Record<S, GpuTiming>
void visit(S& t, F&& f) {
  f("warmup_runs", t.warmup_runs);
  f("min_runs", t.min_runs);
  f("max_runs", t.max_runs);
  f("max_relative_spread", t.max_relative_spread);
  f("cold_l2", t.cold_l2);
  f("l2", t.l2, json_fields::omit_empty);
  f("reduced_precision_reduction", t.reduced_precision_reduction, json_fields::omit_empty);
  f("time_sequence", t.time_sequence, json_fields::omit_empty);
  f("algorithms", t.algorithms);
  f("workspace_bytes", t.workspace_bytes);
}

template <class S, class F>
requires Record<S, GpuPrice>
void visit(S& p, F&& f) {
  f("usd_per_gpu_hour", p.usd_per_gpu_hour);
  f("provider", p.provider);
  f("date", p.date);
  f("source", p.source);
}

template <class S, class F>
requires Record<S, GpuSection>
void visit(S& s, F&& f) {
  f("gpu", s.gpu);
  f("gpu_description", s.gpu_description);
  f("gpu_source", s.gpu_source);
  f("gpu_table", s.gpu_table);
  f("gpu_count", s.gpu_count);
  f("dtype", s.dtype);
  f("peak_tflops", s.peak_tflops);
  f("bandwidth_gb_per_s", s.bandwidth_gb_per_s);
  f("memory_gb", s.memory_gb);
  f("memory_fraction", s.memory_fraction);
  f("price", s.price);
  f("measured", s.measured);
  f("measurement", s.measurement);
  f("device", s.device);
  f("timing", s.timing);
  f("telemetry_note", s.telemetry_note, json_fields::omit_empty);
  f("models", s.models);
}

// Found by argument-dependent lookup from nlohmann's templates for the nested records.
LMMBENCH_JSON_FIELDS(GpuOpResult)
LMMBENCH_JSON_FIELDS(GpuStageResult)
LMMBENCH_JSON_FIELDS(GpuBatchResult)
LMMBENCH_JSON_FIELDS(GpuModelResult)
LMMBENCH_JSON_FIELDS(GpuDevice)
LMMBENCH_JSON_FIELDS(GpuTiming)
LMMBENCH_JSON_FIELDS(GpuPrice)

std::string price_text(const GpuPrice& p) {
  return fmt::format("${:g} per GPU-hour · {}{}{}", p.usd_per_gpu_hour, p.provider,
                     p.date.empty() ? "" : " · " + p.date,
                     p.source.empty() ? "" : " · " + p.source);
}
LMMBENCH_JSON_FIELDS(GpuSection)

}  // namespace lmmbench::reports
