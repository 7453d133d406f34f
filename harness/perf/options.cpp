#include "harness/perf/options.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "core/text.hpp"
#include "harness/cli_commands.hpp"
#include "harness/perf/schedule.hpp"
#include "models/gpu/gpu_table.hpp"

namespace lmmbench::harness::perf {

std::vector<double> parse_positive_numbers(const std::string& text, const char* option) {
  std::vector<double> out;
  for (const auto& part : split_list(text)) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != part.size() || !(v > 0) || !std::isfinite(v)) {
      throw InputError(Location{option, 0, ""}, fmt::format("'{}' is not a positive number", part));
    }
    out.push_back(v);
  }
  return out;
}

std::pair<int, int> parse_image_size(const std::string& text) {
  const auto parts = split(ascii_lower(text), 'x');
  std::vector<double> numbers;
  // One number per part: "64x" and "64,64" are refused, not read as 64x64.
  for (const auto& part : parts) {
    const auto n = parse_positive_numbers(part, "--image-size");
    if (n.size() != 1) {
      throw InputError(Location{"--image-size", 0, ""},
                       fmt::format("'{}' is not SIDE or WIDTHxHEIGHT", text));
    }
    numbers.push_back(n.front());
  }
  if ((numbers.size() != 1 && numbers.size() != 2) ||
      std::any_of(numbers.begin(), numbers.end(), [](double v) { return v != std::floor(v); })) {
    throw InputError(Location{"--image-size", 0, ""},
                     fmt::format("'{}' is not SIDE or WIDTHxHEIGHT", text));
  }
  return {static_cast<int>(numbers.front()), static_cast<int>(numbers.back())};
}

std::optional<CostInputs> cost_inputs(const PerfCliOptions& cli) {
  if (cli.gpu.empty() && !cli.price) {
    if (cli.power_w) {
      throw InputError(Location{"--power-w", 0, ""}, "the energy figure needs --gpu or --price");
    }
    return std::nullopt;
  }
  CostInputs cost;
  cost.gpu_count = cli.gpu_count;
  if (cli.gpu_count < 1) throw InputError(Location{"--gpu-count", 0, ""}, "must be >= 1");
  if (!cli.gpu.empty()) {
    const auto table = gpu::GpuTable::load(cli.gpu_table);
    const auto& kind = table.find(cli.gpu);
    cost.gpu = kind.name;
    if (kind.tdp_w) {
      cost.power_w = *kind.tdp_w;
      cost.power_source = "tdp (upper bound)";
    }
    if (!cli.price) {
      if (kind.prices.empty()) {
        throw InputError(
            Location{"--gpu", 0, ""},
            fmt::format("{} has no price in {}: give --price", kind.name, table.source()));
      }
      const auto& q = kind.prices.front();
      cost.usd_per_gpu_hour = q.usd_per_gpu_hour;
      cost.price_source = fmt::format("{}, {} ({})", q.provider, q.date, q.source);
    }
  }
  if (cli.price) {
    if (!(*cli.price > 0)) throw InputError(Location{"--price", 0, ""}, "must be > 0");
    cost.usd_per_gpu_hour = *cli.price;
    cost.price_source = "--price";
  }
  if (cli.power_w) {
    cost.power_w = *cli.power_w;
    cost.power_source = "--power-w";
  }
  return cost;
}

PerfOptions benchmark_options(const PerfCliOptions& cli) {
  PerfOptions o;
  o.scenario = cli.scenario;
  o.requests = cli.requests;
  o.warmup = cli.warmup;
  o.seed = cli.seed;
  o.concurrency = cli.concurrency;
  o.request_rate = cli.request_rate;
  const auto process = parse_arrival_process(cli.arrival);
  if (!process) {
    throw InputError(Location{"--arrival", 0, ""},
                     fmt::format("'{}' is not poisson, gamma, constant or trace", cli.arrival));
  }
  o.arrival.process = *process;
  o.arrival.burstiness = cli.burstiness;
  if (!cli.trace.empty()) {
    if (o.arrival.process != ArrivalProcess::trace && cli.arrival != "poisson") {
      throw InputError(Location{"--trace", 0, ""}, "--trace replays a trace: leave --arrival out");
    }
    o.arrival.process = ArrivalProcess::trace;
    o.arrival.trace_s = read_trace(cli.trace);
  } else if (o.arrival.process == ArrivalProcess::trace) {
    throw InputError(Location{"--arrival", 0, ""}, "--arrival trace needs --trace FILE");
  }
  if (o.scenario == "rate" && o.arrival.process == ArrivalProcess::trace && cli.duration_s) {
    throw InputError(Location{"--duration", 0, ""}, "a trace sets its own duration");
  }
  if (cli.duration_s) {
    if (!(*cli.duration_s > 0)) throw InputError(Location{"--duration", 0, ""}, "must be > 0");
    if (o.scenario != "rate" || !cli.request_rate) {
      throw InputError(Location{"--duration", 0, ""},
                       "--duration sets the request count of the rate scenario: "
                       "--request-rate x --duration");
    }
    o.requests = static_cast<std::size_t>(std::llround(*cli.request_rate * *cli.duration_s)) + 1;
  } else if (o.arrival.process == ArrivalProcess::trace) {
    o.requests = std::min(o.requests, o.arrival.trace_s.size());
  }
  if (!cli.rates.empty()) o.sweep_rates = parse_positive_numbers(cli.rates, "--rates");
  if (!cli.concurrencies.empty()) {
    for (const double v : parse_positive_numbers(cli.concurrencies, "--concurrencies")) {
      if (v != std::floor(v)) {
        throw InputError(Location{"--concurrencies", 0, ""}, "concurrencies are whole numbers");
      }
      o.sweep_concurrencies.push_back(static_cast<std::int64_t>(v));
    }
  }
  o.slos.ttft_ms = cli.slo_ttft_ms;
  o.slos.tpot_ms = cli.slo_tpot_ms;
  o.slos.e2e_ms = cli.slo_e2e_ms;
  o.slos.attainment = cli.slo_attainment;
  o.validity.min_duration_s = cli.min_duration_s;
  o.validity.min_requests = cli.min_requests;
  o.validity.max_failed_fraction = cli.max_failed;
  o.validity.windows = cli.windows;
  o.validity.stability = cli.stability;
  o.validity.max_rate_error = cli.max_rate_error;

  o.cost = cost_inputs(cli);
  return o;
}

SyntheticWorkload synthetic_workload(const PerfCliOptions& cli) {
  SyntheticWorkload w;
  w.images = cli.images;
  std::tie(w.image_width, w.image_height) = parse_image_size(cli.image_size);
  w.image_format = cli.image_format;
  w.prompt_tokens = cli.prompt_tokens;
  w.output_tokens = cli.output_tokens;
  w.seed = cli.seed;
  return w;
}

ModelConfig perf_model_config(const PerfCliOptions& cli, bool& patched) {
  const ConfigNode file(JsonSource::from_file(cli.model));
  ModelConfig model = load_model_config(file);
  const bool http =
      model.backend == "openai" || model.backend == "gemini" || model.backend == "anthropic";
  if (cli.ignore_eos && model.backend != "openai") {
    throw InputError(Location{"--ignore-eos", 0, ""},
                     fmt::format("ignore_eos is an OpenAI-compatible server option; model '{}' "
                                 "uses the {} backend",
                                 model.name, model.backend));
  }
  patched = false;
  if (!http) return model;
  nlohmann::json doc = file.json();
  auto& options = doc["options"];
  if (!options.is_object()) options = nlohmann::json::object();
  if (options.value("stream", false) && !cli.ignore_eos) return model;
  options["stream"] = true;
  if (cli.ignore_eos) options["extra_body"]["ignore_eos"] = true;
  patched = true;
  const auto& source = file.source();
  return load_model_config(ConfigNode(JsonSource::from_value(
      std::move(doc), source.name() + " (with lmmbench perf's stream/ignore_eos)", 0,
      source.base_dir())));
}

void check_prometheus_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority_start);
  if (url.substr(authority_start, authority_end - authority_start).find('@') != std::string::npos ||
      url.find('?') != std::string::npos) {
    throw InputError(Location{"--prometheus", 0, ""},
                     "the URL must not contain credentials or a query string (it is recorded "
                     "in run.json)");
  }
}

void check_nvml_interval(const PerfCliOptions& cli) {
  if (cli.nvml) {
    if (cli.nvml_interval_ms < 1) {
      throw InputError(Location{"--nvml-interval-ms", 0, ""}, "must be >= 1");
    }
  } else if (cli.nvml_interval_ms != PerfCliOptions{}.nvml_interval_ms) {
    throw InputError(Location{"--nvml-interval-ms", 0, ""}, "samples GPU telemetry: add --nvml");
  }
}

}  // namespace lmmbench::harness::perf
