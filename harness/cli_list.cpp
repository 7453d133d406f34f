#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/resource_paths.hpp"
#include "core/text.hpp"
#include "harness/cli_commands.hpp"
#include "harness/config.hpp"
#include "harness/registry.hpp"
#include "models/gpu/gpu_table.hpp"

namespace lmmbench::harness {

namespace {

/// Reads every *.json under `dir` that parses as a config of the given kind.
void list_configs(const std::filesystem::path& dir, bool tasks) {
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

/// The GPU table (gpus.json in the config search path) that `lmmbench gpu` reads: datasheet
/// figures and the default price of every kind.
void list_gpus(const std::filesystem::path& config_dir) {
  const auto table = gpu::GpuTable::load(find_config("gpus.json", config_dir));
  const auto peak = [](const std::optional<double>& tflops) {
    return tflops ? fmt::format("{:g}", *tflops) : std::string("-");
  };
  std::cout << fmt::format("{:<14} {:<26} {:>6} {:>10} {:>10} {:>9}  {}\n", "key", "name", "memory",
                           "fp16 peak", "bf16 peak", "bandwidth", "price (first quote)");
  std::cout << fmt::format("{:<14} {:<26} {:>6} {:>10} {:>10} {:>9}  {}\n", "", "", "GB", "TFLOP/s",
                           "TFLOP/s", "GB/s", "USD per GPU-hour");
  for (const auto& k : table.kinds()) {
    std::string price = "no price";
    if (!k.prices.empty()) {
      const auto& p = k.prices.front();
      price = fmt::format("${:g} ({}, {})", p.usd_per_gpu_hour, p.provider, p.date);
    }
    std::cout << fmt::format("{:<14} {:<26} {:>6g} {:>10} {:>10} {:>9g}  {}\n", k.name,
                             k.description, k.memory_gb, peak(k.dense_tflops.fp16),
                             peak(k.dense_tflops.bf16), k.bandwidth_gb_per_s, price);
  }
  std::cout << "\nPeaks are dense (no 2:4 sparsity) tensor-core figures from " << table.source()
            << "; `lmmbench gpu --gpu KEY` uses them.\n";
}

int list_command(const std::string& what, const std::filesystem::path& config_dir) {
  const auto& registry = Registry::builtin();
  if (what == "tasks") {
    list_configs(find_config("tasks", config_dir), true);
  } else if (what == "models") {
    list_configs(find_config("models", config_dir), false);
    std::cout << "\nbackends:\n";
    for (const auto& b : registry.backends())
      std::cout << fmt::format("  {:<22} {}\n", b.name, b.description);
  } else if (what == "metrics") {
    for (const auto& m : registry.metrics()) {
      std::cout << fmt::format("{:<18} variants: {:<36} {}\n", m.name, join(m.variants, ", "),
                               m.description);
    }
  } else if (what == "gpus") {
    list_gpus(config_dir);
  } else if (what == "formats") {
    for (const auto& l : registry.loaders())
      std::cout << fmt::format("{:<22} {}\n", l.name, l.description);
  }
  return kExitOk;
}

struct ListArguments {
  std::string what;
  std::string config_dir;  ///< Empty: the config search path alone (core/resource_paths.hpp).
};

}  // namespace

Command add_list_command(CLI::App& app) {
  auto args = std::make_shared<ListArguments>();
  auto* cmd = app.add_subcommand("list", "List tasks, models, metrics, dataset formats or GPUs");
  cmd->add_option("what", args->what, "tasks | models | metrics | formats | gpus")
      ->required()
      ->check(CLI::IsMember({"tasks", "models", "metrics", "formats", "gpus"}));
  cmd->add_option("--config-dir", args->config_dir,
                  "Directory holding tasks/, models/ and gpus.json, searched first (then "
                  "$LMMBENCH_HOME/configs, the installed configs, the source tree's)");
  return Command{cmd, [args] { return list_command(args->what, args->config_dir); }};
}

}  // namespace lmmbench::harness
