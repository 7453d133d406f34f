#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/run_record.hpp"
#include "reports/sample_record.hpp"

namespace lmmbench::reports {

/// A run record with the directory its side files live in.
struct LoadedRun {
  std::filesystem::path dir;  ///< The run directory (scores files are relative to it).
  std::string label;          ///< How reports name this run (the directory name by default).
  RunRecord record;
  /// The record as JSON: as read from run.json, so sections this build does not model (a newer
  /// tool's perf or GPU data) are still rendered generically; to_json(record) for a fresh run.
  nlohmann::json raw;
};

/// Reads `path` (a run directory or its run.json). Throws InputError naming the file when it is
/// missing, is not JSON, is not a run record, or has a schema version this build cannot read.
LoadedRun load_run(const std::filesystem::path& path);

/// A run that is still in memory (the end of `lmmbench run`).
LoadedRun loaded_run(const std::filesystem::path& dir, const RunRecord& record);

/// The per-sample file of `cell` inside `run`, or nullopt when the cell has none.
std::optional<std::filesystem::path> sample_file(const LoadedRun& run, const Cell& cell);

/// The resolved config of `task` in the record ("tasks" entry with that name), or null.
const nlohmann::json* task_config(const RunRecord& record, const std::string& task);

}  // namespace lmmbench::reports
