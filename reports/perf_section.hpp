#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/metric_value.hpp"

namespace lmmbench::reports {

// The serving-performance section of a run record (run.json "perf", written by `lmmbench perf`;
// `lmmbench perf --json` prints the same numbers, flattened per load level). docs/perf.md defines
// every number.
//
// Conventions for renderers:
//  - Units are in the key: *_ms milliseconds, *_s seconds, *_per_s per second, usd US dollars,
//    kwh kilowatt-hours. Latencies are on the harness's monotonic clock.
//  - A statistic over no values (e.g. TPOT when every reply had one token) has count 0 and null
//    figures; a null is never to be shown as 0.
//  - Percentiles are linear interpolation between closest ranks (NumPy's default, Hyndman & Fan
//    type 7): p-th of n sorted values is at rank (n - 1) p / 100.

/// Summary of one latency distribution, in milliseconds.
struct LatencyStats {
  std::size_t count = 0;
  std::optional<double> mean;
  std::optional<double> std;  ///< Population standard deviation (divides by n), as NumPy's.
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> p50;  ///< The median.
  std::optional<double> p90;
  std::optional<double> p95;
  std::optional<double> p99;
  std::optional<double> p999;  ///< 99.9th percentile.
  /// Equal-width histogram over [min, max] for the report's distribution plot (counts per bin).
  std::vector<std::size_t> histogram;
};

/// The operating cost of one load level at its measured rates (docs/perf.md, "Cost").
struct PerfCost {
  std::string gpu;  ///< GPU kind from the table, or "" with --price alone.
  std::int64_t gpu_count = 1;
  double usd_per_gpu_hour = 0;
  std::string price_source;  ///< "--price" or "provider, date (url)" of the table's quote.
  double usd_per_day = 0;    ///< gpu_count x usd_per_gpu_hour x 24.
  std::optional<double> usd_per_1m_output_tokens;  ///< At output_throughput; null at 0 tok/s.
  std::optional<double> usd_per_1k_images;         ///< At image_throughput; null without images.
  std::optional<double> usd_per_1k_requests;       ///< At request_throughput.
  /// The same at goodput: only requests that met every SLO (and their tokens and images) count.
  std::optional<double> usd_per_1m_good_output_tokens;
  std::optional<double> usd_per_1k_good_images;
  std::optional<double> usd_per_1k_good_requests;
  /// Per GPU: NVML's measured mean (--nvml), else --power-w, else the table's TDP.
  std::optional<double> power_w;
  std::string power_source;  ///< "nvml (measured, ...)", "--power-w" or "tdp (upper bound)".
  std::optional<double> kwh_per_day;  ///< power_w x gpu_count x 24 / 1000.
};

/// API token prices applied to a level's measured tokens (`--prices`, docs/perf.md "Cost"):
/// what the level's completed requests cost at the provider's per-token rates, and per unit.
struct PerfTokenCost {
  std::string price_model;  ///< The price table's entry that matched the backend's model id.
  std::string prices_as_of;
  double usd_per_1m_input_tokens = 0;        ///< The table's rate (prompt tokens, images included).
  double usd_per_1m_output_tokens_rate = 0;  ///< The table's rate for output tokens.
  double usd = 0;  ///< The level's completed requests: prompt and output tokens at the rates.
  /// usd / output tokens x 1e6 (input tokens included: the price of getting 1M tokens out).
  std::optional<double> usd_per_1m_output_tokens;
  std::optional<double> usd_per_1k_images;    ///< usd / images x 1e3; null without images.
  std::optional<double> usd_per_1k_requests;  ///< usd / completed requests x 1e3.
  /// usd / requests that met every SLO x 1e3 (every completed request is paid for).
  std::optional<double> usd_per_1k_good_requests;
  std::optional<double> usd_per_day;  ///< usd / duration_s x 86400: this load all day.
  std::string note;  ///< Why the figure may be low (tokens not from the server's usage).
};

/// One series of a Prometheus exposition: its sample name and labels.
struct PerfServerSeries {
  std::string name;
  std::map<std::string, std::string> labels;
  std::optional<double> value;  ///< Null when not finite (NaN, +Inf) or not computable.
};

/// A histogram or summary of a Prometheus exposition, over one load level.
struct PerfServerHistogram {
  std::string name;  ///< The family name (without _sum / _count).
  std::map<std::string, std::string> labels;
  std::optional<double> sum;    ///< Delta of name_sum.
  std::optional<double> count;  ///< Delta of name_count.
  std::optional<double> mean;   ///< sum / count; null when count is 0.
};

/// Server-side figures of one load level from a Prometheus text exposition (`--prometheus URL`,
/// e.g. vLLM's /metrics), scraped just before the level's first request and just after its last
/// completion. Counter deltas count everything the server did in between, other clients' work
/// included.
struct PerfServerMetrics {
  std::string url;
  bool scraped = false;  ///< Both scrapes succeeded and parsed; otherwise the lists are empty.
  /// Counters: after - before. A series absent before counts from 0; one that decreased was
  /// reset (a restart) and counts its after-value (Prometheus's rate() convention), with a note.
  std::vector<PerfServerSeries> counters;
  std::vector<PerfServerSeries> gauges;         ///< Gauges (and untyped samples): after-values.
  std::vector<PerfServerHistogram> histograms;  ///< Histograms and summaries: _sum/_count deltas.
  std::vector<std::string> notes;               ///< Scrape or parse failures, resets.
};

/// One GPU's NVML telemetry over one load level (`lmmbench perf --nvml`, docs/perf.md "GPU
/// telemetry"). Figures the device or driver does not report are null.
struct PerfGpuTelemetry {
  std::int64_t index = 0;  ///< NVML's device index (all GPUs NVML sees, not CUDA's order).
  std::string name;        ///< NVML's product name.
  std::size_t samples = 0;
  std::optional<double> power_w_mean;  ///< Mean of the samples' board power.
  std::optional<double> power_w_max;
  /// Energy over the level: the driver's energy counter's increase (Volta and later), else the
  /// samples' power integrated over time (trapezoids); `energy_source` says which.
  std::optional<double> energy_j;
  std::string energy_source;  ///< "counter", "integrated_power" or "" (no energy figure).
  std::optional<double> sm_clock_mhz_mean;
  std::optional<double> sm_clock_mhz_min;  ///< The lowest SM clock sampled.
  std::optional<double> memory_clock_mhz_mean;
  std::optional<double> memory_used_bytes_max;
  std::optional<double> memory_total_bytes;
  std::optional<double> gpu_utilization_pct_mean;     ///< Share of time a kernel ran.
  std::optional<double> memory_utilization_pct_mean;  ///< Share of time memory was read/written.
  /// Every clocks event (throttle) reason any sample reported ("sw_power_cap", "hw_thermal",
  /// ...; harness/perf/nvml.hpp throttle_reason_names); null when the driver reports none.
  std::optional<std::vector<std::string>> throttle_reasons;
};

/// NVML GPU telemetry of one load level, sampled from just before its first request to just after
/// its last completion. Without NVML (no library, driver or device) `available` is false and
/// `note` says why; the run goes on.
struct PerfGpuTelemetrySet {
  bool available = false;
  std::string note;  ///< "not available: <why>" when not available; otherwise empty.
  double interval_ms = 0;
  double window_s = 0;  ///< First sample to last.
  std::vector<PerfGpuTelemetry> gpus;
};

/// One measurement window of the steady-state check.
struct PerfWindow {
  double start_s = 0;  ///< From the level's start.
  double end_s = 0;
  std::size_t sent = 0;
  std::size_t completed = 0;
  double request_throughput = 0;        ///< completed / window length.
  std::optional<double> median_e2e_ms;  ///< Of the requests sent in the window.
};

/// What one replica of a model served by several (a "base_url" list, docs/scale.md) did in one
/// load level: the backend's counts read just before the level's first request and just after
/// its last completion.
struct PerfReplica {
  std::string base_url;
  std::size_t requests = 0;             ///< Requests sent to it.
  std::size_t answered = 0;             ///< Of them, got a reply (any HTTP status).
  std::size_t connection_failures = 0;  ///< Of them, failed to connect (then backed off).
  /// Mean over the answered requests, from submit to the reply's end as the backend saw it;
  /// null when none was answered.
  std::optional<double> latency_mean_ms;
};

/// One load level: the whole result of offline, rate and concurrency, one point of a sweep.
struct PerfLevel {
  std::string scenario;  ///< "offline", "rate" or "concurrency".
  /// Target arrival rate (requests/s; null = infinite, offline) for rate; in-flight cap for
  /// concurrency (null = none).
  std::optional<double> request_rate;
  std::optional<std::int64_t> concurrency;
  std::size_t requests = 0;   ///< Measured requests sent (warm-up excluded).
  std::size_t completed = 0;  ///< Of them, ended without error.
  std::size_t failed = 0;
  std::map<std::string, std::size_t> failures_by_kind;
  double duration_s = 0;                 ///< From the level's start to the last request's end.
  double request_throughput = 0;         ///< completed / duration_s.
  double image_throughput = 0;           ///< Images of completed requests / duration_s.
  double output_throughput = 0;          ///< Output tokens of completed requests / duration_s.
  double total_token_throughput = 0;     ///< (Prompt + output tokens) / duration_s.
  double goodput = 0;                    ///< Completed requests meeting every SLO / duration_s.
  double good_output_throughput = 0;     ///< Their output tokens / duration_s.
  double good_image_throughput = 0;      ///< Their images / duration_s.
  std::optional<double> slo_attainment;  ///< Share of measured requests meeting every SLO.
  std::optional<double> achieved_rate;   ///< Requests sent / send span (rate scenario only).
  std::int64_t prompt_tokens = 0;        ///< Sum over completed requests.
  std::int64_t output_tokens = 0;
  std::size_t images = 0;
  /// How output tokens were counted: "usage" (the server's completion_tokens for every
  /// request), "token_events" (no usage reported: one per token event), or "mixed".
  std::string token_source;
  LatencyStats ttft_ms;
  LatencyStats tpot_ms;
  LatencyStats itl_ms;  ///< Pooled over all gaps between token events of all requests.
  LatencyStats e2e_ms;
  LatencyStats send_delay_ms;  ///< Actual send - scheduled send (client queueing delay).
  std::vector<PerfWindow> windows;
  bool valid = false;
  std::vector<std::string> invalid_reasons;  ///< Empty when valid.
  bool meets_slos = true;  ///< slo_attainment >= the required attainment (true with no SLOs).
  std::optional<PerfCost> cost;
  std::optional<PerfTokenCost> token_cost;           ///< With --prices (API models).
  std::optional<PerfServerMetrics> server_metrics;   ///< With --prometheus.
  std::optional<PerfGpuTelemetrySet> gpu_telemetry;  ///< With --nvml.
  /// Models served by several replicas only (absent from the JSON otherwise).
  std::vector<PerfReplica> replicas;
  /// The figures `lmmbench compare` gates on, self-describing (name, value, unit,
  /// higher_is_better), named after the level ("rate 4/s: ttft p99"): p50/p99 of TTFT, TPOT and
  /// E2E in seconds, request, output-token and goodput rates.
  std::vector<MetricValue> objectives;
};

/// Service-level objectives, in milliseconds; a null is not checked.
struct PerfSlos {
  std::optional<double> ttft_ms;
  std::optional<double> tpot_ms;
  std::optional<double> e2e_ms;
  double attainment = 0.9;  ///< Share of requests that must meet them for a level to pass.
};

/// The validity rules a level was judged by (MLPerf LoadGen-style).
struct PerfValidity {
  double min_duration_s = 0;
  std::size_t min_requests = 0;
  double max_failed_fraction = 0;
  std::size_t windows = 3;
  double stability = 0.2;        ///< Largest relative deviation of a window from the windows' mean.
  double max_rate_error = 0.02;  ///< Rate scenario: |achieved - target| / target.
};

struct PerfSection {
  std::string scenario;  ///< "offline", "rate", "concurrency" or "sweep".
  std::string model;     ///< The model config's name.
  std::string backend_fingerprint;
  nlohmann::json workload;  ///< How requests were made (synthetic or task samples), seeded.
  nlohmann::json schedule;  ///< Arrival process and its parameters.
  std::uint64_t seed = 0;
  std::size_t warmup_requests = 0;
  PerfSlos slos;
  PerfValidity validity;
  std::vector<PerfLevel> levels;  ///< One, or one per sweep level in the order run.
  /// Sweep: index into levels of the highest load that is valid and meets the SLOs; null when
  /// none does (and for the other scenarios).
  std::optional<std::size_t> best_level;
  std::string requests_file;  ///< Per-request JSONL, relative to the run directory.
};

void to_json(nlohmann::json& j, const LatencyStats& v);
void from_json(const nlohmann::json& j, LatencyStats& v);
void to_json(nlohmann::json& j, const PerfCost& v);
void from_json(const nlohmann::json& j, PerfCost& v);
void to_json(nlohmann::json& j, const PerfTokenCost& v);
void from_json(const nlohmann::json& j, PerfTokenCost& v);
void to_json(nlohmann::json& j, const PerfServerSeries& v);
void from_json(const nlohmann::json& j, PerfServerSeries& v);
void to_json(nlohmann::json& j, const PerfServerHistogram& v);
void from_json(const nlohmann::json& j, PerfServerHistogram& v);
void to_json(nlohmann::json& j, const PerfServerMetrics& v);
void from_json(const nlohmann::json& j, PerfServerMetrics& v);
void to_json(nlohmann::json& j, const PerfGpuTelemetry& v);
void from_json(const nlohmann::json& j, PerfGpuTelemetry& v);
void to_json(nlohmann::json& j, const PerfGpuTelemetrySet& v);
void from_json(const nlohmann::json& j, PerfGpuTelemetrySet& v);
void to_json(nlohmann::json& j, const PerfWindow& v);
void from_json(const nlohmann::json& j, PerfWindow& v);
void to_json(nlohmann::json& j, const PerfReplica& v);
void from_json(const nlohmann::json& j, PerfReplica& v);
void to_json(nlohmann::json& j, const PerfLevel& v);
void from_json(const nlohmann::json& j, PerfLevel& v);
void to_json(nlohmann::json& j, const PerfSlos& v);
void from_json(const nlohmann::json& j, PerfSlos& v);
void to_json(nlohmann::json& j, const PerfValidity& v);
void from_json(const nlohmann::json& j, PerfValidity& v);
void to_json(nlohmann::json& j, const PerfSection& v);
void from_json(const nlohmann::json& j, PerfSection& v);

/// The `lmmbench perf --json` object of one level: scenario, requests, failed, duration_s,
/// request_throughput, output_throughput, goodput, valid, and for ttft_ms, tpot_ms, itl_ms,
/// e2e_ms: mean, p50, p90, p99 (and the rest of the level's figures).
nlohmann::json perf_level_summary(const PerfLevel& level);

}  // namespace lmmbench::reports
