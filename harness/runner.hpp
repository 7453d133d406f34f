#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/prediction_log.hpp"
#include "harness/prices.hpp"
#include "harness/scoring.hpp"
#include "harness/task_loading.hpp"
#include "reports/run_record.hpp"

namespace lmmbench::harness {

/// File names inside a run directory.
inline constexpr const char* kPredictionsFile = "predictions.jsonl";
inline constexpr const char* kRecordFile = "run.json";

/// `lmmbench run` options (the CLI maps its flags onto these).
struct RunOptions {
  std::filesystem::path config_path;
  std::optional<std::filesystem::path> out;  ///< Run directory; default <output_dir>/<UTC time>.
  std::vector<std::string> models;           ///< Empty: every model of the config.
  std::vector<std::string> tasks;            ///< Empty: every task of the config.
  std::optional<std::size_t> limit;          ///< First N samples of each task, in dataset order.
  std::size_t shard_index = 0;  ///< This shard keeps samples i with i % count == index.
  std::size_t shard_count = 1;
  bool resume = false;  ///< Continue a run directory, reusing every answer its log holds.
  std::optional<std::size_t> concurrency;  ///< Overrides the config's.
  bool fsync = false;                      ///< fdatasync the prediction log after every entry.
  bool use_cache = true;  ///< Serve deterministic requests from the response cache (--no-cache).
  bool refresh_cache = false;  ///< Ask again and overwrite cached answers (--refresh-cache).
  bool progress = true;        ///< Progress lines on stderr.
  /// --rejudge: this model config judges every judge-scored task (instead of the run config's or
  /// the task's judge); with --resume, re-judges a run without asking its models again.
  std::optional<std::filesystem::path> rejudge;
};

/// What a finished (or interrupted) run produced.
struct RunResult {
  std::filesystem::path run_dir;
  reports::RunRecord record;
  bool interrupted = false;
  bool input_error = false;  ///< A cell failed because of bad input (dataset, image, ...).
  bool cell_failed = false;  ///< A cell failed for any reason.
  /// A model's backend was stopped by a fatal failure (a dead endpoint, a rejected key; see
  /// infer_cell): what was asked of it was not measured.
  bool backend_stopped = false;
  /// Cells whose failed samples exceeded their error budget (outcome too_many_errors).
  std::size_t cells_over_budget = 0;
};

/// Plans models x tasks, runs every cell with bounded concurrency, logs every answer to the
/// prediction log as it arrives, scores each cell from the log, and writes run.json (after every
/// cell, and at the end) plus report.html, summary.md, junit.xml and results.csv. A failure
/// inside a cell becomes that cell's outcome and the run carries on. Throws InputError before any
/// work when the configs, the selection or a backend/metric/loader configuration is invalid.
RunResult run_evaluation(const RunOptions& options);

/// The end of a cell whose every sample is in `log` (`run`, and `merge` of shards): scores it from
/// the log alone into scores/MODEL/TASK.jsonl, writes the task's submission file when it asks for
/// one, and prices the cell's token usage at `prices` (null: no cost) under the table entry for
/// `pricing_model`. `keys` are the log keys of task.selected, in order; cell.model is set.
/// Applies the error budget `max_error_rate` to the scored counts and returns true when the cell
/// is over it (outcome too_many_errors). `hook` adds to each sample's scoring item (a judge's
/// verdicts; scoring.hpp).
bool finish_cell(const LoadedTask& task, const std::vector<std::string>& keys,
                 const PredictionLog& log, const std::filesystem::path& run_dir,
                 const PriceTable* prices, const std::string& pricing_model, double max_error_rate,
                 reports::Cell& cell, const ScoringHook& hook = {});

/// RUN_DIR/scores/MODEL/TASK.jsonl, where a cell's per-sample scores are written.
std::filesystem::path scores_path_of(const std::filesystem::path& run_dir, const std::string& model,
                                     const std::string& task);

/// Parses "I/N" (0 <= I < N). Throws InputError otherwise.
std::pair<std::size_t, std::size_t> parse_shard(const std::string& text);

}  // namespace lmmbench::harness
