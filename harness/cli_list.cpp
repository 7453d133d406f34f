#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "harness/cli_commands.hpp"
#include "harness/config.hpp"
#include "harness/registry.hpp"

namespace lmmbench::harness {

namespace {

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

int list_command(const std::string& what, const std::filesystem::path& config_dir) {
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

struct ListArguments {
  std::string what;
  std::string config_dir = "configs";
};

}  // namespace

Command add_list_command(CLI::App& app) {
  auto args = std::make_shared<ListArguments>();
  auto* cmd = app.add_subcommand("list", "List tasks, models, metrics or dataset formats");
  cmd->add_option("what", args->what, "tasks | models | metrics | formats")
      ->required()
      ->check(CLI::IsMember({"tasks", "models", "metrics", "formats"}));
  cmd->add_option("--config-dir", args->config_dir, "Directory holding tasks/ and models/");
  return Command{cmd, [args] { return list_command(args->what, args->config_dir); }};
}

}  // namespace lmmbench::harness
