#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace lmmbench::harness {

/// Exit codes of every command (decided only in the CLI layer): 0 success, 1 a check failed (a
/// cell failed, a regression), 2 usage or input error, 130 interrupted.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitInputError = 2;
inline constexpr int kExitInterrupted = 130;

/// One subcommand: its CLI11 node (options bound to state the command owns) and what runs when it
/// was chosen. `run` may throw; run_cli maps InputError and other exceptions to exit code 2.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

/// Each adds its subcommand to `app`. One file per command: harness/cli_<name>.cpp.
Command add_run_command(CLI::App& app);
Command add_score_command(CLI::App& app);
Command add_report_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_list_command(CLI::App& app);
Command add_datasets_command(CLI::App& app);
Command add_gpu_command(CLI::App& app);
Command add_perf_command(CLI::App& app);
Command add_merge_command(CLI::App& app);
Command add_slurm_command(CLI::App& app);
Command add_k8s_command(CLI::App& app);
Command add_train_cost_command(CLI::App& app);

/// "a, b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& text);

}  // namespace lmmbench::harness
