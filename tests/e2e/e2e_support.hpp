#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace lmmbench::testing {

inline const std::filesystem::path kBinary = LMMBENCH_BINARY;
inline const std::filesystem::path kSource = LMMBENCH_SOURCE_DIR;

/// Writes a 240-item dataset (open and multiple-choice questions over the tiny_vqa images) and a
/// run config over it with every baseline, into `dir`; returns the run config's path. Baselines
/// get a simulated, jittered latency so completions arrive out of order on another thread.
std::filesystem::path write_medium_suite(const std::filesystem::path& dir, double latency_ms = 2.0,
                                         double jitter_ms = 2.0, int concurrency = 8);

/// Headline score, n and counts of every cell of a run.json, keyed "model/task".
std::map<std::string, nlohmann::json> cell_summaries(const std::filesystem::path& run_dir);

/// Runs lmmbench with `args` (the binary is prepended). After `lmmbench run`, the record it names
/// ("Results: PATH") is validated against the schema.
ProcessResult lmmbench(std::vector<std::string> args, const std::filesystem::path& cwd = {});

/// Adds a test failure when the run.json at `record` does not match
/// reports/schema/run.schema.json (a note, once, when python3-jsonschema is missing).
void validate_run_record(const std::filesystem::path& record);

/// The cell of run.json `record` for `model` and `task` (an empty name matches any); throws
/// when there is none.
const nlohmann::json& find_cell(const nlohmann::json& record, std::string_view model,
                                std::string_view task);

/// The records of a JSONL file (blank lines skipped); none when the file does not exist.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);

/// Task configs "open" (metrics `open_metrics`) and "mc" (multiple_choice) over the synthetic
/// suite (seed 7: 60 open and 30 multiple-choice items, prepared into `data/` of the run's
/// directory), greedy with 16 tokens: what the HTTP end-to-end tests run against a test server.
nlohmann::json synthetic_suite_tasks(const std::vector<std::string>& open_metrics);

}  // namespace lmmbench::testing
