#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reports/comparison.hpp"
#include "reports/loaded_run.hpp"

namespace lmmbench::reports {

/// What the renderers are asked to show, beyond the runs themselves.
struct ReportOptions {
  std::string title;  ///< Empty: derived from the run names.
  /// The entry every other one is compared with (`lmmbench report --baseline`): an entry label or
  /// a model name (its first entry). Empty: the first entry.
  std::string baseline;
  GateOptions gate;
  /// At most this many image thumbnails in an HTML report (about 4 kB each); samples past the cap
  /// show no image. Failures and disagreements get theirs first.
  std::size_t max_thumbnails = 600;
  /// Longest side of a thumbnail, in pixels.
  int thumbnail_size = 112;
  /// At most this many samples per task in the HTML sample browser (failures and disagreements
  /// first); the report says how many were left out.
  std::size_t max_browser_samples = 5000;
};

/// One row of the models × tasks table: a model of one run.
struct Entry {
  std::size_t run = 0;  ///< Index into Report::runs.
  std::string model;
  std::string label;  ///< The model name, plus "· run label" when several runs share the name.
};

/// The input of every renderer: one or more runs, the models × tasks grid across them, the
/// comparisons asked for, and the per-sample data the comparisons and the sample browser need.
/// Build it with make_report or make_gate_report; renderers only read it.
struct Report {
  std::vector<LoadedRun> runs;
  ReportOptions options;
  std::vector<Entry> entries;      ///< Row order: runs in order, models in record order.
  std::vector<std::string> tasks;  ///< Column order: first appearance.
  /// `lmmbench compare`: each new model against the same model of the baseline run, and the JUnit
  /// and Markdown outputs judge regressions. false: every entry against one baseline entry, for
  /// information (JUnit then fails only cells that failed).
  bool gate = false;
  std::optional<std::size_t> baseline;  ///< The baseline entry of a non-gate report.
  std::vector<ScoreComparison> comparisons;
  std::vector<ObjectiveComparison> objectives;  ///< Gate reports only.
  /// Per-sample records of every cell that has them, keyed (entry, task).
  std::map<std::pair<std::size_t, std::string>, std::vector<SampleRecord>> samples;
  /// Cells whose per-sample file could not be read, with the reason (shown, never fatal).
  std::map<std::pair<std::size_t, std::string>, std::string> sample_errors;

  [[nodiscard]] const Cell* cell(std::size_t entry, const std::string& task) const;
  [[nodiscard]] const RunRecord& record(std::size_t entry) const {
    return runs[entries[entry].run].record;
  }
  /// The comparison whose candidate is (entry, task), if any.
  [[nodiscard]] const ScoreComparison* comparison(std::size_t entry, const std::string& task) const;
  /// Entries that are the baseline of some comparison.
  [[nodiscard]] bool is_baseline(std::size_t entry) const;
  [[nodiscard]] std::string title() const;
};

/// The record's top-level keys beyond its core fields and its typed sections (reports/views.hpp):
/// what a newer tool added, shown and compared generically.
nlohmann::json untyped_sections(const LoadedRun& run);
/// The cell's keys beyond its core fields (e.g. "perf", "usage", "cost"), as an object.
nlohmann::json cell_sections(const LoadedRun& run, const Cell& cell);

/// Summary of a gate: what `lmmbench compare` turns into its exit code.
struct GateSummary {
  std::size_t compared = 0;
  std::size_t regressions = 0;  ///< Score and objective regressions, and failed cells.
  std::size_t not_comparable = 0;
  std::size_t improvements = 0;
};

GateSummary summarize(const Report& report);

/// A report over `runs`: every entry is compared with the baseline entry on each task they share.
/// Throws InputError when options.baseline names no entry.
Report make_report(std::vector<LoadedRun> runs, ReportOptions options);

/// Which models `lmmbench compare` pairs: by default every model present in both runs with the
/// same name; `baseline_model`/`candidate_model` pair two differently named models instead.
struct GatePairing {
  std::string baseline_model;
  std::string candidate_model;
  std::vector<std::string> models;  ///< Only these models (default: all).
  std::vector<std::string> tasks;   ///< Only these tasks (default: all).
};

/// The CI gate between two runs: each model × task of the baseline that the selection keeps is
/// compared with the same model × task of the new run (a missing one is not comparable); perf
/// objectives are compared where both runs have them. Throws InputError when nothing pairs.
Report make_gate_report(LoadedRun baseline, LoadedRun candidate, const GatePairing& pairing,
                        ReportOptions options);

}  // namespace lmmbench::reports
