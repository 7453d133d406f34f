#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "reports/train_cost_section.hpp"

namespace lmmbench::harness {

/// What `lmmbench train-cost` estimates: a recipe, optionally on other GPUs, at an MFU that is
/// given, measured by `lmmbench gpu`, or the default.
struct TrainCostOptions {
  std::string recipe;                ///< A recipe file, or a name under configs/train/.
  std::string gpu;                   ///< Empty: the recipe's GPU kind.
  std::optional<std::int64_t> gpus;  ///< Empty: the recipe's count.
  std::optional<double> mfu;         ///< 0 < mfu <= 1.
  /// A run directory or run.json of `lmmbench gpu` that measured the same GPU kind: the MFU is
  /// its FLOP-weighted MFU over the compute-bound stages it measured.
  std::string mfu_from;
  std::optional<double> usd_per_gpu_hour;  ///< Empty: the GPU table's first quote.
  std::filesystem::path config_dir;        ///< Searched first for train/, models/gpu/, gpus.json.
  std::filesystem::path gpu_table;         ///< Empty: gpus.json of the config search path.
};

/// The MFU used when neither --mfu nor --mfu-from is given (an assumption, printed as such).
inline constexpr double kDefaultMfu = 0.4;

/// The recipe file `name_or_path` names: a path to an existing file (or anything ending in
/// ".json"), else `train/<name>.json` of the config search path.
std::filesystem::path find_recipe(const std::string& name_or_path,
                                  const std::filesystem::path& config_dir);

/// The FLOP-weighted MFU of the compute-bound stages that `lmmbench gpu` measured in the run at
/// `path`: sum of their FLOPs / sum of their measured times / the dense peak. Throws InputError
/// naming the file when it is not a run of `lmmbench gpu`, was made on another GPU kind than
/// `gpu`, or measured no compute-bound stage.
double measured_mfu(const std::filesystem::path& path, const std::string& gpu);

/// The whole estimate: FLOPs, memory, time, dollars, the MFU that reproduces the published
/// times, the sensitivity to text tokens and MFU, and the assumptions. Throws InputError for a bad
/// recipe or option (file, line and field), an unknown GPU kind, a GPU without a dense peak for
/// the recipe's precision, or no price (neither --price nor a quote in the table).
reports::TrainCostSection estimate_train_cost(const TrainCostOptions& options);

}  // namespace lmmbench::harness
