#include <iostream>
#include <memory>

#include "harness/cli_commands.hpp"
#include "harness/merge.hpp"
#include "reports/markdown.hpp"

namespace lmmbench::harness {

namespace {

struct MergeArguments {
  std::vector<std::string> shards;
  std::string out;
  std::string config;
  bool quiet = false;
};

int merge_command(const MergeArguments& args) {
  MergeOptions options;
  options.shard_dirs.assign(args.shards.begin(), args.shards.end());
  options.out = args.out;
  if (!args.config.empty()) options.config_path = args.config;
  const MergeResult result = merge_shards(options);
  if (!args.quiet) {
    reports::render_markdown_table(result.record, std::cout);
    std::cout << '\n';
  }
  std::cout << "Results: " << (result.run_dir / "run.json").string() << '\n';
  if (result.cells_over_budget > 0) {
    std::cerr << result.cells_over_budget
              << " merged cell(s) over the error budget (max_error_rate)\n";
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_merge_command(CLI::App& app) {
  auto args = std::make_shared<MergeArguments>();
  auto* cmd = app.add_subcommand(
      "merge",
      "Merge the run directories of `run --shard I/N` (every shard, each finished) into one run "
      "equal to the unsharded run; exit 2 when the shards do not belong together");
  cmd->add_option("shards", args->shards, "Shard run directories")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", args->out, "The merged run directory (must be absent or empty)")
      ->required();
  cmd->add_option("--config", args->config,
                  "The run config (default: the path the shards' run.json names)");
  cmd->add_flag("-q,--quiet", args->quiet, "No results table on stdout");
  return Command{cmd, [args] { return merge_command(*args); }};
}

}  // namespace lmmbench::harness
