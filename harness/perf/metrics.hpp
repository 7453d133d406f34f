#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/perf/load_generator.hpp"
#include "reports/perf_section.hpp"

/// From per-request records to the figures of one load level (docs/perf.md defines each).
namespace lmmbench::harness::perf {

/// What one request measured. Latencies in milliseconds; absent where undefined.
struct RequestMetrics {
  bool ok = false;
  std::optional<double> ttft_ms;  ///< First token event - sent (streaming only).
  std::optional<double> tpot_ms;  ///< (e2e - ttft) / (output_tokens - 1), output_tokens > 1.
  std::optional<double> e2e_ms;   ///< Last token event - sent (no token events: end - sent).
  double send_delay_ms = 0;       ///< Sent - scheduled.
  std::vector<double> itl_ms;     ///< Gaps between consecutive token events.
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
  bool tokens_from_usage = false;  ///< The server reported completion_tokens.
  bool meets_slos = false;         ///< ok and within every SLO given.
};

RequestMetrics request_metrics(const RequestRecord& record, const reports::PerfSlos& slos);

/// The failures among `records`, for people: "10 connection, 2 timeout; first: <the first
/// failure's message>" (the message cut to 300 bytes); "" when none failed.
std::string describe_failures(std::span<const RequestRecord> records);

/// Which level the records belong to.
struct LevelSpec {
  std::string scenario;  ///< "offline", "rate" or "concurrency".
  std::optional<double> request_rate;
  std::optional<std::int64_t> concurrency;
};

/// Throughputs, latency distributions, goodput, steady-state windows and the VALID/INVALID
/// verdict of one level from its measured (warm-up excluded) records: the four steps below.
reports::PerfLevel compute_level(const LevelSpec& spec, std::span<const RequestRecord> records,
                                 const reports::PerfSlos& slos,
                                 const reports::PerfValidity& validity);

/// request_metrics of every record, in order.
std::vector<RequestMetrics> level_metrics(std::span<const RequestRecord> records,
                                          const reports::PerfSlos& slos);

/// The level's counts (requests, completed, failed by kind), tokens, images, token source,
/// duration (level start to the last end), throughputs, goodput, SLO attainment and latency
/// distributions, from `records` and their `metrics` (level_metrics).
void add_request_figures(reports::PerfLevel& level, std::span<const RequestRecord> records,
                         std::span<const RequestMetrics> metrics, const reports::PerfSlos& slos);

/// Validity by size (add_request_figures first): a reason in level.invalid_reasons for a run
/// shorter than the minimum duration, fewer requests than the minimum, more failures than
/// allowed (describe_failures says which), or no completed request.
void check_size_and_failures(reports::PerfLevel& level, std::span<const RequestRecord> records,
                             const reports::PerfValidity& validity);

/// rate scenario: the arrival rate achieved ((sends - 1) / span of the send times) into
/// level.achieved_rate, and a reason when it is further than max_rate_error from the target.
void check_arrival_rate(reports::PerfLevel& level, const LevelSpec& spec,
                        std::span<const RequestRecord> records,
                        const reports::PerfValidity& validity);

/// Steady state (all but offline, validity.windows > 1): the load period from the first
/// completion (the pipeline is full) to the last send, cut into equal windows, into
/// level.windows; a reason when a window's median E2E of the requests sent in it (closed loop:
/// also its completion rate) is further than `stability` from the windows' mean, when a window
/// holds no completed request, or when the period is shorter than one request's latency.
void check_steady_state(reports::PerfLevel& level, const LevelSpec& spec,
                        std::span<const RequestRecord> records,
                        std::span<const RequestMetrics> metrics,
                        const reports::PerfValidity& validity);

/// Fills level.objectives from its figures; `label` names the level ("rate 4/s"). Each gets a
/// 95 % interval (its noise, which `lmmbench compare` gates beyond) where one can be estimated:
/// a latency percentile from the level's `records` (distribution-free, quantile_interval), a
/// throughput from the spread of the steady-state windows' request rates (two or more windows).
void add_objectives(reports::PerfLevel& level, const std::string& label,
                    std::span<const RequestRecord> records = {});

/// Distribution-free 95 % interval of the p-th percentile (0 < p < 100) of `sorted` (ascending):
/// the order statistics x(r), x(s) whose ranks the binomial distribution of the number of values
/// below the percentile gives, 2.5 % in each tail (W. J. Conover, Practical Nonparametric
/// Statistics, 3rd ed., 1999, section 3.2, exact form). Where a bound lies beyond the sample (a
/// p99 of fewer than about 370 values has no 97.5 % upper bound inside it) the sample's extreme
/// is used, which understates that side. nullopt for fewer than two values.
std::optional<std::array<double, 2>> quantile_interval(std::span<const double> sorted, double p);

/// Prices and power the cost is computed from.
struct CostInputs {
  std::string gpu;
  std::int64_t gpu_count = 1;
  double usd_per_gpu_hour = 0;
  std::string price_source;
  std::optional<double> power_w;  ///< Per GPU.
  std::string power_source;
};

/// $/day, $ per 1M output tokens, per 1k images and per 1k requests at the level's measured
/// throughput and at its goodput, and kWh/day when the power is known: the level's measured
/// NVML power (mean over its GPUs) when it has one, else `inputs.power_w`.
reports::PerfCost compute_cost(const reports::PerfLevel& level, const CostInputs& inputs);

/// An API model's token prices (harness/prices.hpp's table entry for the backend's model id).
struct TokenPrices {
  std::string price_model;  ///< The table entry that matched.
  std::string as_of;
  double usd_per_1m_input_tokens = 0;
  double usd_per_1m_output_tokens = 0;
};

/// What the level's completed requests cost at `prices` (their prompt and output tokens), per 1M
/// output tokens, per 1k images, requests and good requests, and per day at this load. A count of
/// 0 gives null, never $0.
reports::PerfTokenCost compute_token_cost(const reports::PerfLevel& level,
                                          const TokenPrices& prices);

/// One line of the per-request JSONL file: level, phase ("warmup" or "measure"), index,
/// scheduled_ms, sent_ms, first_token_ms, token_ms (every token event), end_ms, the derived
/// latencies, tokens in and out, images, outcome and error message. Times are milliseconds from
/// the level's start.
nlohmann::json request_json(const RequestRecord& record, const RequestMetrics& metrics,
                            std::size_t level, bool warmup);

}  // namespace lmmbench::harness::perf
