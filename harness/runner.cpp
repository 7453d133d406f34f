#include "harness/runner.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/text.hpp"
#include "harness/config.hpp"
#include "harness/host.hpp"
#include "harness/inference.hpp"
#include "harness/judge.hpp"
#include "harness/prediction_log.hpp"
#include "harness/prices.hpp"
#include "harness/progress.hpp"
#include "harness/registry.hpp"
#include "harness/response_cache.hpp"
#include "harness/retry.hpp"
#include "harness/run_lock.hpp"
#include "harness/scoring.hpp"
#include "harness/submission.hpp"
#include "harness/task_loading.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::harness {

namespace {

constexpr const char* kJudgmentsFile = "judgments.jsonl";

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

/// The newest run directory of the config for `--resume` without `--out`, refused unless this
/// config made it and no other process is writing it: resuming takes a run over (its run.json is
/// rewritten, cells of tasks no longer in the config are dropped), so it must be the run the user
/// means.
std::filesystem::path latest_run_to_resume(const RunConfig& config) {
  const auto latest = latest_run_dir(config.output_dir);
  if (latest.empty()) {
    throw InputError(Location{config.output_dir.string(), 0, ""},
                     "--resume: no earlier run of this config to resume here (pass --out DIR)");
  }
  if (const auto holder = RunLock::holder(latest)) {
    throw InputError(Location{latest.string(), 0, ""},
                     fmt::format("--resume: the newest run here is in use by another lmmbench "
                                 "({}); wait for it, or pass --out DIR to choose a run",
                                 holder->describe()));
  }
  std::string made_by;
  try {
    const auto previous = parse_json(lmmbench::read_file_bytes(latest / kRecordFile),
                                     (latest / kRecordFile).string());
    made_by = previous.value("config_sha256", "");
  } catch (const std::exception&) {
    made_by.clear();
  }
  if (made_by != config.sha256) {
    throw InputError(
        Location{latest.string(), 0, ""},
        fmt::format("--resume: the newest run here was made from a different config (its "
                    "config_sha256 {}, this config's {}); pass --out {} to resume it anyway, or "
                    "run without --resume to start a new run",
                    made_by.empty() ? "unreadable" : made_by, config.sha256, latest.string()));
  }
  return latest;
}

/// What each replica did between two readings of Backend::replica_use (one cell).
std::vector<reports::CellReplica> replica_use_since(const std::vector<models::ReplicaUse>& before,
                                                    const std::vector<models::ReplicaUse>& after) {
  std::vector<reports::CellReplica> out;
  for (std::size_t i = 0; i < after.size(); ++i) {
    const models::ReplicaUse start = i < before.size() ? before[i] : models::ReplicaUse{};
    out.push_back({after[i].base_url, after[i].requests - start.requests,
                   after[i].answered - start.answered,
                   after[i].connection_failures - start.connection_failures,
                   after[i].latency_sum_s - start.latency_sum_s});
  }
  return out;
}

/// The run directory, created (a new one is claimed with mkdir, so two runs started in the same
/// second get different directories).
std::filesystem::path choose_run_dir(const RunOptions& options, const RunConfig& config) {
  if (options.out) {
    std::filesystem::create_directories(*options.out);
    return *options.out;
  }
  if (options.resume) return latest_run_to_resume(config);
  std::filesystem::create_directories(config.output_dir);
  const std::string stamp = compact_utc(std::chrono::system_clock::now());
  auto dir = config.output_dir / stamp;
  for (int k = 2; !std::filesystem::create_directory(dir); ++k)
    dir = config.output_dir / fmt::format("{}-{}", stamp, k);
  return dir;
}

}  // namespace

void write_reports_or_warn(const std::filesystem::path& run_dir, const reports::RunRecord& record) {
  try {
    reports::write_run_reports(run_dir, record);
  } catch (const std::exception& e) {  // the record is written; a report can be made later
    std::cerr << "warning: could not write the reports (run `lmmbench report " << run_dir.string()
              << "` to retry): " << e.what() << '\n';
  }
}

std::filesystem::path scores_path_of(const std::filesystem::path& run_dir, const std::string& model,
                                     const std::string& task) {
  return run_dir / "scores" / model / (task + ".jsonl");
}

void write_run_record(const std::filesystem::path& run_dir, const reports::RunRecord& record) {
  write_file_atomic(run_dir / kRecordFile, nlohmann::json(record).dump(2) + "\n");
}

bool finish_cell(const LoadedTask& task, const std::vector<std::string>& keys,
                 const PredictionLog& log, const std::filesystem::path& run_dir,
                 const PriceTable* prices, const std::string& pricing_model, double max_error_rate,
                 reports::Cell& cell, const ScoringHook& hook) {
  const auto scores_path = scores_path_of(run_dir, cell.model, task.config->name);
  score_cell(task, keys, log, scores_path, cell, hook);
  cell.scores_file = scores_path.lexically_relative(run_dir).generic_string();
  const bool over_budget = apply_error_budget(cell, max_error_rate);
  if (task.config->submission) {
    cell.submission_file =
        write_submission(task.config->submission->format, task, keys, log, cell.model, run_dir);
  }
  if (prices != nullptr) {
    cell.usage.prices_as_of = prices->as_of();
    if (const auto price = prices->find(pricing_model)) {
      cell.usage.price_model = price->first;
      cell.usage.cost_usd =
          PriceTable::cost(price->second, cell.usage.prompt_tokens, cell.usage.completion_tokens);
    }
  }
  return over_budget;
}

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
    for (const auto& m : task->metrics) {
      list.push_back(registry.create_metric(m));
      if (list.back()->info().needs_judge && !task->judge) {
        throw InputError(m.where, fmt::format("metric '{}' scores a judge model's verdicts: the "
                                              "task needs a \"judge\" (docs/metrics.md)",
                                              m.name));
      }
    }
    (void)registry.create_loader(task->dataset);
    if (task->calibration) (void)registry.create_loader(*task->calibration);
  }
  // The judges of judge-scored tasks: --rejudge, else the run config's "judge", else the task's.
  std::optional<ModelConfig> judge_override = config.judge;
  if (options.rejudge) {
    judge_override = load_model_config(ConfigNode(JsonSource::from_file(*options.rejudge)));
  }
  std::vector<std::unique_ptr<TaskJudge>> judges(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    if (!tasks[t]->judge) continue;
    const auto& judge = *tasks[t]->judge;
    if (!judge_override && !judge.model) {
      throw InputError(judge.where,
                       "no judge model: name one in \"model\", in the run config's "
                       "\"judge\" or with --rejudge");
    }
    judges[t] = std::make_unique<TaskJudge>(judge, judge_override ? *judge_override : *judge.model,
                                            registry, context, config.seed + 1000 + t);
  }
  if (options.rejudge &&
      std::none_of(judges.begin(), judges.end(), [](const auto& j) { return j != nullptr; })) {
    throw InputError("--rejudge: no selected task has a judge");
  }
  std::optional<PriceTable> prices;
  if (config.prices) prices = PriceTable::load(*config.prices);
  // One retry policy per model: its run budget is shared by all of the model's cells.
  std::vector<RetryPolicy> retry_policies;
  for (std::size_t m = 0; m < models.size(); ++m)
    retry_policies.emplace_back(models[m]->retry, config.seed + m);
  // Per model: the fatal failure that stopped its backend, for all of its later cells.
  std::vector<std::optional<models::Completion>> stopped_by(models.size());

  RunResult result;
  result.run_dir = choose_run_dir(options, config);
  // Held until the run returns: nothing below writes the directory without it.
  const RunLock lock(result.run_dir);
  if (!options.resume && std::filesystem::exists(result.run_dir / kPredictionsFile)) {
    throw InputError(Location{result.run_dir.string(), 0, ""},
                     "this directory already holds a run; pass --resume to continue it, or "
                     "choose another --out");
  }
  if (const auto removed = remove_stale_temporaries(result.run_dir); removed > 0) {
    std::cerr << fmt::format(
        "note: removed {} temporary file(s) left in {} by an interrupted write\n", removed,
        result.run_dir.string());
  }
  auto& record = result.record;
  const auto record_path = result.run_dir / kRecordFile;
  std::string original_start = now_iso();
  std::size_t resume_count = 0;
  nlohmann::json previous_cells;  // of the run being resumed: whom its judged cells were judged by
  if (options.resume && std::filesystem::exists(record_path)) {
    try {
      const auto previous = parse_json(read_file_bytes(record_path), record_path.string());
      original_start = previous.value("started_at", original_start);
      resume_count = previous.value("resume_count", std::size_t{0}) + 1;
      previous_cells = previous.value("cells", nlohmann::json::array());
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
  write_run_record(result.run_dir, record);

  // Released before the reports are made: a large run's log and the reports' per-sample records
  // need not be in memory together.
  std::optional<PredictionLog> open_log;
  PredictionLog& log = open_log.emplace(result.run_dir / kPredictionsFile, options.fsync);
  for (const auto& warning : log.warnings())
    std::cerr << "note: " << warning << '\n';
  if (options.resume) {
    std::cerr << fmt::format("resuming {} ({} answers logged)\n", result.run_dir.string(),
                             log.size());
  }
  Progress progress(options.progress);
  // The response cache is opened only when a backend wants it, so baseline-only runs never
  // create the file.
  std::unique_ptr<ResponseCache> cache;
  const bool any_cacheable =
      std::any_of(backends.begin(), backends.end(),
                  [](const auto& b) { return b->capabilities().cache_responses; }) ||
      std::any_of(judges.begin(), judges.end(), [](const auto& j) {
        return j != nullptr && j->backend().capabilities().cache_responses;
      });
  if (options.use_cache && any_cacheable) {
    cache = std::make_unique<ResponseCache>(default_cache_path(config.output_dir));
  }

  std::optional<PredictionLog> judge_log;
  if (std::any_of(judges.begin(), judges.end(), [](const auto& j) { return j != nullptr; })) {
    judge_log.emplace(result.run_dir / kJudgmentsFile, options.fsync);
    for (const auto& warning : judge_log->warnings())
      std::cerr << "note: " << warning << '\n';
  }

  for (std::size_t t = 0; t < tasks.size() && !result.interrupted; ++t) {
    const TaskConfig& task_config = *tasks[t];
    LoadedTask task;
    std::string load_error;
    bool load_input_error = false;
    try {
      task = load_task(task_config,
                       SampleSelection{options.limit, options.shard_index, options.shard_count});
      task.metrics = std::move(task_metrics[t]);
      write_task_manifest(task, result.run_dir);
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
            CellRun cell_run{model, backend, task, log, clock, concurrency, progress};
            cell_run.cache = cache.get();
            cell_run.read_cache = !options.refresh_cache;
            cell_run.retry = &retry_policies[m];
            cell_run.stopped_by = &stopped_by[m];
            const auto replicas_before = backend.replica_use();
            const auto keys = infer_cell(cell_run, cell.counts, interrupted);
            cell.replicas = replica_use_since(replicas_before, backend.replica_use());
            result.backend_stopped = result.backend_stopped || stopped_by[m].has_value();
            std::optional<CellJudgment> judged;  // judge-scored tasks: the judge stage
            if (!interrupted && judges[t]) {
              JudgeRun judge_run{*judges[t], *judge_log,  kJudgmentsFile,
                                 clock,      concurrency, progress};
              judge_run.cache = cache.get();
              judge_run.read_cache = !options.refresh_cache;
              judge_run.prices = prices ? &*prices : nullptr;
              judged = judge_stage(judge_run, task, keys, log, cell, interrupted);
            }
            if (interrupted) {
              result.interrupted = true;
              cell.outcome = reports::CellOutcome::skipped;
              cell.message = "interrupted before every sample was answered; resume with --resume";
              cell.counts = {};
            } else {
              const auto scores_path = scores_path_of(result.run_dir, model.name, task_config.name);
              auto replaced = previous_verdicts(previous_cells, cell, scores_path);
              if (finish_cell(task, keys, log, result.run_dir, prices ? &*prices : nullptr,
                              backend.pricing_model(), error_budget(config, task_config), cell,
                              judged ? judge_hook(*task_config.judge, *judged) : ScoringHook{}))
                ++result.cells_over_budget;
              if (replaced) {
                cell.judge->agreement = compare_judges(
                    replaced->labels, verdict_labels(scores_path, cell.judge->parser),
                    replaced->model);
              }
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
      if (cell.outcome == reports::CellOutcome::failed ||
          cell.outcome == reports::CellOutcome::too_many_errors) {
        std::cerr << fmt::format("error: {} × {}: {}\n", model.name, task_config.name,
                                 cell.message);
      } else if (cell.outcome == reports::CellOutcome::unsupported) {
        std::cerr << fmt::format("note: {} × {} unsupported: {}\n", model.name, task_config.name,
                                 cell.message);
      }
      cell.wall_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - cell_start).count();
      record.cells.push_back(std::move(cell));
      write_run_record(result.run_dir, record);
    }
  }

  record.status = result.interrupted ? "interrupted" : "complete";
  record.finished_at = now_iso();
  record.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  write_run_record(result.run_dir, record);
  open_log.reset();
  judge_log.reset();
  write_reports_or_warn(result.run_dir, record);
  return result;
}

}  // namespace lmmbench::harness
