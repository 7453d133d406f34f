#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "datasets/sample.hpp"
#include "harness/prediction_log.hpp"
#include "harness/task_loading.hpp"
#include "metrics/metric.hpp"
#include "reports/run_record.hpp"
#include "reports/sample_record.hpp"

namespace lmmbench::harness {

/// What the metrics see of one sample: its gold data plus the logged answer (none when the request
/// failed or no entry exists). String, number and boolean members of the sample's meta become
/// fields.
metrics::ScoringItem scoring_item(const datasets::Sample& sample, const LogEntry* entry);

/// Adds to sample `index`'s scoring item and its per-sample line before it is scored (the judge
/// stage gives judge-scored metrics their verdicts this way).
using ScoringHook =
    std::function<void(std::size_t index, metrics::ScoringItem& item, reports::SampleRecord& line)>;

/// Scores a cell from the prediction log alone (never from a live model), fills the cell's scores
/// and counts, and writes one line per sample to `scores_path` (atomically). A cell with no
/// answered sample gets no score: each headline's score, standard error and interval are NaN
/// (null in run.json) and its further aggregates and breakdowns are dropped.
void score_cell(const LoadedTask& task, const std::vector<std::string>& keys,
                const PredictionLog& log, const std::filesystem::path& scores_path,
                reports::Cell& cell, const ScoringHook& hook = {});

/// Holds a scored cell to its error budget: records `max_error_rate` in it and, when more than
/// that share of its samples failed, makes it too_many_errors with a message that says how many
/// failed, of which kinds, and the budget. Returns whether the cell is over budget.
bool apply_error_budget(reports::Cell& cell, double max_error_rate);

}  // namespace lmmbench::harness
