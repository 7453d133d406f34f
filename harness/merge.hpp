#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "reports/run_record.hpp"

namespace lmmbench::harness {

/// `lmmbench merge` options.
struct MergeOptions {
  std::vector<std::filesystem::path> shard_dirs;  ///< Run directories of `run --shard I/N`.
  std::filesystem::path out;                      ///< The new run directory (absent or empty).
  /// The run config; default: the config_path the shards' run.json names (relative to the
  /// directory `run` was started in, so pass it when merging from elsewhere).
  std::optional<std::filesystem::path> config_path;
};

struct MergeResult {
  std::filesystem::path run_dir;
  reports::RunRecord record;
  /// Cells whose merged counts exceed their error budget (outcome too_many_errors).
  std::size_t cells_over_budget = 0;
};

/// Makes one run directory out of the shards of one run, equal to the unsharded run in its
/// per-sample scores, aggregates, intervals and counts. First verifies every shard (each one
/// finished; same config hash, selection and shard count; every index 0..N-1 exactly once; same
/// cells, outcomes and dataset hashes; the config still hashes as the shards recorded), then
/// writes one prediction log holding every shard's entries, takes each selected sample's answer
/// from the shard that owns it (a sample answered in another shard too, or in none, is refused),
/// and scores, prices and reports every cell through the code `run` uses (finish_cell,
/// write_run_reports). The record lists the shards in `merged_from`. Never queries a model.
/// Throws InputError saying what is wrong, before writing anything where it can.
MergeResult merge_shards(const MergeOptions& options);

}  // namespace lmmbench::harness
