#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/config.hpp"
#include "harness/perf/benchmark.hpp"
#include "harness/perf/workload.hpp"

/// `lmmbench perf`'s command line turned into validated options (docs/perf.md lists the flags).
/// Every refusal is an InputError whose location is the flag ("--duration: must be > 0").
namespace lmmbench::harness::perf {

/// The flags as given; each field is one flag and holds its default when the flag is absent.
struct PerfCliOptions {
  std::string model;
  std::string scenario = "offline";
  std::size_t requests = 200;
  std::optional<double> duration_s;
  std::size_t warmup = 2;
  std::optional<double> request_rate;
  std::string arrival = "poisson";
  double burstiness = 1.0;
  std::string trace;
  std::optional<std::int64_t> concurrency;
  std::string rates;
  std::string concurrencies;
  // Workload.
  std::string task;
  std::size_t images = 1;
  std::string image_size = "336x336";
  std::string image_format = "jpeg";
  std::int64_t prompt_tokens = 64;
  std::int64_t output_tokens = 128;
  bool ignore_eos = false;
  std::uint64_t seed = 0;
  // SLOs and validity.
  std::optional<double> slo_ttft_ms;
  std::optional<double> slo_tpot_ms;
  std::optional<double> slo_e2e_ms;
  double slo_attainment = 0.9;
  double min_duration_s = 10;
  std::size_t min_requests = 100;
  double max_failed = 0;
  std::size_t windows = 3;
  double stability = 0.2;
  double max_rate_error = 0.02;
  // Cost.
  std::string gpu;
  std::int64_t gpu_count = 1;
  std::optional<double> price;
  std::optional<double> power_w;
  std::string gpu_table;  ///< Empty: gpus.json of the config search path.
  std::string prices;     ///< API token prices (configs/prices.json).
  // Server-side figures.
  std::string prometheus;
  bool nvml = false;
  std::int64_t nvml_interval_ms = 100;
  // Output.
  bool json = false;
  std::string out;
};

/// A comma-separated list of positive finite numbers ("1,2.5,8"); `option` names the flag in
/// the error.
std::vector<double> parse_positive_numbers(const std::string& text, const char* option);

/// --image-size: "SIDE" or "WIDTHxHEIGHT" in whole pixels, as {width, height}.
std::pair<int, int> parse_image_size(const std::string& text);

/// The load generator's options from the flags: scenario, arrivals (a trace file is read here),
/// the request count (--duration: rate x duration + 1), sweep levels, SLOs, validity, and the GPU
/// cost (cost_inputs). Token prices, observers and the workload are left to the caller.
PerfOptions benchmark_options(const PerfCliOptions& cli);

/// The GPU cost of --gpu (its price and TDP from the GPU table at cli.gpu_table), --gpu-count,
/// --price and --power-w (which override the table); nullopt without --gpu or --price.
std::optional<CostInputs> cost_inputs(const PerfCliOptions& cli);

/// The synthetic workload of --images, --image-size, --image-format, --prompt-tokens,
/// --output-tokens and --seed.
SyntheticWorkload synthetic_workload(const PerfCliOptions& cli);

/// The model config cli.model names, with what perf needs: token events (stream) on the HTTP
/// backends, and --ignore-eos through the openai backend's extra_body (refused for the others).
/// `patched` says whether the config was changed (its own errors are then best reported from the
/// file as written).
ModelConfig perf_model_config(const PerfCliOptions& cli, bool& patched);

/// --prometheus: the URL is recorded in run.json and printed, so like a model's base_url it may
/// not carry credentials or a query string.
void check_prometheus_url(const std::string& url);

/// --nvml-interval-ms: at least 1 with --nvml, and only with --nvml.
void check_nvml_interval(const PerfCliOptions& cli);

}  // namespace lmmbench::harness::perf
