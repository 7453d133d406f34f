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
#include "harness/config.hpp"
#include "harness/host.hpp"
#include "harness/inference.hpp"
#include "harness/judge.hpp"
#include "harness/prediction_log.hpp"
#include "harness/prices.hpp"
#include "harness/progress.hpp"
#include "harness/response_cache.hpp"
#include "harness/retry.hpp"
#include "harness/run_directory.hpp"
#include "harness/run_lock.hpp"
#include "harness/run_plan.hpp"
#include "harness/scoring.hpp"
#include "harness/submission.hpp"
#include "harness/task_loading.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::harness {

namespace {

constexpr const char* kJudgmentsFile = "judgments.jsonl";

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
std::vector<reports::CellReplica> cell_replicas_since(
    const std::vector<models::ReplicaUse>& before, const std::vector<models::ReplicaUse>& after) {
  std::vector<reports::CellReplica> out;
  for (const auto& r : models::replica_use_since(before, after))
    out.push_back({r.base_url, r.requests, r.answered, r.connection_failures, r.latency_sum_s});
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

/// A task's data for the run, or why it could not be loaded: every cell of the task then fails
/// with that message.
struct TaskLoad {
  LoadedTask task;
  std::string error;         ///< Empty when loaded.
  bool input_error = false;  ///< The data is bad (InputError), not the machine.
};

TaskLoad load_task_for_run(const TaskConfig& config, const RunOptions& options,
                           std::vector<std::unique_ptr<metrics::Metric>> metrics,
                           const std::filesystem::path& run_dir) {
  TaskLoad load;
  try {
    load.task =
        load_task(config, SampleSelection{options.limit, options.shard_index, options.shard_count});
    load.task.metrics = std::move(metrics);
    write_task_manifest(load.task, run_dir);
  } catch (const InputError& e) {
    load.error = e.what();
    load.input_error = true;
  } catch (const std::exception& e) {
    load.error = e.what();
  }
  if (!load.error.empty()) std::cerr << "error: task " << config.name << ": " << load.error << '\n';
  return load;
}

/// What every cell of a run shares.
struct CellContext {
  const RunOptions& options;
  const RunConfig& config;
  RunPlan& plan;
  const Clock& clock;
  const std::filesystem::path& run_dir;
  PredictionLog& log;
  PredictionLog* judge_log;  ///< Null when no selected task is judged.
  ResponseCache* cache;      ///< Null: no cache.
  Progress& progress;
  const nlohmann::json& previous_cells;  ///< Of the run being resumed, for re-judged verdicts.
};

/// Model m on task t: prepares the backend, answers the samples (infer_cell), judges them where
/// the task is judge-scored, and scores the cell (finish_cell). Every failure becomes the cell's
/// outcome and message; `result`'s flags say what happened (interrupted, failed, input error,
/// backend stopped, over budget).
void run_cell(CellContext& run, std::size_t m, std::size_t t, const TaskLoad& load,
              reports::Cell& cell, RunResult& result) {
  const ModelConfig& model = *run.plan.models[m];
  const TaskConfig& task_config = *run.plan.tasks[t];
  auto& backend = *run.plan.backends[m];
  const LoadedTask& task = load.task;
  if (!load.error.empty()) {
    cell.outcome = reports::CellOutcome::failed;
    cell.message = load.error;
    result.cell_failed = true;
    result.input_error = result.input_error || load.input_error;
    return;
  }
  try {
    backend.prepare(models::TaskData{task_config.name, task.selected, task.calibration.samples});
  } catch (const InputError& e) {
    cell.outcome = reports::CellOutcome::unsupported;
    cell.message = e.detail();
    return;
  }
  const PriceTable* prices = run.plan.prices ? &*run.plan.prices : nullptr;
  try {
    bool interrupted = false;
    CellRun cell_run{model, backend, task, run.log, run.clock, run.plan.concurrency, run.progress};
    cell_run.cache = run.cache;
    cell_run.read_cache = !run.options.refresh_cache;
    cell_run.retry = &run.plan.retry_policies[m];
    cell_run.stopped_by = &run.plan.stopped_by[m];
    const auto replicas_before = backend.replica_use();
    const auto keys = infer_cell(cell_run, cell.counts, interrupted);
    cell.replicas = cell_replicas_since(replicas_before, backend.replica_use());
    result.backend_stopped = result.backend_stopped || run.plan.stopped_by[m].has_value();
    std::optional<CellJudgment> judged;  // judge-scored tasks: the judge stage
    if (!interrupted && run.plan.judges[t]) {
      JudgeRun judge_run{*run.plan.judges[t], *run.judge_log,       kJudgmentsFile,
                         run.clock,           run.plan.concurrency, run.progress};
      judge_run.cache = run.cache;
      judge_run.read_cache = !run.options.refresh_cache;
      judge_run.prices = prices;
      judged = judge_stage(judge_run, task, keys, run.log, cell, interrupted);
    }
    if (interrupted) {
      result.interrupted = true;
      cell.outcome = reports::CellOutcome::skipped;
      cell.message = "interrupted before every sample was answered; resume with --resume";
      cell.counts = {};
      return;
    }
    const auto scores_path = scores_path_of(run.run_dir, model.name, task_config.name);
    auto replaced = previous_verdicts(run.previous_cells, cell, scores_path);
    if (finish_cell(task, keys, run.log, run.run_dir, prices, backend.pricing_model(),
                    error_budget(run.config, task_config), cell,
                    judged ? judge_hook(*task_config.judge, *judged) : ScoringHook{}))
      ++result.cells_over_budget;
    if (replaced) {
      cell.judge->agreement = compare_judges(
          replaced->labels, verdict_labels(scores_path, cell.judge->parser), replaced->model);
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

/// A failed, over-budget or unsupported cell is said on stderr as it ends.
void report_cell_outcome(const reports::Cell& cell) {
  if (cell.outcome == reports::CellOutcome::failed ||
      cell.outcome == reports::CellOutcome::too_many_errors) {
    std::cerr << fmt::format("error: {} × {}: {}\n", cell.model, cell.task, cell.message);
  } else if (cell.outcome == reports::CellOutcome::unsupported) {
    std::cerr << fmt::format("note: {} × {} unsupported: {}\n", cell.model, cell.task,
                             cell.message);
  }
}

}  // namespace

std::filesystem::path scores_path_of(const std::filesystem::path& run_dir, const std::string& model,
                                     const std::string& task) {
  return run_dir / "scores" / model / (task + ".jsonl");
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
  const RunConfig config = load_run_config(options.config_path);
  Clock clock;
  RunPlan plan = plan_run(options, config, clock);
  const std::size_t concurrency = plan.concurrency;

  RunResult result;
  result.run_dir = choose_run_dir(options, config);
  // Holds the directory's lock until the run returns: nothing below writes it otherwise.
  RunDirectory out(result.run_dir, config.name);
  if (!options.resume && std::filesystem::exists(result.run_dir / kPredictionsFile)) {
    throw InputError(Location{result.run_dir.string(), 0, ""},
                     "this directory already holds a run; pass --resume to continue it, or "
                     "choose another --out");
  }
  auto& record = out.record();
  const auto record_path = result.run_dir / kRecordFile;
  std::string original_start = record.started_at;
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
  out.save();

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
  if (options.use_cache && plan.any_cacheable()) {
    cache = std::make_unique<ResponseCache>(default_cache_path(config.output_dir));
  }

  std::optional<PredictionLog> judge_log;
  if (plan.any_judge()) {
    judge_log.emplace(result.run_dir / kJudgmentsFile, options.fsync);
    for (const auto& warning : judge_log->warnings())
      std::cerr << "note: " << warning << '\n';
  }

  CellContext context{options,
                      config,
                      plan,
                      clock,
                      result.run_dir,
                      log,
                      judge_log ? &*judge_log : nullptr,
                      cache.get(),
                      progress,
                      previous_cells};
  for (std::size_t t = 0; t < plan.tasks.size() && !result.interrupted; ++t) {
    const TaskConfig& task_config = *plan.tasks[t];
    TaskLoad load =
        load_task_for_run(task_config, options, std::move(plan.task_metrics[t]), result.run_dir);
    const LoadedTask& task = load.task;
    for (std::size_t m = 0; m < plan.models.size() && !result.interrupted; ++m) {
      const ModelConfig& model = *plan.models[m];
      auto& backend = *plan.backends[m];
      reports::Cell cell;
      cell.model = model.name;
      cell.task = task_config.name;
      cell.backend_fingerprint = backend.fingerprint();
      cell.dataset = task.info;
      const auto cell_start = std::chrono::steady_clock::now();
      run_cell(context, m, t, load, cell, result);
      report_cell_outcome(cell);
      cell.wall_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - cell_start).count();
      record.cells.push_back(std::move(cell));
      out.save();
    }
  }

  open_log.reset();
  judge_log.reset();
  out.finish(result.interrupted ? "interrupted" : "complete");
  result.record = record;
  return result;
}

}  // namespace lmmbench::harness
