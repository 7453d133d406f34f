#include "harness/judge.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/sha256.hpp"
#include "harness/inference.hpp"
#include "metrics/agreement.hpp"
#include "metrics/hallusionbench.hpp"
#include "metrics/llava_bench.hpp"
#include "metrics/mathvista.hpp"
#include "metrics/mmvet.hpp"
#include "reports/sample_record.hpp"

namespace lmmbench::harness {

namespace {

/// mm-vet_evaluator.py `runs`: appended to the request when a reply could not be read.
constexpr const char* kMmVetReask = "\nPredict the correctness of the answer (digit): ";
/// The official loop re-asks five times; the fifth re-ask's reply is recorded unread, grade 0.0.
constexpr std::size_t kMmVetReasks = 5;

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

std::string meta_string(const datasets::Sample& sample, const char* key) {
  const auto it = sample.meta.find(key);
  if (it == sample.meta.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

TaskJudge::TaskJudge(const JudgeConfig& config, ModelConfig model, const Registry& registry,
                     const models::BackendContext& context, std::uint64_t seed)
    : config_(config),
      model_(std::move(model)),
      backend_(registry.create_backend(model_, context)),
      retry_(model_.retry, seed) {
  if (!std::filesystem::is_regular_file(config_.prompt)) {
    throw InputError(config_.where, fmt::format("prompt: the judge prompt template '{}' is not a "
                                                "readable file",
                                                config_.prompt.generic_string()));
  }
  prompt_ = read_file_bytes(config_.prompt);
  prompt_sha256_ = sha256_hex(prompt_);
}

std::string TaskJudge::request_text(const datasets::Sample& sample,
                                    const std::string& answer) const {
  const std::string reference = sample.references.empty() ? "" : sample.references.front();
  if (config_.parser == "llava_bench") {
    // haotian-liu/LLaVA eval_gpt_review_bench.py: role "Assistant", answer 1 = the reference.
    return fmt::format(
        "[Context]\n{}\n\n[Question]\n{}\n\n[Assistant 1]\n{}\n\n[End of Assistant 1]\n\n"
        "[Assistant 2]\n{}\n\n[End of Assistant 2]\n\n[System]\n{}\n\n",
        meta_string(sample, "caption"), sample.question, reference, answer, prompt_);
  }
  if (config_.parser == "mathvista") {
    const auto query = sample.meta.find("query");
    if (query == sample.meta.end() || !query->is_string()) {
      throw InputError(
          fmt::format("sample '{}': the MathVista judge asks with the problem's query (meta.query: "
                      "the official data's \"query\" field), which this sample lacks",
                      sample.id));
    }
    return metrics::MathVista::extraction_request(prompt_, query->get<std::string>(), answer);
  }
  if (config_.parser == "hallusionbench") {
    const auto details = sample.meta.find("gt_answer_details");
    if (details == sample.meta.end() || !details->is_string()) {
      throw InputError(fmt::format(
          "sample '{}': the HallusionBench judge compares with the reference answer "
          "(meta.gt_answer_details: the official data's \"gt_answer_details\"), which this "
          "sample lacks",
          sample.id));
    }
    return metrics::HallusionBench::judge_request(prompt_, sample.question,
                                                  details->get<std::string>(), answer);
  }
  // yuweihao/MM-Vet mm-vet_evaluator.py: prompt + '\n' + ' | '.join([question, gt, pred, ""]).
  const std::string gt = replace_all(replace_all(reference, "<AND>", " <AND> "), "<OR>", " <OR> ");
  return fmt::format("{}\n{} | {} | {} | ", prompt_, sample.question, gt, answer);
}

CellJudgment judge_cell(JudgeRun& run, const LoadedTask& task, const std::string& model_name,
                        const std::vector<std::string>& keys, const PredictionLog& predictions) {
  const JudgeConfig& config = run.judge.config();
  const bool mmvet = config.parser == "mmvet";
  const auto& samples = task.selected;
  CellJudgment out;
  auto& record = out.record;
  record.model = run.judge.model().name;
  record.backend_fingerprint = run.judge.backend().fingerprint();
  record.parser = config.parser;
  record.prompt_file = config.prompt.generic_string();
  record.prompt_sha256 = run.judge.prompt_sha256();
  record.runs = config.runs;
  record.log_file = run.log_file;

  const bool mathvista = config.parser == "mathvista";  // asks only where its rules do not settle
  std::vector<std::string> base(samples.size());
  std::vector<std::size_t> asked_samples;  // the samples the judge is asked about
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const LogEntry* entry = predictions.find(keys[i]);
    const std::string answer =
        entry != nullptr && entry->completion.ok() ? entry->completion.text : std::string();
    // MathVista's extract_answer asks no model where its rules settle the answer.
    if (mathvista && metrics::MathVista::extraction_rules(answer, samples[i].options,
                                                          meta_string(samples[i], "question_type"),
                                                          meta_string(samples[i], "answer_type")))
      continue;
    base[i] = run.judge.request_text(samples[i], answer);
    asked_samples.push_back(i);
  }
  out.samples.resize(samples.size());
  for (auto& s : out.samples) {
    if (mmvet) {
      s.scores.assign(config.runs, 0.0);
      s.replies.assign(config.runs, std::string());
    }
  }

  const std::size_t asks = mmvet ? 1 + kMmVetReasks : 1;
  for (std::size_t r = 0; r < config.runs; ++r) {
    std::vector<std::size_t> open = asked_samples;
    for (std::size_t a = 0; a < asks && !open.empty(); ++a) {
      TaskConfig judge_task;
      judge_task.name = task.config->name + "/judge";
      judge_task.prompt.template_text = "{question}";
      judge_task.prompt.system = config.system;
      judge_task.prompt.image_placement = PromptConfig::ImagePlacement::none;
      judge_task.generation = config.generation;
      // MM-Vet's re-asks: temperature 0.0, 0.5, ... (the official loop adds 0.5 after each).
      if (a > 0) judge_task.generation.temperature += 0.5 * static_cast<double>(a - 1);
      LoadedTask asked;
      asked.config = &judge_task;
      for (const auto i : open) {
        datasets::Sample s;
        s.id = fmt::format("{}/{}/run{}/ask{}", model_name, samples[i].id, r, a);
        s.question = a == 0 ? base[i] : base[i] + kMmVetReask;
        asked.selected.push_back(std::move(s));
      }
      CellRun cell_run{run.judge.model(), run.judge.backend(), asked,       run.log,
                       run.clock,         run.concurrency,     run.progress};
      // Later judge runs must be asked again, not served the first run's cached reply: the
      // protocol's spread comes from repeated requests.
      cell_run.cache = r == 0 ? run.cache : nullptr;
      cell_run.read_cache = run.read_cache;
      cell_run.retry = &run.judge.retry();
      cell_run.log_request_text = true;
      reports::SampleCounts counts;
      bool interrupted = false;
      const auto judge_keys = infer_cell(cell_run, counts, interrupted);
      if (interrupted) {
        out.interrupted = true;
        return out;
      }
      record.requests += open.size();
      record.resumed += counts.resumed;
      record.cached += counts.cached;
      if (a > 0) record.reasks += open.size();
      std::vector<std::size_t> still_open;
      for (std::size_t k = 0; k < open.size(); ++k) {
        const std::size_t i = open[k];
        auto& judgment = out.samples[i];
        const LogEntry* entry = run.log.find(judge_keys[k]);
        if (entry != nullptr) {
          const auto& usage = entry->completion.usage;
          if (usage.prompt_tokens || usage.completion_tokens) ++record.usage.requests_with_usage;
          record.usage.prompt_tokens += usage.prompt_tokens.value_or(0);
          record.usage.completion_tokens += usage.completion_tokens.value_or(0);
        }
        if (entry == nullptr || !entry->completion.ok()) {
          ++record.failed;
          continue;
        }
        const std::string& reply = entry->completion.text;
        judgment.exchanges.push_back(
            reports::JudgeExchange{r, a, asked.selected[k].question, reply});
        if (!mmvet) {
          judgment.replies.push_back(reply);
          const bool unreadable =
              (config.parser == "llava_bench" && !metrics::LlavaBench::parse_review(reply)) ||
              (config.parser == "hallusionbench" &&
               metrics::HallusionBench::judge_code(reply) == 2);
          if (unreadable) ++record.unparsed;
          continue;
        }
        judgment.replies[r] = reply;
        if (a + 1 == asks) {  // the last re-ask: recorded unread, grade 0.0
          judgment.scores[r] = 0.0;
          ++record.unparsed;
        } else if (const auto grade = metrics::MmVet::parse_grade(reply)) {
          judgment.scores[r] = *grade;
        } else {
          still_open.push_back(i);
        }
      }
      open = std::move(still_open);
    }
  }
  if (run.prices != nullptr) {
    record.usage.prices_as_of = run.prices->as_of();
    if (const auto price = run.prices->find(run.judge.backend().pricing_model())) {
      record.usage.price_model = price->first;
      record.usage.cost_usd = PriceTable::cost(price->second, record.usage.prompt_tokens,
                                               record.usage.completion_tokens);
    }
  }
  return out;
}

std::optional<CellJudgment> judge_stage(JudgeRun& run, const LoadedTask& task,
                                        const std::vector<std::string>& keys,
                                        const PredictionLog& predictions, reports::Cell& cell,
                                        bool& interrupted) {
  auto judged = judge_cell(run, task, cell.model, keys, predictions);
  cell.judge = judged.record;
  if (judged.interrupted) {
    interrupted = true;
    return std::nullopt;
  }
  if (judged.record.failed > 0) {
    throw std::runtime_error(fmt::format(
        "{} judge request(s) got no reply (errors in {}); no score without a verdict for every "
        "answer: resume with --resume to ask them again",
        judged.record.failed, run.log_file));
  }
  return judged;
}

ScoringHook judge_hook(const JudgeConfig& config, const CellJudgment& judged) {
  return
      [&config, &judged](std::size_t i, metrics::ScoringItem& item, reports::SampleRecord& line) {
        apply_judgment(config, judged.samples[i], item);
        line.judge = judged.samples[i].exchanges;
      };
}

void apply_judgment(const JudgeConfig& config, const SampleJudgment& judgment,
                    metrics::ScoringItem& item) {
  item.judge_scores = judgment.scores;
  item.judge_replies = judgment.replies;
  // eval_gpt_review_bench.py writes the review's category as "llava_bench_" + the question's.
  if (config.parser == "llava_bench" && !item.category.empty() &&
      !item.category.starts_with("llava_bench_")) {
    item.category = "llava_bench_" + item.category;
  }
}

VerdictLabels verdict_labels(const std::filesystem::path& scores_file, const std::string& parser) {
  VerdictLabels out;
  if (!std::filesystem::exists(scores_file)) return out;
  std::vector<reports::SampleRecord> records;
  try {
    records = reports::read_sample_records(scores_file);
  } catch (const InputError& e) {
    // The agreement is a statistic about the re-judge, not part of it: without readable earlier
    // verdicts it is left out, and the re-judged cell stands.
    std::cerr << "note: no judge agreement: " << e.what() << '\n';
    return out;
  }
  for (const auto& record : records) {
    // MathVista: the normalised extraction, spaces and all.
    if (parser == "mathvista") {
      out[record.id] = {record.extracted};
      continue;
    }
    std::vector<std::string> labels;
    std::istringstream words(record.extracted);
    for (std::string word; words >> word;)
      labels.push_back(word);
    // LLaVA: "answer1 answer2"; the verdict on the model is answer 2's grade.
    if (parser == "llava_bench") labels = labels.size() == 2 ? std::vector{labels[1]} : labels;
    out[record.id] = std::move(labels);
  }
  return out;
}

reports::JudgeAgreement compare_judges(const VerdictLabels& previous, const VerdictLabels& current,
                                       const std::string& previous_model) {
  std::vector<std::string> a;
  std::vector<std::string> b;
  for (const auto& [id, labels] : current) {
    const auto it = previous.find(id);
    if (it == previous.end()) continue;
    for (std::size_t r = 0; r < std::min(labels.size(), it->second.size()); ++r) {
      a.push_back(it->second[r]);
      b.push_back(labels[r]);
    }
  }
  const auto result = metrics::agreement(a, b);
  reports::JudgeAgreement out;
  out.previous_model = previous_model;
  out.n = result.n;
  out.percent = result.n == 0 ? 0.0 : result.percent;
  if (!std::isnan(result.kappa)) out.kappa = result.kappa;
  return out;
}

std::optional<PreviousVerdicts> previous_verdicts(const nlohmann::json& previous_cells,
                                                  const reports::Cell& cell,
                                                  const std::filesystem::path& scores_file) {
  if (!cell.judge || !previous_cells.is_array()) return std::nullopt;
  for (const auto& c : previous_cells) {
    if (!c.is_object() || c.value("model", "") != cell.model || c.value("task", "") != cell.task ||
        !c.contains("judge") || !c["judge"].is_object()) {
      continue;
    }
    const std::string model = c["judge"].value("model", "");
    if (model == cell.judge->model) return std::nullopt;
    return PreviousVerdicts{model, verdict_labels(scores_file, cell.judge->parser)};
  }
  return std::nullopt;
}

}  // namespace lmmbench::harness
