#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "harness/cli_commands.hpp"
#include "harness/slurm.hpp"

namespace lmmbench::harness {

namespace {

struct SlurmArguments {
  SlurmOptions options;
  std::string config;
  std::size_t shards = 0;
  std::string out;
  std::string models;
  std::string tasks;
  std::size_t limit = 0;
  std::string lmmbench;
  std::string sbatch = "sbatch";
  bool print = false;
  bool submit = false;
};

int slurm_command(SlurmArguments& args) {
  SlurmOptions& options = args.options;
  options.plan = plan_shards(args.config, args.shards, args.out, split_list(args.models),
                             split_list(args.tasks), args.limit);
  options.lmmbench = args.lmmbench.empty() ? std::filesystem::read_symlink("/proc/self/exe")
                                           : std::filesystem::path(args.lmmbench);
  const SlurmScripts scripts = render_slurm_scripts(options);
  const auto dir = options.plan.out / "slurm";
  const std::vector<std::pair<std::filesystem::path, const std::string*>> files = {
      {dir / "array.sbatch", &scripts.array},
      {dir / "merge.sbatch", &scripts.merge},
      {dir / "submit.sh", &scripts.submit}};

  if (args.print) {
    for (const auto& [path, text] : files)
      std::cout << "# ==> " << path.string() << " <==\n" << *text << '\n';
    return kExitOk;
  }
  // Slurm opens the log files before a job starts: their directory must exist.
  std::filesystem::create_directories(dir / "logs");
  std::filesystem::create_directories(options.plan.shards_dir());
  for (const auto& [path, text] : files)
    write_file_atomic(path, *text);
  std::filesystem::permissions(dir / "submit.sh",
                               std::filesystem::perms::owner_exec |
                                   std::filesystem::perms::group_exec |
                                   std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  if (!args.submit) {
    std::cout << fmt::format("Wrote {}/{{array.sbatch,merge.sbatch,submit.sh}}\nSubmit with: {}\n",
                             dir.string(), shell_quote((dir / "submit.sh").string()));
    return kExitOk;
  }
  const auto [array, merge] =
      submit_slurm_jobs(args.sbatch, dir / "array.sbatch", dir / "merge.sbatch");
  const nlohmann::json submitted = {
      {"array_job", array}, {"merge_job", merge}, {"shards", options.plan.shard_count}};
  write_file_atomic(dir / "submitted.json", submitted.dump(2) + "\n");
  std::cout << fmt::format(
      "Submitted array job {} ({} shards) and merge job {} (afterok:{})\nLogs: {}\nMerged run: "
      "{}\n",
      array, options.plan.shard_count, merge, array, (dir / "logs").string(),
      options.plan.merged_dir().string());
  return kExitOk;
}

}  // namespace

Command add_slurm_command(CLI::App& app) {
  auto args = std::make_shared<SlurmArguments>();
  auto* cmd = app.add_subcommand(
      "slurm",
      "Write (and with --submit, submit) a Slurm job array, one element per shard of "
      "`run --shard I/N --resume`, and a merge job that runs when every element succeeded");
  cmd->add_option("config", args->config, "Run config (JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--shards", args->shards, "Number of shards (array elements)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", args->out,
                  "Job directory on a file system every node sees: slurm/ (scripts, logs), "
                  "shards/I, merged/")
      ->required();
  cmd->add_option("--partition", args->options.partition, "Slurm partition");
  cmd->add_option("--account", args->options.account, "Slurm account");
  cmd->add_option("--qos", args->options.qos, "Slurm QOS");
  cmd->add_option("--time", args->options.time, "Time limit per shard (Slurm syntax, 4:00:00)");
  cmd->add_option("--gpus-per-shard", args->options.gpus_per_shard,
                  "GPUs per shard (--gres=gpu:G)");
  cmd->add_option("--cpus-per-shard", args->options.cpus_per_shard, "CPUs per shard");
  cmd->add_option("--mem", args->options.mem, "Memory per shard (Slurm syntax, 32G)");
  cmd->add_option("--max-parallel", args->options.max_parallel,
                  "Shards running at once (--array=0-N%K)");
  cmd->add_option("--sbatch-option", args->options.sbatch_options,
                  "Another #SBATCH line for both jobs, e.g. --sbatch-option=--constraint=a100 "
                  "(repeatable)");
  cmd->add_option("--models", args->models, "Comma-separated model names every shard runs");
  cmd->add_option("--tasks", args->tasks, "Comma-separated task names every shard runs");
  cmd->add_option("--limit", args->limit, "First N samples of each task")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--lmmbench", args->lmmbench,
                  "The lmmbench binary on the compute nodes (default: this one)");
  cmd->add_option("--sbatch", args->sbatch, "The sbatch program --submit runs");
  auto* print =
      cmd->add_flag("--print", args->print, "Print the scripts; write and submit nothing");
  cmd->add_flag("--submit", args->submit, "Submit the array and the merge job with sbatch")
      ->excludes(print);
  return Command{cmd, [args] { return slurm_command(*args); }};
}

}  // namespace lmmbench::harness
