#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "harness/config.hpp"
#include "harness/prediction_log.hpp"
#include "harness/prices.hpp"
#include "harness/progress.hpp"
#include "harness/registry.hpp"
#include "harness/response_cache.hpp"
#include "harness/retry.hpp"
#include "harness/scoring.hpp"
#include "harness/task_loading.hpp"
#include "metrics/metric.hpp"
#include "models/backend.hpp"
#include "reports/run_record.hpp"
#include "reports/sample_record.hpp"

namespace lmmbench::harness {

/// The judge stage of `lmmbench run` (docs/metrics.md, "The judge stage"): after a judge-scored
/// cell's answers are logged, a judge model grades each of them with its benchmark's protocol,
/// through the same inference path as the model (harness/inference.hpp: concurrency, retries,
/// rate limits, the response cache), and its requests and replies go to the judge log, a
/// prediction log of its own (judgments.jsonl), so a resumed run never asks twice.
///
/// Protocols (JudgeConfig::parser):
///  - "llava_bench": haotian-liu/LLaVA eval_gpt_review_bench.py — one request per answer: the
///    image's caption, the question, the reference answer (Assistant 1), the model's answer
///    (Assistant 2) and the rule prompt; the reply goes to the metric unread (its parse_score).
///  - "mmvet": yuweihao/MM-Vet mm-vet_evaluator.py `runs` — the grader prompt, "\n", then
///    "question | ground truth | answer | "; a reply MmVet::parse_grade cannot read is re-asked
///    with "\nPredict the correctness of the answer (digit): " appended at temperature 0, 0.5,
///    1.0, 1.5, 2.0; the fifth re-ask's reply is not read and the grade is 0.0 (counted
///    unparsed by the metric). Repeated for each of `runs` judge runs (5 in the paper).
///  - "mathvista": lupantech/MathVista extract_answer.py `extract_answer` — only for an answer
///    that MathVista::extraction_rules does not settle (the empty answer, a choice, an integer
///    or float as Python reads it), one request: create_test_prompt(prompt, meta.query, answer);
///    the reply goes to the metric unread (the extraction). Never re-asked.
///  - "hallusionbench": tianyi-lab/HallusionBench utils.py evaluate_by_chatgpt — one request per
///    answer: the prompt, the question, "\nReference answer: " + meta.gt_answer_details,
///    "\nPrediction answer:" + the answer, "\nOutput:"; the reply goes to the metric unread
///    (HallusionBench::judge_code). Never re-asked.
class TaskJudge {
 public:
  /// Creates the judge's backend (throws InputError for a bad judge config) and reads the prompt
  /// template (throws InputError naming the file when it cannot be read).
  TaskJudge(const JudgeConfig& config, ModelConfig model, const Registry& registry,
            const models::BackendContext& context, std::uint64_t seed);

  [[nodiscard]] const JudgeConfig& config() const { return config_; }
  [[nodiscard]] const ModelConfig& model() const { return model_; }
  [[nodiscard]] models::Backend& backend() const { return *backend_; }
  [[nodiscard]] RetryPolicy& retry() { return retry_; }
  [[nodiscard]] const std::string& prompt_sha256() const { return prompt_sha256_; }

  /// The text of the first request about one answer (no re-ask suffix). Throws InputError for
  /// a MathVista sample without meta.query, a HallusionBench one without meta.gt_answer_details.
  [[nodiscard]] std::string request_text(const datasets::Sample& sample,
                                         const std::string& answer) const;

 private:
  JudgeConfig config_;
  ModelConfig model_;
  std::unique_ptr<models::Backend> backend_;
  RetryPolicy retry_;
  std::string prompt_;
  std::string prompt_sha256_;
};

/// What the judge said about one sample, as its metric reads it (ScoringItem::judge_scores /
/// judge_replies), and every exchange for the per-sample scores file. Empty for a sample the
/// protocol settles without asking (MathVista's rules).
struct SampleJudgment {
  std::vector<double> scores;
  std::vector<std::string> replies;
  /// Every exchange in the order asked, for the per-sample scores file.
  std::vector<reports::JudgeExchange> exchanges;
};

/// Everything the judge stage of one cell needs from the run.
struct JudgeRun {
  TaskJudge& judge;
  PredictionLog& log;    ///< The judge log.
  std::string log_file;  ///< Its path relative to the run directory, for the record.
  const Clock& clock;
  std::size_t concurrency;
  Progress& progress;
  ResponseCache* cache = nullptr;
  bool read_cache = true;
  const PriceTable* prices = nullptr;
};

struct CellJudgment {
  std::vector<SampleJudgment> samples;  ///< One per selected sample (empty when not complete).
  reports::CellJudge record;
  bool interrupted = false;
};

/// Judges every selected sample of a cell whose answers are in `predictions` under `keys`
/// (infer_cell's result). A sample whose request failed is judged with an empty answer (its
/// failure is counted in the cell's errors). record.failed > 0 means some judge requests got no
/// reply: the cell has no score (resume to ask them again).
CellJudgment judge_cell(JudgeRun& run, const LoadedTask& task, const std::string& model_name,
                        const std::vector<std::string>& keys, const PredictionLog& predictions);

/// The judge stage of one cell, for the runner (between infer_cell and score_cell): judges it,
/// sets cell.judge, and returns the judgment, or nullopt (with `interrupted` set) when a stop was
/// requested. Throws std::runtime_error when some judge request got no reply: no score then.
std::optional<CellJudgment> judge_stage(JudgeRun& run, const LoadedTask& task,
                                        const std::vector<std::string>& keys,
                                        const PredictionLog& predictions, reports::Cell& cell,
                                        bool& interrupted);

/// score_cell's hook giving each item its verdict and each per-sample line the judge's exchanges.
ScoringHook judge_hook(const JudgeConfig& config, const CellJudgment& judged);

/// Gives `item` the judgment, as the metric expects it (LLaVA's category "llava_bench_<c>").
void apply_judgment(const JudgeConfig& config, const SampleJudgment& judgment,
                    metrics::ScoringItem& item);

/// Per sample id, the verdict of each judge run as a judged cell's per-sample scores file holds
/// it (score_cell's "extracted"): MM-Vet's grade per run ("?" unreadable), LLaVA-Bench's grade of
/// the model's answer ("-1" unreadable). Empty when the file is absent or unreadable.
using VerdictLabels = std::map<std::string, std::vector<std::string>, std::less<>>;
VerdictLabels verdict_labels(const std::filesystem::path& scores_file, const std::string& parser);

/// Percent agreement and Cohen's kappa of two judges' verdicts (metrics::agreement) over the
/// samples and judge runs both judged.
reports::JudgeAgreement compare_judges(const VerdictLabels& previous, const VerdictLabels& current,
                                       const std::string& previous_model);

/// The verdicts a re-judged cell replaces: when the resumed run's record (`previous_cells`) judged
/// this cell with another judge, that judge's name and its verdicts from `scores_file` (read
/// before score_cell rewrites it).
struct PreviousVerdicts {
  std::string model;
  VerdictLabels labels;
};
std::optional<PreviousVerdicts> previous_verdicts(const nlohmann::json& previous_cells,
                                                  const reports::Cell& cell,
                                                  const std::filesystem::path& scores_file);

}  // namespace lmmbench::harness
