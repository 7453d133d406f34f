// `lmmbench perf`: serving latency, throughput, goodput and cost of a model behind a backend
// (docs/perf.md).
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/resource_paths.hpp"
#include "core/sha256.hpp"
#include "harness/cli_commands.hpp"
#include "harness/config.hpp"
#include "harness/host.hpp"
#include "harness/interrupt.hpp"
#include "harness/perf/benchmark.hpp"
#include "harness/perf/nvml.hpp"
#include "harness/perf/options.hpp"
#include "harness/perf/prometheus.hpp"
#include "harness/perf/workload.hpp"
#include "harness/prices.hpp"
#include "harness/registry.hpp"
#include "harness/run_directory.hpp"
#include "harness/runner.hpp"
#include "reports/markdown.hpp"
#include "reports/run_record.hpp"
#include "reports/views.hpp"

namespace lmmbench::harness {

namespace {

using perf::PerfCliOptions;

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

/// The server-side observers of each level that the flags ask for (--prometheus, --nvml), added
/// to options.observers; they must outlive the run.
struct PerfObservers {
  PerfObservers(const PerfCliOptions& cli, perf::PerfOptions& options) {
    if (!cli.prometheus.empty()) {
      // Put an endpoint that needs credentials behind a local proxy.
      perf::check_prometheus_url(cli.prometheus);
#ifdef LMMBENCH_WITH_HTTP
      prometheus = std::make_unique<perf::PrometheusObserver>(
          cli.prometheus,
          [url = cli.prometheus] { return perf::scrape_prometheus(url, std::chrono::seconds(5)); });
      options.observers.push_back(prometheus.get());
#else
      throw InputError(Location{"--prometheus", 0, ""},
                       "this lmmbench was built without HTTP support (LMMBENCH_WITH_HTTP=OFF)");
#endif
    }
    perf::check_nvml_interval(cli);
    if (cli.nvml) {
      auto source = perf::nvml_source();
      if (!source.unavailable.empty())
        std::cerr << "note: GPU telemetry: " << source.unavailable << '\n';
      telemetry = std::make_unique<perf::GpuTelemetryObserver>(
          std::move(source), std::chrono::milliseconds(cli.nvml_interval_ms));
      options.observers.push_back(telemetry.get());
    }
  }

  std::unique_ptr<perf::PrometheusObserver> prometheus;
  std::unique_ptr<perf::GpuTelemetryObserver> telemetry;
};

/// What the run sends: the samples of --task, or synthetic requests; `description` goes into the
/// section. `source` refers to this object, which therefore neither moves nor copies.
struct PerfWorkload {
  PerfWorkload(const PerfCliOptions& cli, const models::Capabilities& caps) {
    if (!cli.task.empty()) {
      task = load_task_config(ConfigNode(JsonSource::from_file(cli.task)));
      std::optional<std::int64_t> max_tokens;
      // An explicit --output-tokens overrides the task's generation.max_tokens.
      if (cli.output_tokens != PerfCliOptions{}.output_tokens) max_tokens = cli.output_tokens;
      description = {{"kind", "task"},
                     {"task", task->name},
                     {"task_config", cli.task},
                     {"max_tokens", max_tokens ? nlohmann::json(*max_tokens)
                                               : nlohmann::json(task->generation.max_tokens)}};
      source = [this, &caps, max_tokens](std::size_t n, std::uint64_t seed) {
        std::size_t skipped = 0;
        auto requests = perf::task_requests(*task, caps, n, seed, max_tokens, skipped);
        description["skipped_samples"] = skipped;
        return requests;
      };
    } else {
      const perf::SyntheticWorkload w = perf::synthetic_workload(cli);
      description = perf::describe(w);
      description["ignore_eos"] = cli.ignore_eos;
      source = [w](std::size_t n, std::uint64_t seed) {
        auto copy = w;
        copy.seed = seed;
        return perf::synthetic_requests(copy, n);
      };
    }
  }
  PerfWorkload(const PerfWorkload&) = delete;
  PerfWorkload& operator=(const PerfWorkload&) = delete;

  perf::RequestSource source;
  nlohmann::json description;  ///< `source` adds the task's skipped samples.
  std::optional<TaskConfig> task;
};

/// The results on stdout: --json prints each level's summary (a sweep: an array with the best
/// marked), otherwise the Markdown tables.
void print_results(const reports::PerfSection& section, bool json) {
  if (!json) {
    reports::render_section_markdown(reports::perf_view(section), std::cout);
    return;
  }
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
}

/// 0 when every level is valid (a sweep: when one level is best), 130 when interrupted, else 1.
int exit_code(const reports::PerfSection& section, bool interrupted) {
  if (interrupted) return kExitInterrupted;
  if (section.scenario == "sweep") return section.best_level ? kExitOk : kExitCheckFailed;
  const bool all_valid = std::all_of(section.levels.begin(), section.levels.end(),
                                     [](const auto& L) { return L.valid; });
  return all_valid && !section.levels.empty() ? kExitOk : kExitCheckFailed;
}

int perf_command(const PerfCliOptions& cli) {
  perf::PerfOptions options = perf::benchmark_options(cli);
  options.request_lines = !cli.out.empty();  // only --out writes them
  bool patched = false;
  const ModelConfig model = perf::perf_model_config(cli, patched);
  const Clock clock;
  const models::BackendContext context{clock, cli.seed};
  if (patched) {
    // Options errors are reported at their line in the file as written.
    (void)Registry::builtin().create_backend(
        load_model_config(ConfigNode(JsonSource::from_file(cli.model))), context);
  }
  auto backend = Registry::builtin().create_backend(model, context);
  if (!cli.prices.empty()) options.token_prices = token_prices(cli, *backend, model);
  PerfObservers observers(cli, options);
  if (!backend->capabilities().streaming) {
    std::cerr << fmt::format(
        "note: backend '{}' does not stream: TTFT, TPOT and ITL are not "
        "measured\n",
        model.backend);
  }

  PerfWorkload workload(cli, backend->capabilities());
  const std::optional<TaskConfig>& task = workload.task;

  // Taken before measuring: two runs never write one --out directory.
  std::optional<RunDirectory> out_dir;
  if (!cli.out.empty()) out_dir.emplace(cli.out, "perf");
  install_interrupt_handlers();
  auto outcome =
      perf::run_perf(options, *backend, clock, workload.source, std::cerr, &stop_requested);
  backend.reset();  // every callback has returned; the transport thread stops
  observers.telemetry.reset();
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
  section.workload = workload.description;
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

  print_results(section, cli.json);
  return exit_code(section, outcome.interrupted);
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
