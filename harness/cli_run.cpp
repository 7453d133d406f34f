#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "harness/cli_commands.hpp"
#include "harness/interrupt.hpp"
#include "harness/runner.hpp"
#include "reports/markdown.hpp"

namespace lmmbench::harness {

namespace {

struct RunArguments {
  RunOptions options;
  std::string config_path;
  std::string out;
  std::string models;
  std::string tasks;
  std::string shard;
  std::string rejudge;
  std::size_t limit = 0;
  std::size_t concurrency = 0;
  bool quiet = false;
};

int run_command(RunArguments& args) {
  RunOptions& options = args.options;
  options.config_path = args.config_path;
  if (!args.out.empty()) options.out = args.out;
  options.models = split_list(args.models);
  options.tasks = split_list(args.tasks);
  if (args.limit > 0) options.limit = args.limit;
  if (!args.shard.empty())
    std::tie(options.shard_index, options.shard_count) = parse_shard(args.shard);
  if (args.concurrency > 0) options.concurrency = args.concurrency;
  if (!args.rejudge.empty()) options.rejudge = args.rejudge;
  options.progress = !args.quiet;

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
  if (result.cells_over_budget > 0) {
    std::cerr << fmt::format(
        "error: {} cell{} over the error budget (max_error_rate): failed samples are not a "
        "measurement\n",
        result.cells_over_budget, result.cells_over_budget == 1 ? " is" : "s are");
  }
  return result.cell_failed || result.backend_stopped || result.cells_over_budget > 0
             ? kExitCheckFailed
             : kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArguments>();
  auto* cmd = app.add_subcommand("run", "Run models x tasks from a run config");
  cmd->add_option("config", args->config_path, "Run config (JSON)")->required();
  cmd->add_option("--out", args->out, "Run directory (default: <output_dir>/<UTC time>)");
  cmd->add_option("--models", args->models, "Comma-separated model names to run");
  cmd->add_option("--tasks", args->tasks, "Comma-separated task names to run");
  cmd->add_option("--limit", args->limit, "First N samples of each task")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shard", args->shard,
                  "Run shard I of N (I/N, 0-based); shards cover every sample once");
  cmd->add_flag("--resume", args->options.resume,
                "Continue the run in --out (or the latest), reusing logged answers");
  cmd->add_option("--concurrency", args->concurrency,
                  "Requests in flight per cell (overrides the config)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--fsync", args->options.fsync, "fdatasync the prediction log after every answer");
  cmd->add_flag("!--no-cache", args->options.use_cache,
                "Neither read nor write the response cache of remote models");
  cmd->add_flag("--refresh-cache", args->options.refresh_cache,
                "Ask remote models again and overwrite their cached answers");
  cmd->add_option("--rejudge", args->rejudge,
                  "Judge the judge-scored tasks with this model config (with --resume: re-judge "
                  "a run without asking its models again)");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress lines on stderr");
  return Command{cmd, [args] { return run_command(*args); }};
}

}  // namespace lmmbench::harness
