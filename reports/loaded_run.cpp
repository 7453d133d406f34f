#include "reports/loaded_run.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_source.hpp"

namespace lmmbench::reports {

LoadedRun load_run(const std::filesystem::path& path) {
  const auto file = std::filesystem::is_directory(path) ? path / "run.json" : path;
  if (!std::filesystem::exists(file)) {
    throw InputError(Location{file.string(), 0, ""},
                     "no run record here (expected a run directory holding run.json)");
  }
  LoadedRun run;
  run.dir = file.parent_path();
  nlohmann::json root = JsonSource::from_file(file)->root();
  try {
    // Migrated first, so that renderers of `raw` see the current names too.
    run.raw = migrate_run_record(std::move(root));
    run.record = run.raw.get<RunRecord>();
  } catch (const InputError& e) {
    throw InputError(Location{file.string(), 0, e.where().field}, e.detail());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(Location{file.string(), 0, ""},
                     fmt::format("not a valid run record: {}", e.what()));
  }
  const auto name = std::filesystem::weakly_canonical(run.dir).filename().string();
  run.label = name.empty() ? run.record.run_name : name;
  return run;
}

LoadedRun loaded_run(const std::filesystem::path& dir, const RunRecord& record) {
  LoadedRun run;
  run.dir = dir;
  run.record = record;
  run.raw = record;
  const auto name = std::filesystem::weakly_canonical(dir).filename().string();
  run.label = name.empty() ? record.run_name : name;
  return run;
}

std::optional<std::filesystem::path> sample_file(const LoadedRun& run, const Cell& cell) {
  if (cell.scores_file.empty()) return std::nullopt;
  const std::filesystem::path relative(cell.scores_file);
  return relative.is_absolute() ? relative : run.dir / relative;
}

const nlohmann::json* task_config(const RunRecord& record, const std::string& task) {
  const auto tasks = record.resolved_config.find("tasks");
  if (tasks == record.resolved_config.end() || !tasks->is_array()) return nullptr;
  for (const auto& t : *tasks) {
    if (t.is_object() && t.value("name", "") == task) return &t;
  }
  return nullptr;
}

}  // namespace lmmbench::reports
