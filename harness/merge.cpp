#include "harness/merge.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/jsonl.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "harness/config.hpp"
#include "harness/host.hpp"
#include "harness/prediction_log.hpp"
#include "harness/prices.hpp"
#include "harness/registry.hpp"
#include "harness/run_directory.hpp"
#include "harness/run_lock.hpp"
#include "harness/runner.hpp"
#include "harness/task_loading.hpp"
#include "reports/loaded_run.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::harness {

namespace {

/// A cell that was scored: ok, or over its error budget (which the merge applies again).
bool scored(reports::CellOutcome outcome) {
  return outcome == reports::CellOutcome::ok || outcome == reports::CellOutcome::too_many_errors;
}

/// One shard as read from its run directory.
struct Shard {
  reports::LoadedRun run;
  std::string record_sha256;
  /// The distinct log keys of each (model, task, sample id), in the order first logged.
  std::unordered_map<std::string, std::vector<std::string>> keys_by_sample;
};

std::string sample_key(const std::string& model, const std::string& task, const std::string& id) {
  return model + '\0' + task + '\0' + id;
}

std::string shard_name(const Shard& shard) {
  const auto& s = shard.run.record.selection;
  return fmt::format("shard {}/{} ({})", s.shard_index, s.shard_count, shard.run.dir.string());
}

InputError refuse(const Shard& shard, const std::string& what) {
  return InputError(Location{shard.run.dir.string(), 0, ""}, what);
}

std::string selection_text(const reports::Selection& s) {
  return fmt::format("models [{}], tasks [{}], limit {}", fmt::join(s.models, ","),
                     fmt::join(s.tasks, ","), s.limit ? std::to_string(*s.limit) : "none");
}

/// Every check that needs only the shards' records.
void verify_records(const std::vector<Shard>& shards) {
  const auto& first = shards.front().run.record;
  for (const auto& shard : shards) {
    const auto& r = shard.run.record;
    if (!r.merged_from.empty()) throw refuse(shard, "is itself a merged run, not a shard");
    if (r.status != "complete") {
      throw refuse(shard, fmt::format("this shard did not finish (status '{}'); finish it with "
                                      "`lmmbench run CONFIG --shard {}/{} --resume --out {}`",
                                      r.status, r.selection.shard_index, r.selection.shard_count,
                                      shard.run.dir.string()));
    }
    if (r.config_sha256 != first.config_sha256) {
      throw refuse(shard,
                   fmt::format("its config (sha256 {}) differs from {}'s ({}): shards of "
                               "different configs cannot be merged",
                               r.config_sha256, shard_name(shards.front()), first.config_sha256));
    }
    if (r.selection.shard_count != first.selection.shard_count) {
      throw refuse(shard,
                   fmt::format("it is one of {} shards, {} one of {}: different shard counts",
                               r.selection.shard_count, shard_name(shards.front()),
                               first.selection.shard_count));
    }
    const auto& s = r.selection;
    const auto& f = first.selection;
    if (s.models != f.models || s.tasks != f.tasks || s.limit != f.limit) {
      throw refuse(shard,
                   fmt::format("its selection ({}) differs from {}'s ({})", selection_text(s),
                               shard_name(shards.front()), selection_text(f)));
    }
    if (r.cells.size() != first.cells.size()) {
      throw refuse(shard, fmt::format("it has {} cells, {} has {}", r.cells.size(),
                                      shard_name(shards.front()), first.cells.size()));
    }
    for (std::size_t c = 0; c < r.cells.size(); ++c) {
      const auto& a = r.cells[c];
      const auto& b = first.cells[c];
      if (a.model != b.model || a.task != b.task) {
        throw refuse(shard, fmt::format("its cell {} is {} × {}, {}'s is {} × {}", c, a.model,
                                        a.task, shard_name(shards.front()), b.model, b.task));
      }
      const auto cell = fmt::format("{} × {}", a.model, a.task);
      if (a.judge || b.judge) {
        // Their verdicts are in each shard's judgments.jsonl, which the merge does not join yet.
        throw refuse(shard, fmt::format("cell {} is judge-scored; merging the shards of a judged "
                                        "task is not supported yet",
                                        cell));
      }
      // A scored cell is ok or over its budget in each shard alike: the budget is applied again
      // to the merged counts.
      if (scored(a.outcome) != scored(b.outcome) ||
          (!scored(a.outcome) && a.outcome != b.outcome)) {
        throw refuse(shard, fmt::format("cell {} is {} here and {} in {}; rerun the shard whose "
                                        "cell did not end like the others",
                                        cell, reports::to_string(a.outcome),
                                        reports::to_string(b.outcome), shard_name(shards.front())));
      }
      if (scored(a.outcome) && (a.backend_fingerprint != b.backend_fingerprint ||
                                a.dataset.manifest_sha256 != b.dataset.manifest_sha256 ||
                                a.dataset.task_config_sha256 != b.dataset.task_config_sha256)) {
        throw refuse(shard, fmt::format("cell {} ran another backend or read other data than in "
                                        "{} (backend fingerprint or dataset manifest differs)",
                                        cell, shard_name(shards.front())));
      }
    }
  }
  // Every index 0..N-1 exactly once.
  const std::size_t count = first.selection.shard_count;
  std::vector<const Shard*> by_index(count, nullptr);
  for (const auto& shard : shards) {
    const auto index = shard.run.record.selection.shard_index;
    if (index >= count) throw refuse(shard, fmt::format("shard index {} >= {}", index, count));
    if (by_index[index] != nullptr) {
      throw refuse(shard, fmt::format("shard {}/{} is given twice (also {})", index, count,
                                      by_index[index]->run.dir.string()));
    }
    by_index[index] = &shard;
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < count; ++i) {
    if (by_index[i] == nullptr) missing.push_back(fmt::format("{}/{}", i, count));
  }
  if (!missing.empty()) {
    throw InputError(fmt::format("shard{} {} missing: a merge needs every shard of the run",
                                 missing.size() > 1 ? "s" : "", join(missing, ", ")));
  }
}

/// Appends the shard's complete log lines to `merged` and indexes its keys.
void read_log(Shard& shard, lmmbench::AtomicFileWriter& merged) {
  const auto path = shard.run.dir / shard.run.record.predictions_file;
  if (shard.run.record.predictions_file.empty() || !std::filesystem::exists(path)) {
    throw refuse(shard, "no prediction log (predictions.jsonl) in this run directory");
  }
  const std::string text = lmmbench::read_file_bytes(path);
  if (!text.empty() && text.back() != '\n') {
    throw InputError(Location{path.string(), 0, ""},
                     "the log ends in an incomplete line: this shard did not finish cleanly");
  }
  std::size_t line_number = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find('\n', start);
    ++line_number;
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    // Names the file, line and field of a malformed entry (InputError).
    const LogEntry entry = read_log_entry(*parse_jsonl_line(line, path.string(), line_number));
    auto& keys = shard.keys_by_sample[sample_key(entry.model, entry.task, entry.sample_id)];
    if (std::find(keys.begin(), keys.end(), entry.key) == keys.end()) keys.push_back(entry.key);
    merged.write(line);
    merged.write("\n");
  }
}

/// The log key of every selected sample of a cell, each taken from the shard that owns the sample
/// (sample i of the selection belongs to shard i mod N, select_samples).
std::vector<std::string> cell_keys(const LoadedTask& task, const reports::Cell& cell,
                                   const std::vector<const Shard*>& by_index) {
  std::vector<std::string> keys;
  keys.reserve(task.selected.size());
  const std::size_t count = by_index.size();
  for (std::size_t i = 0; i < task.selected.size(); ++i) {
    const auto& id = task.selected[i].id;
    const auto what = sample_key(cell.model, cell.task, id);
    const Shard& owner = *by_index[i % count];
    for (std::size_t s = 0; s < count; ++s) {
      if (s == i % count || !by_index[s]->keys_by_sample.contains(what)) continue;
      throw refuse(*by_index[s],
                   fmt::format("sample '{}' of {} × {} belongs to shard {}/{} but is also answered "
                               "here: the shards overlap",
                               id, cell.model, cell.task, i % count, count));
    }
    const auto found = owner.keys_by_sample.find(what);
    if (found == owner.keys_by_sample.end()) {
      throw refuse(owner, fmt::format("sample '{}' of {} × {} has no answer in this shard's log",
                                      id, cell.model, cell.task));
    }
    if (found->second.size() != 1) {
      throw refuse(owner, fmt::format("sample '{}' of {} × {} has answers under {} different keys "
                                      "(the shard was resumed after its config changed); rerun "
                                      "this shard into a new directory",
                                      id, cell.model, cell.task, found->second.size()));
    }
    keys.push_back(found->second.front());
  }
  return keys;
}

/// Removes what a refused merge wrote into --out, which was absent or empty before it began, so a
/// refusal leaves nothing that looks like a run.
class OutGuard {
 public:
  explicit OutGuard(std::filesystem::path dir)
      : dir_(std::move(dir)), existed_(std::filesystem::exists(dir_)) {}
  OutGuard(const OutGuard&) = delete;
  OutGuard& operator=(const OutGuard&) = delete;
  ~OutGuard() {
    if (kept_) return;
    std::error_code ignored;
    if (!existed_) {
      std::filesystem::remove_all(dir_, ignored);
      return;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ignored))
      std::filesystem::remove_all(entry.path(), ignored);
  }
  void keep() { kept_ = true; }

 private:
  std::filesystem::path dir_;
  bool existed_;
  bool kept_ = false;
};

}  // namespace

MergeResult merge_shards(const MergeOptions& options) {
  if (options.shard_dirs.empty()) throw InputError("merge: no shard directories given");
  if (std::filesystem::exists(options.out) &&
      (!std::filesystem::is_directory(options.out) || !std::filesystem::is_empty(options.out))) {
    throw InputError(Location{options.out.string(), 0, ""},
                     "--out exists and is not empty; merge writes a new run directory");
  }

  std::vector<Shard> shards;
  for (const auto& dir : options.shard_dirs) {
    if (const auto holder = RunLock::holder(dir)) {
      throw InputError(Location{dir.string(), 0, ""},
                       "this shard is being written by another lmmbench (" + holder->describe() +
                           "); merge it once that run has finished");
    }
    Shard shard;
    shard.run = reports::load_run(dir);
    shard.run.dir = std::filesystem::absolute(shard.run.dir);
    shard.record_sha256 = sha256_hex(lmmbench::read_file_bytes(shard.run.dir / kRecordFile));
    shards.push_back(std::move(shard));
  }
  verify_records(shards);
  std::sort(shards.begin(), shards.end(), [](const Shard& a, const Shard& b) {
    return a.run.record.selection.shard_index < b.run.record.selection.shard_index;
  });
  const auto& first = shards.front().run.record;

  // The config as the shards ran it: its hash must still be theirs, else the gold data, prompts or
  // metrics may have changed since.
  const auto config_path = options.config_path.value_or(std::filesystem::path(first.config_path));
  if (!std::filesystem::exists(config_path)) {
    throw InputError(Location{config_path.string(), 0, ""},
                     "the shards' run config is not found from here; pass --config CONFIG");
  }
  const RunConfig config = load_run_config(config_path);
  if (config.sha256 != first.config_sha256) {
    throw InputError(Location{config_path.string(), 0, ""},
                     fmt::format("this config hashes to {}, the shards ran {}: it changed since",
                                 config.sha256, first.config_sha256));
  }
  std::optional<PriceTable> prices;
  if (config.prices) prices = PriceTable::load(*config.prices);

  MergeResult result;
  result.run_dir = options.out;
  OutGuard guard(result.run_dir);
  RunDirectory out(result.run_dir, first.run_name);  // released before the guard acts
  {
    lmmbench::AtomicFileWriter merged(result.run_dir / kPredictionsFile);
    for (auto& shard : shards)
      read_log(shard, merged);
    merged.commit();
  }
  std::vector<const Shard*> by_index;
  for (const auto& shard : shards)
    by_index.push_back(&shard);

  auto& record = out.record();
  record.config_path = config_path.string();
  record.config_sha256 = config.sha256;
  record.resolved_config = config.resolved;
  record.seed = first.seed;
  record.concurrency = first.concurrency;
  record.selection = reports::Selection{first.selection.models, first.selection.tasks,
                                        first.selection.limit, 0, 1};
  record.started_at = first.started_at;
  for (const auto& shard : shards) {
    const auto& r = shard.run.record;
    record.started_at = std::min(record.started_at, r.started_at);
    record.finished_at = std::max(record.finished_at, r.finished_at);
    record.wall_seconds += r.wall_seconds;
    record.resume_count += r.resume_count;
    record.merged_from.push_back(reports::ShardSource{
        shard.run.dir.string(), r.selection.shard_index, r.selection.shard_count, r.host.hostname,
        r.started_at, r.finished_at, r.wall_seconds, r.resume_count, shard.record_sha256});
  }
  record.predictions_file = kPredictionsFile;
  record.status = "running";
  out.save();

  const auto& registry = Registry::builtin();
  const PredictionLog log(result.run_dir / kPredictionsFile);
  std::optional<LoadedTask> task;
  for (std::size_t c = 0; c < first.cells.size(); ++c) {
    reports::Cell cell = first.cells[c];
    cell.counts = {};
    cell.usage = {};
    cell.scores.clear();
    cell.wall_seconds = 0;
    for (const auto& shard : shards) {
      const auto& part = shard.run.record.cells[c];
      cell.wall_seconds += part.wall_seconds;
      // What inference counted; scoring counts the rest from the log.
      cell.counts.resumed += part.counts.resumed;
      cell.counts.cached += part.counts.cached;
      cell.counts.retries += part.counts.retries;
    }
    // A cell whose task could not be loaded in the shards has no dataset to load here either.
    if (first.cells[c].dataset.manifest_sha256.empty()) {
      cell.counts = {};
      record.cells.push_back(std::move(cell));
      continue;
    }
    const auto task_config = std::find_if(config.tasks.begin(), config.tasks.end(),
                                          [&](const auto& t) { return t.name == cell.task; });
    if (task_config == config.tasks.end()) {
      throw InputError(
          fmt::format("task '{}' of the shards is not in {}", cell.task, config_path.string()));
    }
    if (!task || task->config != &*task_config) {
      task.reset();  // one task's samples in memory at a time
      task = load_task(*task_config, SampleSelection{first.selection.limit, 0, 1});
      for (const auto& m : task_config->metrics)
        task->metrics.push_back(registry.create_metric(m));
      write_task_manifest(*task, result.run_dir);
      if (task->info.manifest_sha256 != first.cells[c].dataset.manifest_sha256) {
        throw InputError(Location{task->info.root, 0, ""},
                         fmt::format("the data of task '{}' changed since the shards read it "
                                     "(manifest sha256 {}, the shards': {})",
                                     cell.task, task->info.manifest_sha256,
                                     first.cells[c].dataset.manifest_sha256));
      }
    }
    cell.dataset = task->info;
    if (!scored(cell.outcome)) {  // unsupported or failed in every shard
      cell.counts = {};
      record.cells.push_back(std::move(cell));
      continue;
    }
    const auto keys = cell_keys(*task, cell, by_index);
    cell.outcome = reports::CellOutcome::ok;
    cell.message.clear();
    if (finish_cell(*task, keys, log, result.run_dir, prices ? &*prices : nullptr,
                    first.cells[c].usage.price_model, error_budget(config, *task_config), cell))
      ++result.cells_over_budget;
    record.cells.push_back(std::move(cell));
    out.save();
  }
  record.status = "complete";
  guard.keep();
  out.close();
  result.record = record;
  return result;
}

}  // namespace lmmbench::harness
