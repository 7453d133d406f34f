#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_source.hpp"
#include "harness/retry.hpp"
#include "models/request.hpp"

namespace lmmbench::harness {

/// A model: a named backend with its options. Options are validated by the backend's factory
/// when the backend is created (which is when unknown option keys are reported).
struct ModelConfig {
  std::string name;
  std::string description;
  std::string backend;                ///< Registry name of the backend kind.
  std::optional<ConfigNode> options;  ///< The "options" object, if any.
  RetryConfig retry;                  ///< The "retry" object: the harness retries failed attempts.
  nlohmann::json resolved;            ///< The config as read, for the run record.
  Location where;                     ///< Of the model's "name", for messages.
};

/// A dataset reference inside a task: a loader name plus the loader's own options.
struct DatasetConfig {
  std::string format;  ///< Registry name of the loader.
  ConfigNode node;     ///< The whole object (the loader reads its options from it).
  /// "source": where to obtain the data and where to put it, shown when a file is missing
  /// (nothing is ever downloaded implicitly).
  std::string source;
};

/// "submission": a file in an evaluation server's format, written into the run directory for
/// splits whose gold answers are not public (docs/datasets.md says what each server accepts).
struct SubmissionConfig {
  std::string format;  ///< vqav2-evalai, vizwiz-evalai or mmbench-xlsx.
};

/// Generates a dataset before it is loaded (the synthetic suite); skipped when already current.
struct PrepareConfig {
  std::string generator;  ///< Registry name of the generator.
  ConfigNode node;        ///< The whole object.
};

/// How a Sample becomes a Request. The template's placeholders are {question}, {options}
/// (rendered "A. text" lines), {category} and {meta.KEY}; "{{" and "}}" are literal braces.
struct PromptConfig {
  std::string template_text = "{question}";
  std::string system;
  enum class ImagePlacement { before, after, none } image_placement = ImagePlacement::before;
};

struct MetricConfig {
  std::string name;
  std::string variant;
  std::optional<ConfigNode> options;
  Location where;
};

/// "judge" of a judge-scored task (harness/judge.hpp, docs/metrics.md): who grades the model's
/// answers, with which prompt, and how its replies are read.
struct JudgeConfig {
  /// The judge model (a model config path or an inline object); the run config's "judge" and
  /// `--rejudge` override it.
  std::optional<ModelConfig> model;
  /// The metric whose protocol builds the judge's requests and reads its replies: "llava_bench"
  /// (LLaVA's pairwise review), "mmvet" (MM-Vet's grader, with its re-ask rule) or "mathvista"
  /// (MathVista's answer extraction, asked only where its rules do not settle the answer) or
  /// "hallusionbench" (HallusionBench's correct / incorrect / unclear).
  std::string parser;
  std::filesystem::path prompt;         ///< The prompt template file (configs/judges/).
  std::string system;                   ///< The judge's system prompt ("" = none).
  std::size_t runs = 1;                 ///< Judge runs per answer (MM-Vet's protocol: 5).
  models::GenerationParams generation;  ///< The judge's decoding (the protocol's).
  Location where;
};

/// A benchmark: dataset, prompt, decoding parameters and metrics. The first metric is the headline.
struct TaskConfig {
  std::string name;
  std::string description;
  std::optional<PrepareConfig> prepare;
  DatasetConfig dataset;
  std::optional<DatasetConfig> calibration;
  std::optional<SubmissionConfig> submission;
  PromptConfig prompt;
  models::GenerationParams generation;
  std::vector<MetricConfig> metrics;
  /// "max_error_rate": this task's error budget, overriding the run config's (docs/ci.md).
  std::optional<double> max_error_rate;
  std::optional<JudgeConfig> judge;
  nlohmann::json resolved;
  Location where;
};

/// A run: models x tasks, where results go, and how hard to push.
struct RunConfig {
  std::string name;
  std::filesystem::path path;  ///< The run config file.
  std::vector<ModelConfig> models;
  std::vector<TaskConfig> tasks;
  std::filesystem::path output_dir;  ///< Parent of the timestamped run directories.
  std::size_t concurrency = 1;       ///< Requests in flight per cell.
  std::uint64_t seed = 0;
  /// "max_error_rate": the error budget of every cell, the share of its samples (0..1) that may
  /// fail (an error, not a wrong answer) before the cell is too_many_errors and `run` exits 1.
  /// 0: any failed sample fails the cell. A task's own "max_error_rate" overrides it.
  double max_error_rate = 0.0;
  /// "prices": the API price table (configs/prices.json) for the run record's cost; none = no cost.
  std::optional<std::filesystem::path> prices;
  /// "judge": a model config that judges every judge-scored task instead of the task's own.
  std::optional<ModelConfig> judge;
  nlohmann::json resolved;  ///< Models and tasks inlined: what the record stores.
  std::string sha256;       ///< Of `resolved`, canonical (sorted keys, no spaces).
};

/// Reads a run config and every model and task config it names (paths are relative to the file
/// that names them; entries may also be inline objects). Throws InputError naming the file, line
/// and field of the first problem: syntax, type, missing or unknown key (with the nearest valid
/// key), duplicate model or task names.
RunConfig load_run_config(const std::filesystem::path& path);

ModelConfig load_model_config(const ConfigNode& node);
TaskConfig load_task_config(const ConfigNode& node);

/// The error budget of a task in a run: the task's "max_error_rate", else the run's.
double error_budget(const RunConfig& run, const TaskConfig& task);

/// Checks a prompt template's placeholders; throws InputError at `where` for an unknown one.
void validate_template(const std::string& text, const ConfigNode& where);

}  // namespace lmmbench::harness
