#include "harness/cli.hpp"

#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "harness/cli_commands.hpp"

namespace lmmbench::harness {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (auto& part : split(text, ',')) {
    const auto t = trim(part);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

int run_cli(int argc, char** argv) {
  CLI::App app{"lmmbench: evaluate and benchmark large multimodal models", "lmmbench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(build_info().version) + " (" +
                                        std::string(build_info().git_revision) + ")");
  // Every subcommand, in the order `lmmbench --help` lists them.
  const std::vector<Command> commands = {
      add_run_command(app),     add_score_command(app), add_report_command(app),
      add_compare_command(app), add_list_command(app),  add_datasets_command(app),
      add_gpu_command(app),     add_perf_command(app),  add_merge_command(app),
      add_slurm_command(app),   add_k8s_command(app),   add_train_cost_command(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInputError;
  }

  try {
    for (const auto& command : commands) {
      if (*command.app) return command.run();
    }
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
