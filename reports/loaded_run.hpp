#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/run_record.hpp"

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

/// Where a sample's image is: a file, or base64 text at a byte range of a file (a VLMEvalKit TSV).
struct ImageSource {
  std::filesystem::path path;
  std::uint64_t base64_offset = 0;
  std::uint64_t base64_length = 0;  ///< 0: `path` is the image file itself.
};

/// One line of a per-sample scores file (scores/MODEL/TASK.jsonl): the headline metric's score
/// of one sample plus what a reader needs to judge it. Older files lack the gold data (question,
/// answers, options, images, category), which then stay empty.
struct SampleRecord {
  std::string id;
  double score = 0.0;  ///< The headline metric's per-sample score (0..1 for accuracies).
  std::string status;  ///< "parsed", "unparsed" or "missing".
  std::string extracted;
  std::optional<std::string> prediction;  ///< Absent when the request failed.
  std::string error_kind;                 ///< Empty when the request succeeded.
  std::string question;
  std::vector<std::string> answers;  ///< Gold answers.
  std::vector<std::string> options;  ///< Multiple-choice options, A first.
  std::vector<ImageSource> images;   ///< Absolute paths when written by this build.
  std::string category;
  /// A judge-scored task's verdicts: the judge's last reply in each judge run (untrusted text).
  std::vector<std::string> judge_replies;
};

/// Reads a per-sample scores file in order. Throws InputError naming the file and line when it is
/// missing or a line is not a JSON object with a string "id" and a numeric "score".
std::vector<SampleRecord> read_sample_records(const std::filesystem::path& path);

/// The per-sample file of `cell` inside `run`, or nullopt when the cell has none.
std::optional<std::filesystem::path> sample_file(const LoadedRun& run, const Cell& cell);

/// The resolved config of `task` in the record ("tasks" entry with that name), or null.
const nlohmann::json* task_config(const RunRecord& record, const std::string& task);

}  // namespace lmmbench::reports
