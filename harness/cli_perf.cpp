// `lmmbench perf`: serving latency, throughput, goodput and cost of a model behind a backend
// (docs/perf.md).
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/resource_paths.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "harness/cli_commands.hpp"
#include "harness/config.hpp"
#include "harness/host.hpp"
#include "harness/interrupt.hpp"
#include "harness/perf/benchmark.hpp"
#include "harness/perf/nvml.hpp"
#include "harness/perf/prometheus.hpp"
#include "harness/perf/workload.hpp"
#include "harness/prices.hpp"
#include "harness/registry.hpp"
#include "harness/run_directory.hpp"
#include "harness/runner.hpp"
#include "models/gpu/gpu_table.hpp"
#include "reports/markdown.hpp"
#include "reports/run_record.hpp"
#include "reports/views.hpp"

namespace lmmbench::harness {

namespace {

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

std::vector<double> parse_numbers(const std::string& text, const char* option) {
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

std::pair<int, int> parse_size(const std::string& text) {
  const auto parts = split(ascii_lower(text), 'x');
  std::vector<double> numbers;
  // One number per part: "64x" and "64,64" are refused, not read as 64x64.
  for (const auto& part : parts) {
    const auto n = parse_numbers(part, "--image-size");
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

/// The model config, with the options perf needs: token events (stream) on the HTTP backends, and
/// the server's ignore_eos through the openai backend's extra_body.
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

perf::PerfOptions perf_options(const PerfCliOptions& cli) {
  perf::PerfOptions o;
  o.scenario = cli.scenario;
  o.requests = cli.requests;
  o.warmup = cli.warmup;
  o.seed = cli.seed;
  o.concurrency = cli.concurrency;
  o.request_rate = cli.request_rate;
  const auto process = perf::parse_arrival_process(cli.arrival);
  if (!process) {
    throw InputError(Location{"--arrival", 0, ""},
                     fmt::format("'{}' is not poisson, gamma, constant or trace", cli.arrival));
  }
  o.arrival.process = *process;
  o.arrival.burstiness = cli.burstiness;
  if (!cli.trace.empty()) {
    if (o.arrival.process != perf::ArrivalProcess::trace && cli.arrival != "poisson") {
      throw InputError(Location{"--trace", 0, ""}, "--trace replays a trace: leave --arrival out");
    }
    o.arrival.process = perf::ArrivalProcess::trace;
    o.arrival.trace_s = perf::read_trace(cli.trace);
  } else if (o.arrival.process == perf::ArrivalProcess::trace) {
    throw InputError(Location{"--arrival", 0, ""}, "--arrival trace needs --trace FILE");
  }
  if (o.scenario == "rate" && o.arrival.process == perf::ArrivalProcess::trace && cli.duration_s) {
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
  } else if (o.arrival.process == perf::ArrivalProcess::trace) {
    o.requests = std::min(o.requests, o.arrival.trace_s.size());
  }
  if (!cli.rates.empty()) o.sweep_rates = parse_numbers(cli.rates, "--rates");
  if (!cli.concurrencies.empty()) {
    for (const double v : parse_numbers(cli.concurrencies, "--concurrencies")) {
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

  if (!cli.gpu.empty() || cli.price) {
    perf::CostInputs cost;
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
    o.cost = cost;
  } else if (cli.power_w) {
    throw InputError(Location{"--power-w", 0, ""}, "the energy figure needs --gpu or --price");
  }
  return o;
}

/// The backend model's token prices from the --prices table; an InputError when it has none.
perf::TokenPrices token_prices(const PerfCliOptions& cli, const models::Backend& backend,
                               const ModelConfig& model) {
  const auto table = PriceTable::load(cli.prices);
  const std::string id = backend.pricing_model();
  const auto price = table.find(id);
  if (!price) {
    throw InputError(Location{"--prices", 0, ""},
                     id.empty() ? fmt::format("model '{}' ({} backend) is not priced per token",
                                              model.name, model.backend)
                                : fmt::format("{} has no price for model id '{}'", cli.prices, id));
  }
  return perf::TokenPrices{price->first, table.as_of(), price->second.input_per_mtok,
                           price->second.output_per_mtok};
}

int perf_command(const PerfCliOptions& cli) {
  perf::PerfOptions options = perf_options(cli);
  bool patched = false;
  const ModelConfig model = perf_model_config(cli, patched);
  const Clock clock;
  const models::BackendContext context{clock, cli.seed};
  if (patched) {
    // Options errors are reported at their line in the file as written.
    (void)Registry::builtin().create_backend(
        load_model_config(ConfigNode(JsonSource::from_file(cli.model))), context);
  }
  auto backend = Registry::builtin().create_backend(model, context);
  if (!cli.prices.empty()) options.token_prices = token_prices(cli, *backend, model);
  std::unique_ptr<perf::PrometheusObserver> prometheus;
  if (!cli.prometheus.empty()) {
    // The URL is recorded in run.json and printed: like a model's base_url, it may not carry
    // credentials (put the endpoint behind a local proxy instead).
    const auto scheme_end = cli.prometheus.find("://");
    const auto authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    const auto authority_end = cli.prometheus.find_first_of("/?#", authority_start);
    if (cli.prometheus.substr(authority_start, authority_end - authority_start).find('@') !=
            std::string::npos ||
        cli.prometheus.find('?') != std::string::npos) {
      throw InputError(Location{"--prometheus", 0, ""},
                       "the URL must not contain credentials or a query string (it is recorded "
                       "in run.json)");
    }
#ifdef LMMBENCH_WITH_HTTP
    prometheus = std::make_unique<perf::PrometheusObserver>(cli.prometheus, [url = cli.prometheus] {
      return perf::scrape_prometheus(url, std::chrono::seconds(5));
    });
    options.observers.push_back(prometheus.get());
#else
    throw InputError(Location{"--prometheus", 0, ""},
                     "this lmmbench was built without HTTP support (LMMBENCH_WITH_HTTP=OFF)");
#endif
  }
  std::unique_ptr<perf::GpuTelemetryObserver> telemetry;
  if (cli.nvml) {
    if (cli.nvml_interval_ms < 1) {
      throw InputError(Location{"--nvml-interval-ms", 0, ""}, "must be >= 1");
    }
    auto source = perf::nvml_source();
    if (!source.unavailable.empty())
      std::cerr << "note: GPU telemetry: " << source.unavailable << '\n';
    telemetry = std::make_unique<perf::GpuTelemetryObserver>(
        std::move(source), std::chrono::milliseconds(cli.nvml_interval_ms));
    options.observers.push_back(telemetry.get());
  } else if (cli.nvml_interval_ms != PerfCliOptions{}.nvml_interval_ms) {
    throw InputError(Location{"--nvml-interval-ms", 0, ""}, "samples GPU telemetry: add --nvml");
  }
  if (!backend->capabilities().streaming) {
    std::cerr << fmt::format(
        "note: backend '{}' does not stream: TTFT, TPOT and ITL are not "
        "measured\n",
        model.backend);
  }

  perf::RequestSource source;
  nlohmann::json workload;
  std::optional<TaskConfig> task;
  if (!cli.task.empty()) {
    task = load_task_config(ConfigNode(JsonSource::from_file(cli.task)));
    std::optional<std::int64_t> max_tokens;
    // An explicit --output-tokens overrides the task's generation.max_tokens.
    if (cli.output_tokens != PerfCliOptions{}.output_tokens) max_tokens = cli.output_tokens;
    workload = {{"kind", "task"},
                {"task", task->name},
                {"task_config", cli.task},
                {"max_tokens", max_tokens ? nlohmann::json(*max_tokens)
                                          : nlohmann::json(task->generation.max_tokens)}};
    const auto& caps = backend->capabilities();
    source = [&task, &caps, max_tokens, &workload](std::size_t n, std::uint64_t seed) {
      std::size_t skipped = 0;
      auto requests = perf::task_requests(*task, caps, n, seed, max_tokens, skipped);
      workload["skipped_samples"] = skipped;
      return requests;
    };
  } else {
    perf::SyntheticWorkload w;
    w.images = cli.images;
    std::tie(w.image_width, w.image_height) = parse_size(cli.image_size);
    w.image_format = cli.image_format;
    w.prompt_tokens = cli.prompt_tokens;
    w.output_tokens = cli.output_tokens;
    w.seed = cli.seed;
    workload = perf::describe(w);
    workload["ignore_eos"] = cli.ignore_eos;
    source = [w](std::size_t n, std::uint64_t seed) {
      auto copy = w;
      copy.seed = seed;
      return perf::synthetic_requests(copy, n);
    };
  }

  // Taken before measuring: two runs never write one --out directory.
  std::optional<RunDirectory> out_dir;
  if (!cli.out.empty()) out_dir.emplace(cli.out, "perf");
  install_interrupt_handlers();
  auto outcome = perf::run_perf(options, *backend, clock, source, std::cerr, &stop_requested);
  backend.reset();  // every callback has returned; the transport thread stops
  telemetry.reset();
  if (outcome.warmup_failed) {
    std::cerr << "error: every warm-up request failed, so nothing was measured (no level run, "
                 "no run.json written): "
              << *outcome.warmup_failed << '\n';
    return kExitCheckFailed;
  }
  auto& section = outcome.section;
  for (const auto& L : section.levels) {
    if (!L.server_metrics) continue;
    for (const auto& note : L.server_metrics->notes)
      std::cerr << "note: server metrics: " << note << '\n';
  }
  section.model = model.name;
  section.workload = workload;
  section.schedule["trace"] =
      cli.trace.empty() ? nlohmann::json(nullptr) : nlohmann::json(cli.trace);

  if (out_dir) {
    section.requests_file = "requests.jsonl";
    std::string lines;
    for (const auto& line : outcome.request_lines)
      lines += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
    out_dir->write(section.requests_file, lines);
    auto& record = out_dir->record();
    record.config_path = cli.model;
    record.seed = cli.seed;
    record.resolved_config = {
        {"model", model.resolved},      {"perf_options_patched", patched},
        {"scenario", section.scenario}, {"workload", section.workload},
        {"schedule", section.schedule}, {"slos", section.slos},
        {"validity", section.validity}, {"task", task ? task->resolved : nlohmann::json(nullptr)}};
    record.config_sha256 = sha256_hex(record.resolved_config.dump());
    record.perf = section;
    out_dir->finish(outcome.interrupted ? "interrupted" : "complete");
    std::cerr << "Results: " << (out_dir->dir() / kRecordFile).string() << '\n';
  }

  if (cli.json) {
    if (section.scenario == "sweep") {
      auto list = nlohmann::json::array();
      for (std::size_t i = 0; i < section.levels.size(); ++i) {
        auto j = reports::perf_level_summary(section.levels[i]);
        j["best"] = section.best_level == i;
        list.push_back(std::move(j));
      }
      std::cout << list.dump(2) << '\n';
    } else if (!section.levels.empty()) {
      std::cout << reports::perf_level_summary(section.levels.front()).dump(2) << '\n';
    }
  } else {
    reports::render_section_markdown(reports::perf_view(section), std::cout);
  }

  if (outcome.interrupted) return kExitInterrupted;
  if (section.scenario == "sweep") return section.best_level ? kExitOk : kExitCheckFailed;
  const bool all_valid = std::all_of(section.levels.begin(), section.levels.end(),
                                     [](const auto& L) { return L.valid; });
  return all_valid && !section.levels.empty() ? kExitOk : kExitCheckFailed;
}

}  // namespace

Command add_perf_command(CLI::App& app) {
  auto o = std::make_shared<PerfCliOptions>();
  auto* cmd = app.add_subcommand(
      "perf", "Serving latency, throughput, goodput and cost of a model (docs/perf.md)");
  cmd->add_option("model", o->model, "Model config (JSON), or the name of one in configs/models/")
      ->required();
  cmd->add_option("--scenario", o->scenario, "offline, rate, concurrency or sweep")
      ->capture_default_str();
  cmd->add_option("--requests", o->requests, "Measured requests per level")->capture_default_str();
  cmd->add_option("--duration", o->duration_s,
                  "rate: run this many seconds (requests = rate x duration + 1)");
  cmd->add_option("--warmup", o->warmup, "Warm-up requests, sent first and not measured")
      ->capture_default_str();
  cmd->add_option("--request-rate", o->request_rate, "rate: target arrivals per second");
  cmd->add_option("--arrival", o->arrival, "rate: poisson, gamma, constant or trace")
      ->capture_default_str();
  cmd->add_option("--burstiness", o->burstiness,
                  "gamma: shape k (1 = Poisson; < 1 burstier, > 1 smoother)")
      ->capture_default_str();
  cmd->add_option("--trace", o->trace, "rate: replay these send times (seconds, one per line)");
  cmd->add_option("--concurrency", o->concurrency,
                  "concurrency: requests in flight; offline and rate: a cap");
  cmd->add_option("--rates", o->rates, "sweep: request rates, comma-separated");
  cmd->add_option("--concurrencies", o->concurrencies, "sweep: concurrencies, comma-separated");
  cmd->add_option("--task", o->task, "Send this task's samples (task config JSON)");
  cmd->add_option("--images", o->images, "Synthetic: images per request")->capture_default_str();
  cmd->add_option("--image-size", o->image_size, "Synthetic: SIDE or WIDTHxHEIGHT")
      ->capture_default_str();
  cmd->add_option("--image-format", o->image_format, "Synthetic: jpeg or png")
      ->capture_default_str();
  cmd->add_option("--prompt-tokens", o->prompt_tokens, "Synthetic: prompt words (~tokens)")
      ->capture_default_str();
  cmd->add_option("--output-tokens", o->output_tokens, "max_tokens of every request")
      ->capture_default_str();
  cmd->add_flag("--ignore-eos", o->ignore_eos,
                "Ask the server to generate exactly max_tokens (openai backend's extra_body)");
  cmd->add_option("--seed", o->seed, "Seed of the workload and the arrivals")
      ->capture_default_str();
  cmd->add_option("--slo-ttft-ms", o->slo_ttft_ms, "Goodput: TTFT objective (ms)");
  cmd->add_option("--slo-tpot-ms", o->slo_tpot_ms, "Goodput: TPOT objective (ms)");
  cmd->add_option("--slo-e2e-ms", o->slo_e2e_ms, "Goodput: end-to-end objective (ms)");
  cmd->add_option("--slo-attainment", o->slo_attainment,
                  "Share of requests that must meet the SLOs for a level to pass")
      ->capture_default_str();
  cmd->add_option("--min-duration", o->min_duration_s, "Validity: minimum seconds per level")
      ->capture_default_str();
  cmd->add_option("--min-requests", o->min_requests, "Validity: minimum requests per level")
      ->capture_default_str();
  cmd->add_option("--max-failed", o->max_failed, "Validity: largest share of failed requests")
      ->capture_default_str();
  cmd->add_option("--windows", o->windows, "Validity: steady-state windows")->capture_default_str();
  cmd->add_option("--stability", o->stability,
                  "Validity: largest relative deviation of a window from their mean")
      ->capture_default_str();
  cmd->add_option("--max-rate-error", o->max_rate_error,
                  "Validity: largest relative error of the achieved arrival rate")
      ->capture_default_str();
  cmd->add_option("--gpu", o->gpu, "Cost: GPU kind from the GPU table (its price and TDP)");
  cmd->add_option("--gpu-count", o->gpu_count, "Cost: GPUs serving the model")
      ->capture_default_str();
  cmd->add_option("--price", o->price, "Cost: US dollars per GPU-hour (overrides the table)");
  cmd->add_option("--power-w", o->power_w, "Cost: measured power per GPU in watts");
  cmd->add_option("--gpu-table", o->gpu_table,
                  "The GPU table (default: gpus.json of the config dirs)");
  cmd->add_option("--prices", o->prices,
                  "Cost: API token prices (configs/prices.json) for the backend's model id");
  cmd->add_option("--prometheus", o->prometheus,
                  "Scrape this Prometheus /metrics URL before and after each level (server-side "
                  "counters, histograms, gauges)");
  cmd->add_flag("--nvml", o->nvml,
                "Sample local GPUs through NVML during each level (power, energy, clocks, memory, "
                "utilisation); measured power replaces --power-w/TDP in the cost");
  cmd->add_option("--nvml-interval-ms", o->nvml_interval_ms, "--nvml: sampling interval (ms)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the results as JSON on stdout");
  cmd->add_option("--out", o->out, "Write DIR/run.json (perf section) and DIR/requests.jsonl");
  return Command{cmd, [o] {
                   // Files may be named as shipped configs: "llava-1.5-7b-vllm", "prices.json" (the
                   // config search path, core/resource_paths.hpp).
                   PerfCliOptions cli = *o;
                   cli.model = resolve_config_file(cli.model, "models").string();
                   if (!cli.prices.empty())
                     cli.prices = resolve_config_file(cli.prices, ".").string();
                   if (!cli.gpu.empty()) {
                     cli.gpu_table = cli.gpu_table.empty()
                                         ? find_config("gpus.json").string()
                                         : resolve_config_file(cli.gpu_table, ".").string();
                   }
                   return perf_command(cli);
                 }};
}

}  // namespace lmmbench::harness
