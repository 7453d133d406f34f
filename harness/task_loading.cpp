#include "harness/task_loading.hpp"

#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "core/sha256.hpp"
#include "datasets/loader_support.hpp"
#include "datasets/manifest.hpp"
#include "harness/registry.hpp"

namespace lmmbench::harness {

std::vector<datasets::Sample> select_samples(std::vector<datasets::Sample> samples,
                                             const SampleSelection& selection) {
  const std::size_t n =
      selection.limit ? std::min(*selection.limit, samples.size()) : samples.size();
  if (selection.shard_count == 1) {  // the common case: no copy
    samples.resize(n);
    samples.shrink_to_fit();
    return samples;
  }
  std::vector<datasets::Sample> out;
  out.reserve(n / selection.shard_count + 1);
  for (std::size_t i = selection.shard_index; i < n; i += selection.shard_count) {
    out.push_back(std::move(samples[i]));
  }
  return out;
}

namespace {

/// Loads one dataset; a missing file's message says where the benchmark comes from. A dataset
/// without samples is refused: its cell would score nothing and still look like a result.
datasets::Dataset load_dataset(const DatasetConfig& dataset) {
  const auto& registry = Registry::builtin();
  try {
    auto loaded = registry.create_loader(dataset)->load();
    if (loaded.samples.empty()) {
      dataset.node.fail(fmt::format("the '{}' dataset holds no samples", dataset.format));
    }
    return loaded;
  } catch (const datasets::MissingDataError& e) {
    if (dataset.source.empty()) throw;
    throw datasets::MissingDataError(
        e.where(), e.detail() + ". lmmbench never downloads data; get it here: " + dataset.source);
  }
}

}  // namespace

std::string task_config_sha256(const TaskConfig& config) {
  return sha256_hex(config.resolved.dump());
}

LoadedTask load_task(const TaskConfig& config, const SampleSelection& selection) {
  const auto& registry = Registry::builtin();
  LoadedTask task;
  task.config = &config;
  if (config.prepare) registry.prepare_dataset(*config.prepare);
  task.dataset = load_dataset(config.dataset);
  if (config.calibration) task.calibration = load_dataset(*config.calibration);
  task.info.n_samples = task.dataset.samples.size();
  // The loaders hashed every image they read; the manifest reuses those hashes.
  std::unordered_map<std::string, std::string> hashed;
  for (const auto* samples : {&task.dataset.samples, &task.calibration.samples}) {
    for (const auto& sample : *samples) {
      for (const auto& image : sample.images) {
        if (!image.sha256.empty() && image.base64_length == 0) {
          hashed.emplace(image.path.string(), image.sha256);
        }
      }
    }
  }
  // The samples move into `selected`: the dataset's own list would double the memory per sample.
  task.selected = select_samples(std::move(task.dataset.samples), selection);
  task.dataset.samples = {};
  task.info.name = task.dataset.name;
  task.info.format = config.dataset.format;
  const auto root = std::filesystem::weakly_canonical(
      !task.dataset.root.empty()   ? task.dataset.root
      : task.dataset.files.empty() ? std::filesystem::path(".")
                                   : task.dataset.files.front().parent_path());
  std::vector<std::filesystem::path> files = task.dataset.files;
  files.insert(files.end(), task.calibration.files.begin(), task.calibration.files.end());
  task.manifest = datasets::manifest_entries(files, root, hashed);
  task.info.manifest_sha256 = datasets::manifest_sha256(task.manifest);
  task.info.root = root.string();
  task.info.task_config_sha256 = task_config_sha256(config);
  task.info.n_files = task.manifest.size();
  task.info.n_selected = task.selected.size();
  return task;
}

void write_task_manifest(LoadedTask& task, const std::filesystem::path& run_dir) {
  const auto relative = std::filesystem::path("manifests") / (task.config->name + ".sha256");
  std::filesystem::create_directories(run_dir / relative.parent_path());
  write_file_atomic(run_dir / relative, datasets::manifest_text(task.manifest));
  task.info.manifest_file = relative.generic_string();
}

}  // namespace lmmbench::harness
