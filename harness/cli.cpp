#include "harness/cli.hpp"

#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/jsonl.hpp"
#include "core/text.hpp"
#include "datasets/image_io.hpp"
#include "harness/config.hpp"
#include "harness/interrupt.hpp"
#include "harness/registry.hpp"
#include "harness/runner.hpp"
#include "metrics/score_input.hpp"
#include "reports/markdown.hpp"

namespace lmmbench::harness {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitInputError = 2;
constexpr int kExitInterrupted = 130;

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (auto& part : split(text, ',')) {
    const auto t = trim(part);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

int command_run(const RunOptions& options) {
  install_interrupt_handlers();
  const RunResult result = run_evaluation(options);
  std::cout << '\n';
  reports::render_markdown_table(result.record, std::cout);
  std::cout << "\nResults: " << (result.run_dir / "run.json").string() << '\n';
  if (result.record.tool.build_type != "Release" || !result.record.tool.sanitizers.empty()) {
    std::cerr << "warning: this is a " << result.record.tool.build_type
              << (result.record.tool.sanitizers.empty() ? "" : " + sanitizer")
              << " build: scores are valid, timings are not\n";
  }
  if (result.interrupted) {
    std::cerr << fmt::format("interrupted: continue with  lmmbench run {} --resume --out {}\n",
                             options.config_path.string(), result.run_dir.string());
    return kExitInterrupted;
  }
  if (result.input_error) return kExitInputError;
  return result.cell_failed ? kExitCheckFailed : kExitOk;
}

struct ScoreOptions {
  std::string metric;
  std::string variant;
  std::string input;
  std::string per_sample;
};

int command_score(const ScoreOptions& options) {
  const auto metric = Registry::builtin().create_metric(options.metric, options.variant);
  const auto& required = metric->info().required_fields;
  auto aggregator = metric->aggregator();
  std::ofstream per_sample;
  if (!options.per_sample.empty()) {
    per_sample.open(options.per_sample, std::ios::binary | std::ios::trunc);
    if (!per_sample) throw InputError(Location{options.per_sample, 0, ""}, "cannot create file");
  }
  std::string line_text;
  // Streams the input (a file or "-" for stdin); per line only the reused item and the score
  // exist, so memory grows with the aggregator's per-sample scores alone.
  metrics::for_each_scoring_item(options.input, required, [&](const metrics::ScoringItem& item) {
    const auto score = metric->score(item);
    aggregator->add(item, score);
    if (per_sample.is_open()) {
      line_text =
          nlohmann::json{{"id", item.id}, {"score", score.score}, {"extracted", score.extracted}}
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      per_sample << line_text << '\n';
    }
  });
  if (per_sample.is_open()) {
    per_sample.flush();
    if (!per_sample) throw Error("cannot write " + options.per_sample);
  }
  std::cout << nlohmann::json(aggregator->finish()).dump(2) << '\n';
  return kExitOk;
}

/// Reads every *.json under `dir` that parses as a config of the given kind.
void list_configs(const std::filesystem::path& dir, bool tasks) {
  if (!std::filesystem::is_directory(dir)) {
    throw InputError(Location{dir.string(), 0, ""},
                     "config directory not found (use --config-dir)");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const ConfigNode node(JsonSource::from_file(file));
    if (tasks) {
      const auto task = load_task_config(node);
      std::string metrics;
      for (const auto& m : task.metrics) {
        metrics +=
            (metrics.empty() ? "" : ", ") + m.name + (m.variant.empty() ? "" : "/" + m.variant);
      }
      std::cout << fmt::format("{:<24} {:<16} {}  [{}]\n", task.name, metrics, task.description,
                               file.string());
    } else {
      const auto model = load_model_config(node);
      std::cout << fmt::format("{:<24} {:<16} {}  [{}]\n", model.name, model.backend,
                               model.description, file.string());
    }
  }
}

int command_list(const std::string& what, const std::filesystem::path& config_dir) {
  const auto& registry = Registry::builtin();
  if (what == "tasks") {
    list_configs(config_dir / "tasks", true);
  } else if (what == "models") {
    list_configs(config_dir / "models", false);
    std::cout << "\nbackends:\n";
    for (const auto& b : registry.backends())
      std::cout << fmt::format("  {:<22} {}\n", b.name, b.description);
  } else if (what == "metrics") {
    for (const auto& m : registry.metrics()) {
      std::cout << fmt::format("{:<18} variants: {:<36} {}\n", m.name, join(m.variants, ", "),
                               m.description);
    }
  } else if (what == "formats") {
    for (const auto& l : registry.loaders())
      std::cout << fmt::format("{:<22} {}\n", l.name, l.description);
  }
  return kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"lmmbench: evaluate and benchmark large multimodal models", "lmmbench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(build_info().version) + " (" +
                                        std::string(build_info().git_revision) + ")");

  RunOptions run;
  std::string config_path;
  std::string out;
  std::string models;
  std::string tasks;
  std::string shard;
  std::size_t limit = 0;
  std::size_t concurrency = 0;
  bool quiet = false;
  auto* run_cmd = app.add_subcommand("run", "Run models x tasks from a run config");
  run_cmd->add_option("config", config_path, "Run config (JSON)")->required();
  run_cmd->add_option("--out", out, "Run directory (default: <output_dir>/<UTC time>)");
  run_cmd->add_option("--models", models, "Comma-separated model names to run");
  run_cmd->add_option("--tasks", tasks, "Comma-separated task names to run");
  run_cmd->add_option("--limit", limit, "First N samples of each task")->check(CLI::PositiveNumber);
  run_cmd->add_option("--shard", shard,
                      "Run shard I of N (I/N, 0-based); shards cover every sample once");
  run_cmd->add_flag("--resume", run.resume,
                    "Continue the run in --out (or the latest), reusing logged answers");
  run_cmd
      ->add_option("--concurrency", concurrency,
                   "Requests in flight per cell (overrides the config)")
      ->check(CLI::PositiveNumber);
  run_cmd->add_flag("--fsync", run.fsync, "fdatasync the prediction log after every answer");
  run_cmd->add_flag("-q,--quiet", quiet, "No progress lines on stderr");

  ScoreOptions score;
  auto* score_cmd =
      app.add_subcommand("score", "Score a JSONL of predictions with one metric; prints JSON");
  score_cmd->add_option("--metric", score.metric, "Metric name (lmmbench list metrics)")
      ->required();
  score_cmd->add_option("--variant", score.variant,
                        "Metric variant (default: the primary reference)");
  score_cmd->add_option("--input", score.input, "Input JSONL ('-' for stdin)")->required();
  score_cmd->add_option("--per-sample", score.per_sample,
                        "Write {id, score, extracted} per line here");

  std::string what;
  std::string config_dir = "configs";
  auto* list_cmd = app.add_subcommand("list", "List tasks, models, metrics or dataset formats");
  list_cmd->add_option("what", what, "tasks | models | metrics | formats")
      ->required()
      ->check(CLI::IsMember({"tasks", "models", "metrics", "formats"}));
  list_cmd->add_option("--config-dir", config_dir, "Directory holding tasks/ and models/");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInputError;
  }

  try {
    if (*run_cmd) {
      run.config_path = config_path;
      if (!out.empty()) run.out = out;
      run.models = split_list(models);
      run.tasks = split_list(tasks);
      if (limit > 0) run.limit = limit;
      if (!shard.empty()) std::tie(run.shard_index, run.shard_count) = parse_shard(shard);
      if (concurrency > 0) run.concurrency = concurrency;
      run.progress = !quiet;
      return command_run(run);
    }
    if (*score_cmd) return command_score(score);
    if (*list_cmd) return command_list(what, config_dir);
  } catch (const InputError& e) {
    std::cerr << "error: " << e.what() << '\n';
    return kExitInputError;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return kExitInputError;
  }
  return kExitInputError;
}

}  // namespace lmmbench::harness
