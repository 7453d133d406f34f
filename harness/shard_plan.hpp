#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace lmmbench::harness {

/// The shards of one run on a cluster, what `lmmbench slurm` and `lmmbench k8s` share: shard I of
/// N runs `lmmbench run CONFIG --shard I/N --resume --out OUT/shards/I` (a restarted shard resumes
/// from its prediction log), then one job runs `lmmbench merge` of every shard into OUT/merged.
struct ShardPlan {
  std::filesystem::path config;  ///< The run config, as the jobs see it.
  std::string run_name;          ///< The config's "name" (job names are made from it).
  std::size_t shard_count = 0;
  std::filesystem::path out;        ///< The directory of the shards and the merge, as jobs see it.
  std::vector<std::string> models;  ///< `run --models` (empty: every model).
  std::vector<std::string> tasks;   ///< `run --tasks` (empty: every task).
  std::size_t limit = 0;            ///< `run --limit` (0: none).

  [[nodiscard]] std::filesystem::path shards_dir() const { return out / "shards"; }
  [[nodiscard]] std::filesystem::path merged_dir() const { return out / "merged"; }
  /// `--models A,B --tasks X --limit N`, the parts that are set: every shard runs the same
  /// selection (merge refuses shards of different selections).
  [[nodiscard]] std::vector<std::string> selection_arguments() const;
  /// The arguments after `lmmbench` of the merge job.
  [[nodiscard]] std::vector<std::string> merge_arguments() const;
};

/// Loads `config` (every error of `run` for a bad config is thrown here, before any job exists),
/// checks that `models` and `tasks` name models and tasks of it, and returns the plan with the
/// config's name; `config` and `out` are made absolute.
ShardPlan plan_shards(const std::filesystem::path& config, std::size_t shard_count,
                      const std::filesystem::path& out, std::vector<std::string> models,
                      std::vector<std::string> tasks, std::size_t limit);

/// "lmmbench-<name>" lower-cased, every character other than a-z, 0-9 and '-' replaced by '-',
/// cut to `max_length` and never ending in '-': a valid Slurm job name and Kubernetes object name
/// (RFC 1123 label) whatever the run config's name holds. `suffix` is appended within the length.
std::string job_name(const std::string& run_name, const std::string& suffix,
                     std::size_t max_length);

}  // namespace lmmbench::harness
