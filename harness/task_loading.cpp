#include "harness/task_loading.hpp"

#include <filesystem>

#include "datasets/manifest.hpp"
#include "harness/registry.hpp"

namespace lmmbench::harness {

std::vector<datasets::Sample> select_samples(const std::vector<datasets::Sample>& samples,
                                             const SampleSelection& selection) {
  const std::size_t n =
      selection.limit ? std::min(*selection.limit, samples.size()) : samples.size();
  std::vector<datasets::Sample> out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % selection.shard_count == selection.shard_index) out.push_back(samples[i]);
  }
  return out;
}

LoadedTask load_task(const TaskConfig& config, const SampleSelection& selection) {
  const auto& registry = Registry::builtin();
  LoadedTask task;
  task.config = &config;
  if (config.prepare) registry.prepare_dataset(*config.prepare);
  task.dataset = registry.create_loader(config.dataset)->load();
  if (config.calibration) task.calibration = registry.create_loader(*config.calibration)->load();
  task.selected = select_samples(task.dataset.samples, selection);
  task.info.name = task.dataset.name;
  task.info.format = config.dataset.format;
  const auto root = std::filesystem::weakly_canonical(
      task.dataset.files.empty() ? std::filesystem::path(".")
                                 : task.dataset.files.front().parent_path());
  task.info.manifest_sha256 = datasets::manifest_sha256(task.dataset.files, root);
  task.info.n_files = task.dataset.files.size();
  task.info.n_samples = task.dataset.samples.size();
  task.info.n_selected = task.selected.size();
  return task;
}

}  // namespace lmmbench::harness
