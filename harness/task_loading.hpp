#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "datasets/manifest.hpp"
#include "datasets/sample.hpp"
#include "harness/config.hpp"
#include "metrics/metric.hpp"
#include "reports/run_record.hpp"

namespace lmmbench::harness {

/// Which samples of a task this run covers: the first `limit` in dataset order, then every
/// `shard_count`-th of those starting at `shard_index`. The shards of one limit together cover it
/// exactly once.
struct SampleSelection {
  std::optional<std::size_t> limit;
  std::size_t shard_index = 0;
  std::size_t shard_count = 1;
};

/// A task with its data loaded: the dataset, the calibration split, the selected samples, the
/// metrics, and what identifies the bytes read (for the run record).
struct LoadedTask {
  const TaskConfig* config = nullptr;
  std::vector<std::unique_ptr<metrics::Metric>> metrics;
  datasets::Dataset
      dataset;  ///< Its `samples` are moved into `selected` (info.n_samples counts them).
  datasets::Dataset calibration;
  std::vector<datasets::Sample> selected;
  reports::DatasetInfo info;
  std::vector<datasets::ManifestEntry> manifest;  ///< Every file read (dataset and calibration).
};

/// The samples `selection` covers, moved out of `samples`, in dataset order.
std::vector<datasets::Sample> select_samples(std::vector<datasets::Sample> samples,
                                             const SampleSelection& selection);

/// Runs the task's "prepare" generator, loads the dataset and calibration split, selects the
/// samples and hashes every file read (the manifest) and the resolved task config. Throws
/// InputError for bad data; a missing dataset file's message adds the task's "source" (where to
/// get it and where to put it). Metrics are left empty.
LoadedTask load_task(const TaskConfig& config, const SampleSelection& selection);

/// The canonical hash of a resolved task config (as the run record stores it).
std::string task_config_sha256(const TaskConfig& config);

/// Writes the task's manifest into `run_dir`/manifests/<task>.sha256 and records its relative
/// path in task.info.manifest_file.
void write_task_manifest(LoadedTask& task, const std::filesystem::path& run_dir);

}  // namespace lmmbench::harness
