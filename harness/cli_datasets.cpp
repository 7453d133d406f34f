#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/resource_paths.hpp"
#include "datasets/manifest.hpp"
#include "harness/cli_commands.hpp"
#include "harness/config.hpp"
#include "harness/task_loading.hpp"
#include "reports/run_record.hpp"

/// `lmmbench datasets verify TASK [--run RUN_DIR] [--files]`: loads the task's dataset exactly as
/// a run would, hashes every file it reads and the resolved task config, prints the manifest as
/// JSON, and with --run compares it with what that run recorded (exit 1 when anything changed).
namespace lmmbench::harness {

namespace {

struct DatasetsArguments {
  std::string task;
  std::string run_dir;
  std::string config_dir;  ///< Empty: the config search path alone.
  bool files = false;
};

/// TASK is a task config file, or the name of one in tasks/ of the config search path.
std::filesystem::path task_config_path(const DatasetsArguments& args) {
  return resolve_config_file(args.task, "tasks", args.config_dir);
}

int verify_command(const DatasetsArguments& args) {
  const TaskConfig config =
      load_task_config(ConfigNode(JsonSource::from_file(task_config_path(args))));
  const LoadedTask task = load_task(config, SampleSelection{});
  std::size_t sample_errors = 0;
  for (const auto& sample : task.selected)
    sample_errors += sample.error.empty() ? 0 : 1;
  nlohmann::json out{{"task", config.name},
                     {"format", task.info.format},
                     {"dataset", task.info.name},
                     {"root", task.info.root},
                     {"manifest_sha256", task.info.manifest_sha256},
                     {"task_config_sha256", task.info.task_config_sha256},
                     {"n_files", task.info.n_files},
                     {"n_samples", task.info.n_samples},
                     {"n_sample_errors", sample_errors}};
  if (args.files) {
    auto& files = out["files"] = nlohmann::json::array();
    for (const auto& e : task.manifest)
      files.push_back({{"name", e.name}, {"sha256", e.sha256}, {"bytes", e.bytes}});
  }
  int exit_code = kExitOk;
  if (!args.run_dir.empty()) {
    const std::filesystem::path run_dir = args.run_dir;
    const auto record_path = run_dir / "run.json";
    reports::RunRecord record;
    try {
      from_json(parse_json(read_file_bytes(record_path), record_path.string()), record);
    } catch (const InputError& e) {
      if (!e.where().file.empty()) throw;
      throw InputError(Location{record_path.string(), 0, e.where().field},
                       "not a run record: " + e.detail());
    } catch (const nlohmann::json::exception& e) {
      throw InputError(Location{record_path.string(), 0, ""},
                       std::string("not a run record: ") + e.what());
    }
    const reports::Cell* cell = nullptr;
    for (const auto& c : record.cells) {
      if (c.task == config.name && !c.dataset.manifest_sha256.empty()) {
        cell = &c;
        break;
      }
    }
    if (cell == nullptr) {
      throw InputError(Location{record_path.string(), 0, "/cells"},
                       fmt::format("the run has no loaded dataset for task '{}'", config.name));
    }
    const auto& recorded = cell->dataset;
    std::vector<std::string> differences;
    if (!recorded.manifest_file.empty()) {
      const auto manifest_path = run_dir / recorded.manifest_file;
      differences = datasets::manifest_differences(
          datasets::parse_manifest(read_file_bytes(manifest_path), manifest_path.string()),
          task.manifest);
    }
    const bool data_same = recorded.manifest_sha256 == task.info.manifest_sha256;
    const bool config_same = recorded.task_config_sha256.empty() ||
                             recorded.task_config_sha256 == task.info.task_config_sha256;
    if (!data_same && differences.empty()) {
      differences.push_back("the manifest hash differs (the run recorded no per-file manifest)");
    }
    out["run"] = {{"run_dir", run_dir.string()},
                  {"manifest_sha256", recorded.manifest_sha256},
                  {"task_config_sha256", recorded.task_config_sha256},
                  {"dataset_unchanged", data_same},
                  {"task_config_unchanged", config_same},
                  {"differences", differences}};
    if (!data_same || !config_same) exit_code = kExitCheckFailed;
  }
  std::cout << out.dump(2) << '\n';
  if (exit_code != kExitOk) {
    std::cerr << fmt::format("changed: task '{}' no longer reads what run {} read\n", config.name,
                             args.run_dir);
  }
  return exit_code;
}

}  // namespace

Command add_datasets_command(CLI::App& app) {
  auto args = std::make_shared<DatasetsArguments>();
  auto* cmd = app.add_subcommand("datasets", "Check the datasets tasks read");
  cmd->require_subcommand(1);
  auto* verify = cmd->add_subcommand(
      "verify",
      "Hash every file TASK reads and its resolved config; with --run, compare with that run "
      "(exit 1 when changed)");
  verify->add_option("task", args->task, "Task config file, or a task name in <config-dir>/tasks")
      ->required();
  verify->add_option("--run", args->run_dir, "Run directory whose recorded manifest to compare");
  verify->add_option("--config-dir", args->config_dir, "Directory holding tasks/");
  verify->add_flag("--files", args->files, "List every file with its sha256");
  return Command{cmd, [args] { return verify_command(*args); }};
}

}  // namespace lmmbench::harness
