#include "harness/runner.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/text.hpp"
#include "datasets/image_io.hpp"
#include "datasets/manifest.hpp"
#include "harness/config.hpp"
#include "harness/host.hpp"
#include "harness/interrupt.hpp"
#include "harness/prediction_log.hpp"
#include "harness/progress.hpp"
#include "harness/prompt.hpp"
#include "harness/registry.hpp"
#include "reports/markdown.hpp"

namespace lmmbench::harness {

namespace {

constexpr const char* kPredictionsFile = "predictions.jsonl";
constexpr const char* kRecordFile = "run.json";

std::string now_iso() {
  return iso8601_utc(std::chrono::system_clock::now());
}

/// Keeps the configs whose names were selected, in config order; unknown names are an error.
template <typename Config>
std::vector<const Config*> select(const std::vector<Config>& all,
                                  const std::vector<std::string>& wanted, std::string_view what) {
  std::vector<std::string> names;
  for (const auto& c : all)
    names.push_back(c.name);
  for (const auto& w : wanted) {
    if (std::find(names.begin(), names.end(), w) == names.end()) {
      throw InputError(fmt::format("--{}s: no {} named '{}' in the run config{}; {}s: {}", what,
                                   what, w, did_you_mean(w, names), what, join(names, ", ")));
    }
  }
  std::vector<const Config*> out;
  for (const auto& c : all) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), c.name) != wanted.end()) {
      out.push_back(&c);
    }
  }
  return out;
}

/// --limit first, then the shard's stride: together the shards cover the limited set exactly once.
std::vector<datasets::Sample> select_samples(const std::vector<datasets::Sample>& samples,
                                             const RunOptions& options) {
  const std::size_t n = options.limit ? std::min(*options.limit, samples.size()) : samples.size();
  std::vector<datasets::Sample> out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % options.shard_count == options.shard_index) out.push_back(samples[i]);
  }
  return out;
}

std::filesystem::path latest_run_dir(const std::filesystem::path& output_dir) {
  std::filesystem::path best;
  if (std::filesystem::is_directory(output_dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(output_dir)) {
      if (entry.is_directory() && std::filesystem::exists(entry.path() / kRecordFile) &&
          (best.empty() || entry.path().filename() > best.filename())) {
        best = entry.path();
      }
    }
  }
  return best;
}

std::filesystem::path choose_run_dir(const RunOptions& options, const RunConfig& config) {
  if (options.out) {
    const auto dir = *options.out;
    if (!options.resume && std::filesystem::exists(dir / kPredictionsFile)) {
      throw InputError(
          Location{dir.string(), 0, ""},
          "this directory already holds a run; pass --resume to continue it, or choose "
          "another --out");
    }
    return dir;
  }
  if (options.resume) {
    auto latest = latest_run_dir(config.output_dir);
    if (latest.empty()) {
      throw InputError(Location{config.output_dir.string(), 0, ""},
                       "--resume: no earlier run of this config to resume here (pass --out DIR)");
    }
    return latest;
  }
  const std::string stamp = compact_utc(std::chrono::system_clock::now());
  auto dir = config.output_dir / stamp;
  for (int k = 2; std::filesystem::exists(dir); ++k)
    dir = config.output_dir / fmt::format("{}-{}", stamp, k);
  return dir;
}

void write_record(const std::filesystem::path& run_dir, const reports::RunRecord& record) {
  datasets::write_file_atomic(run_dir / kRecordFile, nlohmann::json(record).dump(2) + "\n");
}

std::string relative_to(const std::filesystem::path& p, const std::filesystem::path& base) {
  return p.lexically_relative(base).generic_string();
}

/// Everything one task needs once its data is loaded.
struct LoadedTask {
  const TaskConfig* config = nullptr;
  std::vector<std::unique_ptr<metrics::Metric>> metrics;
  datasets::Dataset dataset;
  datasets::Dataset calibration;
  std::vector<datasets::Sample> selected;
  reports::DatasetInfo info;
};

/// State shared between the harness thread and backend callbacks of one cell.
struct Mailbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::pair<std::size_t, models::Completion>> finished;
};

struct CellRun {
  const ModelConfig& model;
  models::Backend& backend;
  const LoadedTask& task;
  PredictionLog& log;
  const Clock& clock;
  std::size_t concurrency;
  Progress& progress;
};

/// Runs inference for one cell and returns the log key of every selected sample, in order.
/// Counts are filled in `counts` (total, resumed).
std::vector<std::string> infer_cell(const CellRun& run, reports::SampleCounts& counts,
                                    bool& interrupted) {
  const auto& samples = run.task.selected;
  const std::string fingerprint = run.backend.fingerprint();
  const auto& caps = run.backend.capabilities();
  std::vector<std::string> keys(samples.size());
  auto mailbox = std::make_shared<Mailbox>();
  std::size_t next = 0;
  std::size_t in_flight = 0;
  std::size_t done = 0;
  std::size_t errors = 0;

  // Resumed answers are counted first so progress starts at the right place.
  struct Pending {
    models::Request request;
    std::string prompt_hash;
    std::string params_hash;
  };
  std::vector<std::optional<Pending>> pending(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    auto request = build_request(*run.task.config, samples[i]);
    const auto prompt_hash = prompt_sha256(request);
    const auto params_hash = params_sha256(request.params);
    keys[i] = log_key(run.model.name, run.task.config->name, samples[i].id, prompt_hash,
                      params_hash, fingerprint);
    const LogEntry* logged = run.log.find(keys[i]);
    if (logged != nullptr &&
        (logged->completion.ok() || !retry_on_resume(logged->completion.error))) {
      ++counts.resumed;
      ++done;
      if (!logged->completion.ok()) ++errors;
      continue;
    }
    // Image bytes are re-read at submission time so only in-flight requests hold them.
    request.content.clear();
    pending[i] = Pending{std::move(request), prompt_hash, params_hash};
  }
  run.progress.start(fmt::format("{} × {}", run.model.name, run.task.config->name), samples.size(),
                     done);

  auto record = [&](std::size_t i, models::Completion completion) {
    LogEntry entry;
    entry.key = keys[i];
    entry.model = run.model.name;
    entry.task = run.task.config->name;
    entry.sample_id = samples[i].id;
    entry.prompt_sha256 = pending[i]->prompt_hash;
    entry.params_sha256 = pending[i]->params_hash;
    entry.backend = fingerprint;
    entry.completion = std::move(completion);
    entry.logged_at = now_iso();
    if (!entry.completion.ok()) ++errors;
    run.log.append(std::move(entry));
    pending[i].reset();
    ++done;
  };

  while (true) {
    while (in_flight < run.concurrency && next < samples.size() && !stop_requested()) {
      const std::size_t i = next++;
      if (!pending[i]) continue;
      models::Request request = build_request(*run.task.config, samples[i]);
      if (request.image_count() > caps.max_images_per_request) {
        auto c = models::Completion::failure(
            models::ErrorKind::unsupported,
            fmt::format("{} images in the request; the backend accepts at most {}",
                        request.image_count(), caps.max_images_per_request));
        c.timings.submitted = c.timings.finished = run.clock.now();
        record(i, std::move(c));
        continue;
      }
      ++in_flight;
      const Nanos submitted = run.clock.now();
      const Clock* clock = &run.clock;
      auto done_callback = [mailbox, i, submitted, clock](models::Completion c) {
        c.timings.submitted = submitted;
        c.timings.finished = clock->now();
        {
          std::lock_guard lock(mailbox->mutex);
          mailbox->finished.emplace_back(i, std::move(c));
        }
        mailbox->ready.notify_one();
      };
      try {
        run.backend.submit(std::move(request), done_callback);
      } catch (const std::exception& e) {
        // The contract says submit() does not throw for one request; if it does, the sample
        // fails and the run goes on.
        done_callback(models::Completion::failure(models::ErrorKind::internal, e.what()));
      }
    }
    if (in_flight == 0) break;
    std::deque<std::pair<std::size_t, models::Completion>> finished;
    {
      std::unique_lock lock(mailbox->mutex);
      mailbox->ready.wait(lock, [&] { return !mailbox->finished.empty(); });
      finished.swap(mailbox->finished);
    }
    for (auto& [i, completion] : finished) {
      --in_flight;
      record(i, std::move(completion));
    }
    run.progress.update(done, errors);
  }
  interrupted = next < samples.size() && stop_requested();
  run.progress.finish(done, errors);
  return keys;
}

metrics::ScoringItem scoring_item(const datasets::Sample& sample, const LogEntry* entry) {
  metrics::ScoringItem item;
  item.id = sample.id;
  if (entry != nullptr && entry->completion.ok()) item.prediction = entry->completion.text;
  item.answers = sample.references;
  item.options = sample.options;
  item.category = sample.category;
  for (const auto& [key, value] : sample.meta.items()) {
    if (value.is_string()) {
      item.fields[key] = value.get<std::string>();
    } else if (value.is_boolean() || value.is_number()) {
      item.fields[key] = value.dump();
    }
  }
  return item;
}

/// Scores a cell from the prediction log alone and writes its per-sample file.
void score_cell(const LoadedTask& task, const std::vector<std::string>& keys,
                const PredictionLog& log, const std::filesystem::path& scores_path,
                reports::Cell& cell) {
  std::vector<std::unique_ptr<metrics::Aggregator>> aggregators;
  for (const auto& metric : task.metrics)
    aggregators.push_back(metric->aggregator());
  std::ostringstream lines;
  auto& counts = cell.counts;
  for (std::size_t i = 0; i < task.selected.size(); ++i) {
    const auto& sample = task.selected[i];
    const LogEntry* entry = log.find(keys[i]);
    ++counts.total;
    if (entry != nullptr && entry->completion.ok()) {
      ++counts.ok;
    } else {
      ++counts.error;
      const auto kind = entry == nullptr ? models::ErrorKind::cancelled : entry->completion.error;
      ++counts.errors_by_kind[std::string(models::to_string(kind))];
    }
    const auto item = scoring_item(sample, entry);
    nlohmann::json line{{"id", sample.id}};
    for (std::size_t m = 0; m < task.metrics.size(); ++m) {
      const auto score = task.metrics[m]->score(item);
      aggregators[m]->add(item, score);
      if (m == 0) {
        if (score.status == metrics::ParseStatus::unparsed) ++counts.unparsed;
        line["score"] = score.score;
        line["status"] = score.status == metrics::ParseStatus::parsed     ? "parsed"
                         : score.status == metrics::ParseStatus::unparsed ? "unparsed"
                                                                          : "missing";
        line["extracted"] = score.extracted;
      } else {
        line["scores"][task.metrics[m]->info().name] = score.score;
      }
    }
    line["prediction"] = item.prediction ? nlohmann::json(*item.prediction) : nlohmann::json();
    if (entry != nullptr && !entry->completion.ok()) {
      line["error_kind"] = models::to_string(entry->completion.error);
    }
    lines << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  for (auto& aggregator : aggregators)
    cell.scores.push_back(aggregator->finish());
  std::filesystem::create_directories(scores_path.parent_path());
  datasets::write_file_atomic(scores_path, lines.str());
}

LoadedTask load_task(const TaskConfig& config, const RunOptions& options) {
  const auto& registry = Registry::builtin();
  LoadedTask task;
  task.config = &config;
  if (config.prepare) registry.prepare_dataset(*config.prepare);
  task.dataset = registry.create_loader(config.dataset)->load();
  if (config.calibration) task.calibration = registry.create_loader(*config.calibration)->load();
  task.selected = select_samples(task.dataset.samples, options);
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

}  // namespace

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  try {
    if (slash != std::string::npos) {
      std::size_t used_i = 0;
      std::size_t used_n = 0;
      const auto i = std::stoull(text.substr(0, slash), &used_i);
      const auto n = std::stoull(text.substr(slash + 1), &used_n);
      if (used_i == slash && used_n == text.size() - slash - 1 && n > 0 && i < n &&
          text[0] != '-' && text[slash + 1] != '-') {
        return {static_cast<std::size_t>(i), static_cast<std::size_t>(n)};
      }
    }
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("--shard: expected I/N with 0 <= I < N (e.g. 0/4), got '{}'", text));
}

RunResult run_evaluation(const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  const RunConfig config = load_run_config(options.config_path);
  const auto& registry = Registry::builtin();
  const auto models = select(config.models, options.models, "model");
  const auto tasks = select(config.tasks, options.tasks, "task");
  const std::size_t concurrency = options.concurrency.value_or(config.concurrency);
  if (concurrency == 0) throw InputError("--concurrency must be at least 1");

  // Validate everything before doing any work: a typo in a model option must not surface after an
  // hour of inference.
  Clock clock;
  const models::BackendContext context{clock, config.seed};
  std::vector<std::unique_ptr<models::Backend>> backends;
  for (const auto* model : models)
    backends.push_back(registry.create_backend(*model, context));
  std::vector<std::vector<std::unique_ptr<metrics::Metric>>> task_metrics;
  for (const auto* task : tasks) {
    auto& list = task_metrics.emplace_back();
    for (const auto& m : task->metrics)
      list.push_back(registry.create_metric(m));
    (void)registry.create_loader(task->dataset);
    if (task->calibration) (void)registry.create_loader(*task->calibration);
  }

  RunResult result;
  result.run_dir = choose_run_dir(options, config);
  std::filesystem::create_directories(result.run_dir);
  auto& record = result.record;
  const auto record_path = result.run_dir / kRecordFile;
  std::string original_start = now_iso();
  std::size_t resume_count = 0;
  if (options.resume && std::filesystem::exists(record_path)) {
    try {
      const auto previous = nlohmann::json::parse(datasets::read_file_bytes(record_path));
      original_start = previous.value("started_at", original_start);
      resume_count = previous.value("resume_count", std::size_t{0}) + 1;
      if (previous.value("config_sha256", "") != config.sha256) {
        std::cerr << "note: the config changed since this run started; answers are reused only for "
                     "samples whose prompt, parameters and backend are unchanged\n";
      }
    } catch (const nlohmann::json::exception&) {
      std::cerr << "note: " << record_path.string() << " is unreadable; it will be rewritten\n";
    }
  }
  record.tool = describe_tool();
  record.host = describe_host();
  record.run_name = config.name;
  record.config_path = options.config_path.string();
  record.config_sha256 = config.sha256;
  record.resolved_config = config.resolved;
  record.seed = config.seed;
  record.concurrency = concurrency;
  record.selection = reports::Selection{options.models, options.tasks, options.limit,
                                        options.shard_index, options.shard_count};
  record.started_at = original_start;
  record.resume_count = resume_count;
  record.predictions_file = kPredictionsFile;
  write_record(result.run_dir, record);

  PredictionLog log(result.run_dir / kPredictionsFile, options.fsync);
  for (const auto& warning : log.warnings())
    std::cerr << "note: " << warning << '\n';
  if (options.resume) {
    std::cerr << fmt::format("resuming {} ({} answers logged)\n", result.run_dir.string(),
                             log.size());
  }
  Progress progress(options.progress);

  for (std::size_t t = 0; t < tasks.size() && !result.interrupted; ++t) {
    const TaskConfig& task_config = *tasks[t];
    LoadedTask task;
    std::string load_error;
    bool load_input_error = false;
    try {
      task = load_task(task_config, options);
      task.metrics = std::move(task_metrics[t]);
    } catch (const InputError& e) {
      load_error = e.what();
      load_input_error = true;
    } catch (const std::exception& e) {
      load_error = e.what();
    }
    if (!load_error.empty())
      std::cerr << "error: task " << task_config.name << ": " << load_error << '\n';

    for (std::size_t m = 0; m < models.size() && !result.interrupted; ++m) {
      const ModelConfig& model = *models[m];
      auto& backend = *backends[m];
      reports::Cell cell;
      cell.model = model.name;
      cell.task = task_config.name;
      cell.backend_fingerprint = backend.fingerprint();
      cell.dataset = task.info;
      const auto cell_start = std::chrono::steady_clock::now();
      if (!load_error.empty()) {
        cell.outcome = reports::CellOutcome::failed;
        cell.message = load_error;
        result.cell_failed = true;
        result.input_error = result.input_error || load_input_error;
      } else {
        try {
          backend.prepare(
              models::TaskData{task_config.name, task.selected, task.calibration.samples});
        } catch (const InputError& e) {
          cell.outcome = reports::CellOutcome::unsupported;
          cell.message = e.detail();
        }
        if (cell.outcome == reports::CellOutcome::ok) {
          try {
            bool interrupted = false;
            const auto keys =
                infer_cell(CellRun{model, backend, task, log, clock, concurrency, progress},
                           cell.counts, interrupted);
            if (interrupted) {
              result.interrupted = true;
              cell.outcome = reports::CellOutcome::skipped;
              cell.message = "interrupted before every sample was answered; resume with --resume";
              cell.counts = {};
            } else {
              const auto scores_path =
                  result.run_dir / "scores" / model.name / (task_config.name + ".jsonl");
              score_cell(task, keys, log, scores_path, cell);
              cell.scores_file = relative_to(scores_path, result.run_dir);
            }
          } catch (const InputError& e) {
            cell.outcome = reports::CellOutcome::failed;
            cell.message = e.what();
            result.cell_failed = result.input_error = true;
          } catch (const std::exception& e) {
            cell.outcome = reports::CellOutcome::failed;
            cell.message = e.what();
            result.cell_failed = true;
          }
        }
      }
      if (cell.outcome == reports::CellOutcome::failed) {
        std::cerr << fmt::format("error: {} × {}: {}\n", model.name, task_config.name,
                                 cell.message);
      } else if (cell.outcome == reports::CellOutcome::unsupported) {
        std::cerr << fmt::format("note: {} × {} unsupported: {}\n", model.name, task_config.name,
                                 cell.message);
      }
      cell.wall_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - cell_start).count();
      record.cells.push_back(std::move(cell));
      write_record(result.run_dir, record);
    }
  }

  record.status = result.interrupted ? "interrupted" : "complete";
  record.finished_at = now_iso();
  record.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  write_record(result.run_dir, record);
  std::ostringstream table;
  reports::render_markdown_table(record, table);
  datasets::write_file_atomic(result.run_dir / "summary.md", table.str());
  return result;
}

}  // namespace lmmbench::harness
