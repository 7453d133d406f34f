#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "harness/shard_plan.hpp"

namespace lmmbench::harness {

/// `lmmbench slurm` options beyond the shard plan.
struct SlurmOptions {
  ShardPlan plan;
  std::filesystem::path lmmbench;  ///< The lmmbench binary as the compute nodes see it.
  std::string partition;
  std::string account;
  std::string qos;
  std::string time;  ///< Slurm time limit per shard ("4:00:00", "1-00:00:00").
  std::size_t gpus_per_shard = 0;
  std::size_t cpus_per_shard = 0;  ///< 0: Slurm's default.
  std::string mem;                 ///< Per shard ("32G"); empty: Slurm's default.
  std::size_t max_parallel = 0;    ///< Array elements at once (`--array=0-N%K`); 0: no limit.
  std::vector<std::string> sbatch_options;  ///< More `#SBATCH` lines for both jobs ("--x=y").
};

/// The files `lmmbench slurm` writes, under OUT/slurm/.
struct SlurmScripts {
  std::string array;   ///< array.sbatch: one element per shard.
  std::string merge;   ///< merge.sbatch: `lmmbench merge` (submitted with the dependency).
  std::string submit;  ///< submit.sh: submits both, the merge `afterok` on the array.
};

/// Renders the scripts. Every value that reaches a shell is single-quoted; every `#SBATCH` value is
/// double-quoted with `\` and `"` escaped (and `%` doubled in file names), so no path or name can
/// inject a command or a directive. Throws InputError for a value Slurm cannot take (a line break,
/// a time or memory that is not Slurm's syntax, a partition with spaces, an sbatch option that does
/// not start with "--").
SlurmScripts render_slurm_scripts(const SlurmOptions& options);

/// `text` as one POSIX shell word: 'text' with every ' written as '\''.
std::string shell_quote(const std::string& text);

/// The job id in `sbatch --parsable` output ("1234" or "1234;cluster", then a line break); throws
/// Error when there is none.
std::string parse_sbatch_job_id(const std::string& output);

/// Submits the array and then the merge job (`--dependency=afterok:ARRAY
/// --kill-on-invalid-dep=yes`) with `sbatch` (the program `sbatch`, found on PATH unless a path).
/// Returns {array id, merge id}. Throws Error with sbatch's exit status when a submission fails
/// (its stderr passes through).
std::pair<std::string, std::string> submit_slurm_jobs(const std::filesystem::path& sbatch,
                                                      const std::filesystem::path& array_script,
                                                      const std::filesystem::path& merge_script);

}  // namespace lmmbench::harness
