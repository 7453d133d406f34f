#include "reports/perf_section.hpp"

#include "core/json_fields.hpp"

namespace lmmbench::reports {

// Each record type lists its fields once, in visit(); to_json and from_json both walk that list
// (core/json_fields.hpp). They are not in an unnamed namespace:
// json_fields::write and read find them by argument-dependent lookup.

using json_fields::omit_empty;
using json_fields::Record;

template <class S, class F>
requires Record<S, LatencyStats>
void visit(S& o, F&& f) {
  f("count", o.count);
  f("mean", o.mean);
  f("std", o.std);
  f("min", o.min);
  f("max", o.max);
  f("p50", o.p50);
  f("p90", o.p90);
  f("p95", o.p95);
  f("p99", o.p99);
  f("p99.9", o.p999);
  f("histogram", o.histogram);
}

template <class S, class F>
requires Record<S, PerfCost>
void visit(S& o, F&& f) {
  f("gpu", o.gpu);
  f("gpu_count", o.gpu_count);
  f("usd_per_gpu_hour", o.usd_per_gpu_hour);
  f("price_source", o.price_source);
  f("usd_per_day", o.usd_per_day);
  f("usd_per_1m_output_tokens", o.usd_per_1m_output_tokens);
  f("usd_per_1k_images", o.usd_per_1k_images);
  f("usd_per_1k_requests", o.usd_per_1k_requests);
  f("usd_per_1m_good_output_tokens", o.usd_per_1m_good_output_tokens);
  f("usd_per_1k_good_images", o.usd_per_1k_good_images);
  f("usd_per_1k_good_requests", o.usd_per_1k_good_requests);
  f("power_w", o.power_w);
  f("power_source", o.power_source);
  f("kwh_per_day", o.kwh_per_day);
}

template <class S, class F>
requires Record<S, PerfTokenCost>
void visit(S& o, F&& f) {
  f("price_model", o.price_model);
  f("prices_as_of", o.prices_as_of);
  f("usd_per_1m_input_tokens", o.usd_per_1m_input_tokens);
  f("usd_per_1m_output_tokens_rate", o.usd_per_1m_output_tokens_rate);
  f("usd", o.usd);
  f("usd_per_1m_output_tokens", o.usd_per_1m_output_tokens);
  f("usd_per_1k_images", o.usd_per_1k_images);
  f("usd_per_1k_requests", o.usd_per_1k_requests);
  f("usd_per_1k_good_requests", o.usd_per_1k_good_requests);
  f("usd_per_day", o.usd_per_day);
  f("note", o.note);
}

template <class S, class F>
requires Record<S, PerfServerSeries>
void visit(S& o, F&& f) {
  f("name", o.name);
  f("labels", o.labels);
  f("value", o.value);
}

template <class S, class F>
requires Record<S, PerfServerHistogram>
void visit(S& o, F&& f) {
  f("name", o.name);
  f("labels", o.labels);
  f("sum", o.sum);
  f("count", o.count);
  f("mean", o.mean);
}

template <class S, class F>
requires Record<S, PerfServerMetrics>
void visit(S& o, F&& f) {
  f("url", o.url);
  f("scraped", o.scraped);
  f("counters", o.counters);
  f("gauges", o.gauges);
  f("histograms", o.histograms);
  f("notes", o.notes);
}

template <class S, class F>
requires Record<S, PerfGpuTelemetry>
void visit(S& o, F&& f) {
  f("index", o.index);
  f("name", o.name);
  f("samples", o.samples);
  f("power_w_mean", o.power_w_mean);
  f("power_w_max", o.power_w_max);
  f("energy_j", o.energy_j);
  f("energy_source", o.energy_source);
  f("sm_clock_mhz_mean", o.sm_clock_mhz_mean);
  f("sm_clock_mhz_min", o.sm_clock_mhz_min, json_fields::omit_empty);
  f("memory_clock_mhz_mean", o.memory_clock_mhz_mean);
  f("memory_used_bytes_max", o.memory_used_bytes_max);
  f("memory_total_bytes", o.memory_total_bytes);
  f("gpu_utilization_pct_mean", o.gpu_utilization_pct_mean);
  f("memory_utilization_pct_mean", o.memory_utilization_pct_mean);
  f("throttle_reasons", o.throttle_reasons, json_fields::omit_empty);
}

template <class S, class F>
requires Record<S, PerfGpuTelemetrySet>
void visit(S& o, F&& f) {
  f("available", o.available);
  f("note", o.note);
  f("interval_ms", o.interval_ms);
  f("window_s", o.window_s);
  f("gpus", o.gpus);
}

template <class S, class F>
requires Record<S, PerfWindow>
void visit(S& o, F&& f) {
  f("start_s", o.start_s);
  f("end_s", o.end_s);
  f("sent", o.sent);
  f("completed", o.completed);
  f("request_throughput", o.request_throughput);
  f("median_e2e_ms", o.median_e2e_ms);
}

template <class S, class F>
requires Record<S, PerfReplica>
void visit(S& o, F&& f) {
  f("base_url", o.base_url);
  f("requests", o.requests);
  f("answered", o.answered);
  f("connection_failures", o.connection_failures);
  f("latency_mean_ms", o.latency_mean_ms);
}

template <class S, class F>
requires Record<S, PerfLevel>
void visit(S& o, F&& f) {
  f("scenario", o.scenario);
  f("request_rate", o.request_rate);
  f("concurrency", o.concurrency);
  f("requests", o.requests);
  f("completed", o.completed);
  f("failed", o.failed);
  f("failures_by_kind", o.failures_by_kind);
  f("duration_s", o.duration_s);
  f("request_throughput", o.request_throughput);
  f("image_throughput", o.image_throughput);
  f("output_throughput", o.output_throughput);
  f("total_token_throughput", o.total_token_throughput);
  f("goodput", o.goodput);
  f("good_output_throughput", o.good_output_throughput);
  f("good_image_throughput", o.good_image_throughput);
  f("slo_attainment", o.slo_attainment);
  f("achieved_rate", o.achieved_rate);
  f("prompt_tokens", o.prompt_tokens);
  f("output_tokens", o.output_tokens);
  f("images", o.images);
  f("token_source", o.token_source);
  f("ttft_ms", o.ttft_ms);
  f("tpot_ms", o.tpot_ms);
  f("itl_ms", o.itl_ms);
  f("e2e_ms", o.e2e_ms);
  f("send_delay_ms", o.send_delay_ms);
  f("windows", o.windows);
  f("valid", o.valid);
  f("invalid_reasons", o.invalid_reasons);
  f("meets_slos", o.meets_slos);
  f("cost", o.cost);
  f("token_cost", o.token_cost);
  f("server_metrics", o.server_metrics);
  f("gpu_telemetry", o.gpu_telemetry);
  f("replicas", o.replicas, omit_empty);
  f("objectives", o.objectives);
}

template <class S, class F>
requires Record<S, PerfSlos>
void visit(S& o, F&& f) {
  f("ttft_ms", o.ttft_ms);
  f("tpot_ms", o.tpot_ms);
  f("e2e_ms", o.e2e_ms);
  f("attainment", o.attainment);
}

template <class S, class F>
requires Record<S, PerfValidity>
void visit(S& o, F&& f) {
  f("min_duration_s", o.min_duration_s);
  f("min_requests", o.min_requests);
  f("max_failed_fraction", o.max_failed_fraction);
  f("windows", o.windows);
  f("stability", o.stability);
  f("max_rate_error", o.max_rate_error);
}

template <class S, class F>
requires Record<S, PerfSection>
void visit(S& o, F&& f) {
  f("scenario", o.scenario);
  f("model", o.model);
  f("backend_fingerprint", o.backend_fingerprint);
  f("workload", o.workload);
  f("schedule", o.schedule);
  f("seed", o.seed);
  f("warmup_requests", o.warmup_requests);
  f("slos", o.slos);
  f("validity", o.validity);
  f("levels", o.levels);
  f("best_level", o.best_level);
  f("requests_file", o.requests_file);
}

LMMBENCH_JSON_FIELDS(LatencyStats)
LMMBENCH_JSON_FIELDS(PerfCost)
LMMBENCH_JSON_FIELDS(PerfTokenCost)
LMMBENCH_JSON_FIELDS(PerfServerSeries)
LMMBENCH_JSON_FIELDS(PerfServerHistogram)
LMMBENCH_JSON_FIELDS(PerfServerMetrics)
LMMBENCH_JSON_FIELDS(PerfGpuTelemetry)
LMMBENCH_JSON_FIELDS(PerfGpuTelemetrySet)
LMMBENCH_JSON_FIELDS(PerfWindow)
LMMBENCH_JSON_FIELDS(PerfReplica)
LMMBENCH_JSON_FIELDS(PerfLevel)
LMMBENCH_JSON_FIELDS(PerfSlos)
LMMBENCH_JSON_FIELDS(PerfValidity)
LMMBENCH_JSON_FIELDS(PerfSection)

nlohmann::json perf_level_summary(const PerfLevel& level) {
  nlohmann::json j = level;
  // The distributions' histograms are for plots; the summary keeps the figures.
  for (const char* key : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "send_delay_ms"}) {
    j[key].erase("histogram");
  }
  return j;
}

}  // namespace lmmbench::reports
