#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/metric.hpp"
#include "reports/gpu_section.hpp"
#include "reports/perf_section.hpp"
#include "reports/train_cost_section.hpp"

namespace lmmbench::reports {

/// Version of the run.json layout. Bump it when a reader of the previous version could misread
/// the new one, and teach migrate_run_record the step from the previous one.
/// 2: the GPU section's costs take the perf section's names (usd_per_1m_output_tokens,
///    usd_per_1k_images and their measured_ twins); cells may be too_many_errors.
inline constexpr int kRunRecordSchemaVersion = 2;

/// The binary that produced the record.
struct ToolInfo {
  std::string name = "lmmbench";
  std::string version;
  std::string git_revision;
  bool git_dirty = false;
  std::string build_type;
  std::string sanitizers;
};

/// The machine the run happened on.
struct HostInfo {
  std::string hostname;
  std::string os;   ///< uname: sysname release machine
  std::string cpu;  ///< Model name from /proc/cpuinfo, when available.
  unsigned cpu_count = 0;
};

/// What became of one model x task cell. A failure in one cell never stops the others.
enum class CellOutcome {
  ok,           ///< Ran and was scored; failed samples, if any, were within the error budget.
  failed,       ///< An error stopped the cell (e.g. the dataset could not be read).
  unsupported,  ///< The backend cannot serve this task (a result, not a crash).
  skipped,      ///< Not run (e.g. filtered out by the shard).
  /// Ran and was scored, but more samples failed than its error budget (`max_error_rate`)
  /// allows: the score covers only what was answered, and `lmmbench run` exits 1.
  too_many_errors,
};

std::string_view to_string(CellOutcome outcome);

/// Per-sample accounting of a cell: total = ok + error. `ok` counts the samples answered (a reply
/// arrived, empty or not); `empty` and `unparsed` are parts of it: `empty` the answers whose text
/// is empty or only whitespace, `unparsed` as the headline metric counted them (an empty answer
/// may be both). An errored sample is also missing for the metric.
struct SampleCounts {
  std::size_t total = 0;
  std::size_t ok = 0;
  std::size_t error = 0;
  std::size_t empty = 0;
  std::size_t unparsed = 0;
  std::size_t resumed = 0;  ///< Taken from the prediction log of an earlier, interrupted run.
  std::size_t cached = 0;   ///< Served by the response cache of an earlier run (no request sent).
  std::size_t retries = 0;  ///< Attempts beyond the first, over the cell's requests in this run.
  std::map<std::string, std::size_t> errors_by_kind;
};

struct DatasetInfo {
  std::string name;
  std::string format;
  std::string manifest_sha256;  ///< datasets::manifest_sha256 over every file read.
  /// The per-file manifest (sha256sum format) in the run directory, relative to it; what
  /// `lmmbench datasets verify TASK --run DIR` compares against.
  std::string manifest_file;
  std::string root;                ///< The directory the manifest's names are relative to.
  std::string task_config_sha256;  ///< Of the resolved task config (canonical JSON).
  std::size_t n_files = 0;
  std::size_t n_samples = 0;   ///< In the dataset.
  std::size_t n_selected = 0;  ///< After --limit and --shard.
};

/// Token usage of a cell's logged answers, as the servers reported it (image tokens are part of
/// the prompt count), and what it costs at the run's price table.
struct CellUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::size_t requests_with_usage = 0;  ///< Logged answers that carried a usage report.
  std::optional<double> cost_usd;       ///< Absent when the model has no entry in the table.
  std::string price_model;              ///< The price-table entry used.
  std::string prices_as_of;             ///< Date of the price table.
};

/// What one replica of the cell's model did in this cell (a model config whose "base_url" lists
/// several servers; docs/scale.md).
struct CellReplica {
  std::string base_url;
  std::size_t requests = 0;             ///< Attempts sent to it.
  std::size_t answered = 0;             ///< Attempts it replied to (any HTTP status).
  std::size_t connection_failures = 0;  ///< Attempts that failed to connect (then backed off).
  double latency_sum_s = 0;             ///< Over the answered attempts, submit to reply.
};

/// How the verdicts of a cell's judge agree with those of the judge it replaced (`--rejudge`).
struct JudgeAgreement {
  std::string previous_model;   ///< The earlier judge's model config name.
  std::size_t n = 0;            ///< Verdicts compared (samples x judge runs both judged).
  double percent = 0.0;         ///< Percent of identical verdicts.
  std::optional<double> kappa;  ///< Cohen's kappa; absent where undefined.
};

/// The judge stage of a judge-scored cell (harness/judge.hpp): which judge graded the answers, with
/// which prompt, and what it cost, apart from the model's own usage.
struct CellJudge {
  std::string model;                        ///< The judge's model config name.
  std::string backend_fingerprint;          ///< The judge backend's fingerprint.
  std::string parser;                       ///< Whose reply reading: "llava_bench" or "mmvet".
  std::string prompt_file;                  ///< The prompt template as configured.
  std::string prompt_sha256;                ///< Of the template's bytes.
  std::size_t runs = 1;                     ///< Judge runs per answer (MM-Vet: 5).
  std::size_t requests = 0;                 ///< Judge requests of this cell (re-asks included).
  std::size_t resumed = 0;                  ///< Of which reused from the judge log.
  std::size_t cached = 0;                   ///< Of which served by the response cache.
  std::size_t failed = 0;                   ///< Requests that got no reply (the cell then fails).
  std::size_t reasks = 0;                   ///< Re-asks after an unreadable reply (MM-Vet's rule).
  std::size_t unparsed = 0;                 ///< Final verdicts that could not be read.
  std::string log_file;                     ///< The judge log, relative to the run directory.
  CellUsage usage;                          ///< Token usage and cost of the judge's requests.
  std::optional<JudgeAgreement> agreement;  ///< After a re-judge with another judge.
};

struct Cell {
  std::string model;
  std::string task;
  CellOutcome outcome = CellOutcome::ok;
  std::string message;  ///< Why the cell failed, is unsupported or over budget; empty when ok.
  /// The error budget the cell was held to: the largest share of failed samples (0..1) that
  /// still leaves it ok. Records made before budgets existed read as 0.
  double max_error_rate = 0.0;
  std::string backend_fingerprint;
  DatasetInfo dataset;
  SampleCounts counts;
  CellUsage usage;
  std::vector<metrics::MetricResult> scores;  ///< One per task metric; the first is the headline.
  double wall_seconds = 0.0;                  ///< Inference + scoring of this cell in this process.
  std::string scores_file;                    ///< Per-sample scores, relative to the run directory.
  std::string submission_file;     ///< The evaluation-server file, relative to the run directory.
  std::optional<CellJudge> judge;  ///< Judge-scored tasks only.
  /// Models served by several replicas only (absent from run.json otherwise).
  std::vector<CellReplica> replicas;

  [[nodiscard]] const metrics::MetricResult* headline() const {
    return scores.empty() ? nullptr : &scores.front();
  }
  /// Ran to the end and was scored: ok or too_many_errors.
  [[nodiscard]] bool scored() const {
    return outcome == CellOutcome::ok || outcome == CellOutcome::too_many_errors;
  }
  /// Samples that got an answer (empty answers included).
  [[nodiscard]] std::size_t answered() const { return counts.ok; }
  /// Scored with a headline over at least one answer. A cell that was scored over no answers has
  /// no score (null in run.json): renderers show "no answers", never 0.
  [[nodiscard]] bool has_score() const {
    return scored() && headline() != nullptr && answered() > 0;
  }
};

/// Which part of the plan this run covered.
struct Selection {
  std::vector<std::string> models;  ///< Empty = all.
  std::vector<std::string> tasks;   ///< Empty = all.
  std::optional<std::size_t> limit;
  std::size_t shard_index = 0;
  std::size_t shard_count = 1;
};

/// One shard a merged run was made from (`lmmbench merge`, harness/merge.hpp): its provenance.
struct ShardSource {
  std::string dir;  ///< The shard's run directory, absolute, as merge found it.
  std::size_t shard_index = 0;
  std::size_t shard_count = 1;
  std::string hostname;
  std::string started_at;
  std::string finished_at;
  double wall_seconds = 0.0;
  std::size_t resume_count = 0;
  std::string record_sha256;  ///< Of the shard's run.json bytes.
};

/// The canonical record of a run (run.json). Every report is a rendering of it.
struct RunRecord {
  int schema_version = kRunRecordSchemaVersion;
  ToolInfo tool;
  HostInfo host;
  std::string run_name;
  std::string config_path;
  std::string
      config_sha256;  ///< Of the resolved config (models and tasks inlined), canonical JSON.
  nlohmann::json resolved_config;
  std::uint64_t seed = 0;
  std::size_t concurrency = 1;
  Selection selection;
  std::string status = "running";  ///< "running" while in progress, "complete" at the end.
  std::string started_at;          ///< UTC, ISO 8601.
  std::string finished_at;
  double wall_seconds = 0.0;
  std::size_t resume_count = 0;  ///< How many times this run directory was resumed.
  std::string predictions_file;  ///< Relative to the run directory.
  std::vector<Cell> cells;
  /// The shards this run was merged from, in shard order; empty for a run made by `run` (then
  /// absent from run.json).
  std::vector<ShardSource> merged_from;
  /// GPU roofline and measurements (`lmmbench gpu`); absent from evaluation runs.
  std::optional<GpuSection> gpu;
  /// Serving latency, throughput and cost (`lmmbench perf`, docs/perf.md); absent otherwise.
  std::optional<PerfSection> perf;
  /// Training FLOPs, memory, time and dollars (`lmmbench train-cost`, docs/gpu.md); absent
  /// otherwise.
  std::optional<TrainCostSection> train_cost;
};

/// The JSON of a run record of any readable version (1 to kRunRecordSchemaVersion), rewritten
/// as kRunRecordSchemaVersion writes it: keys renamed since; whatever an older version lacked is
/// left out and reads as its default. Throws InputError naming /schema_version when `j` is not
/// a run record or is of a newer version than this build reads, naming that version.
nlohmann::json migrate_run_record(nlohmann::json j);

void to_json(nlohmann::json& j, const RunRecord& r);
/// Reads a record of schema version <= kRunRecordSchemaVersion (an older one through
/// migrate_run_record); throws InputError naming the version otherwise.
void from_json(const nlohmann::json& j, RunRecord& r);

}  // namespace lmmbench::reports
