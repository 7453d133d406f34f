#include "harness/registry.hpp"

#include <fmt/format.h>

#include "core/text.hpp"
#include "datasets/generic_jsonl.hpp"
#include "datasets/hf_parquet.hpp"
#include "datasets/judged_benchmarks.hpp"
#include "datasets/llava_questions.hpp"
#include "datasets/lmmbench_jsonl.hpp"
#include "datasets/mme.hpp"
#include "datasets/scienceqa.hpp"
#include "datasets/seed_chart_doc.hpp"
#include "datasets/synthetic_vqa.hpp"
#include "datasets/textvqa_gqa.hpp"
#include "datasets/vlmevalkit_tsv.hpp"
#include "datasets/vqa_official.hpp"
#include "metrics/anls.hpp"
#include "metrics/caption.hpp"
#include "metrics/exact_match.hpp"
#include "metrics/gqa.hpp"
#include "metrics/hallusionbench.hpp"
#include "metrics/llava_bench.hpp"
#include "metrics/mathvista.hpp"
#include "metrics/mmbench.hpp"
#include "metrics/mme.hpp"
#include "metrics/mmmu.hpp"
#include "metrics/mmvet.hpp"
#include "metrics/multiple_choice.hpp"
#include "metrics/ocrbench.hpp"
#include "metrics/pope.hpp"
#include "metrics/relaxed_accuracy.hpp"
#include "metrics/scienceqa.hpp"
#include "metrics/seedbench.hpp"
#include "metrics/textvqa.hpp"
#include "metrics/vqa.hpp"
#include "models/baselines/baselines.hpp"
#include "models/worker/worker_backend.hpp"
#ifdef LMMBENCH_WITH_HTTP
#include "models/http/http_backend.hpp"
#endif

namespace lmmbench::harness {

namespace {

template <typename Entry>
const Entry& find_entry(std::span<const Entry> entries, const std::string& name,
                        std::string_view what, const Location& where) {
  for (const auto& entry : entries) {
    if (entry.name == name) return entry;
  }
  std::vector<std::string> names;
  for (const auto& entry : entries)
    names.push_back(entry.name);
  throw InputError(where, fmt::format("unknown {} '{}'{}; known: {}", what, name,
                                      did_you_mean(name, names), join(names, ", ")));
}

/// An ObjectReader over `node`, or over an empty object when the config has no options; that one
/// stands where "options" would, inside the object at `owner` (a JSON pointer), so a missing
/// required option is named as the user would write it.
ObjectReader options_reader(const std::optional<ConfigNode>& node, const Location& where,
                            const std::string& owner) {
  if (node) return node->object();
  auto empty = JsonSource::from_value(nlohmann::json::object(), where.file, where.line);
  const nlohmann::json* root = &empty->root();
  return ObjectReader(ConfigNode(std::move(empty), append_pointer(owner, "options"), root));
}

}  // namespace

const Registry& Registry::builtin() {
  static const Registry registry;
  return registry;
}

Registry::Registry() {
  // Backends. Baselines are documented in models/baselines/baselines.hpp.
  backends_ = {
      {"oracle", "answers the most frequent gold answer: the upper bound and a pipeline check",
       &models::create_oracle},
      {"prior",
       "most frequent answer per question type in the task's calibration split (Antol et al. 2015)",
       &models::create_prior},
      {"constant", "one fixed answer for every question (option \"answer\")",
       &models::create_constant},
      {"random-choice", "seeded uniform pick among the lettered options: chance level",
       &models::create_random_choice},
      {"replay",
       "answers recorded earlier (option \"path\"; \"format\": lmmbench, llava-answers, "
       "lmms-eval-samples, llava-sqa-results, mme-results)",
       &models::create_replay},
      {"worker",
       "a model in a child process speaking lmmbench's worker protocol over stdin/stdout (e.g. "
       "scripts/transformers_worker.py)",
       &models::worker::create_worker},
  };
#ifdef LMMBENCH_WITH_HTTP
  // HTTP backends (models/http, docs/backends.md).
  backends_.push_back({"openai",
                       "OpenAI Chat Completions: OpenAI, Azure, vLLM, SGLang, TGI, llama.cpp, "
                       "Ollama, LMDeploy",
                       &models::http::create_openai});
  backends_.push_back({"gemini", "Google Gemini generateContent (inline_data images)",
                       &models::http::create_gemini});
  backends_.push_back({"anthropic", "Anthropic Messages API (base64 image sources)",
                       &models::http::create_anthropic});
#endif

  loaders_ = {
      {"lmmbench-jsonl",
       "lmmbench's own JSONL: id, images, question, answers, options, category, meta",
       &datasets::LmmbenchJsonlLoader::create},
      // The formats of published benchmarks, each documented in docs/datasets.md.
      {"llava-questions", "LLaVA eval question file (JSONL: question_id, image, text, category)",
       &datasets::LlavaQuestionsLoader::create},
      {"pope", "POPE question/label files, one per split (coco_pope_<split>.json)",
       &datasets::PopeLoader::create},
      {"vqa-official", "VQAv2 / OK-VQA official questions + annotations JSON",
       &datasets::VqaOfficialLoader::create},
      {"vizwiz", "VizWiz-VQA annotation JSON (val.json, test.json)",
       &datasets::VizWizLoader::create},
      {"textvqa", "TextVQA JSON, optionally with Rosetta OCR tokens",
       &datasets::TextVqaLoader::create},
      {"gqa", "GQA questions JSON (e.g. testdev_balanced_questions.json)",
       &datasets::GqaLoader::create},
      {"mme", "MME official layout (MME_Benchmark_release_version)", &datasets::MmeLoader::create},
      {"mme-results", "MME result files (<subtask>.txt: image, question, gold, prediction)",
       &datasets::MmeResultsLoader::create},
      {"scienceqa", "ScienceQA problems.json + pid_splits.json",
       &datasets::ScienceQaLoader::create},
      {"llava-sqa", "LLaVA's ScienceQA question file (llava_test_CQM-A.json)",
       &datasets::LlavaSqaLoader::create},
      {"seed-bench", "SEED-Bench JSON (SEED-Bench.json)", &datasets::SeedBenchLoader::create},
      {"chartqa", "ChartQA test JSON (test_human.json, test_augmented.json)",
       &datasets::ChartQaLoader::create},
      {"docvqa", "DocVQA JSON (val_v1.0.json, test_v1.0.json)", &datasets::DocVqaLoader::create},
      {"vlmevalkit-tsv", "VLMEvalKit TSV (MMBench, SEED, ...: index, question, hint, A-E, image)",
       &datasets::VlmEvalKitTsvLoader::create},
      {"llava-bench",
       "LLaVA-Bench (In-the-Wild): questions.jsonl, context.jsonl, answers_gpt4.jsonl",
       &datasets::LlavaBenchLoader::create},
      {"mmvet", "MM-Vet mm-vet.json (question, answer, capability per id)",
       &datasets::MmVetLoader::create},
      {"hf-parquet",
       "Hugging Face parquet (lmms-lab layouts, images embedded), mapped by \"fields\"",
       &datasets::HfParquetLoader::create},
      {"generic-jsonl", "any JSONL, mapped onto samples by a \"fields\" object in the task config",
       &datasets::GenericJsonlLoader::create},
  };

  generators_ = {
      {"synthetic-vqa",
       "deterministic synthetic VQA suite: colour, counting, existence, spatial, reading, multiple "
       "choice",
       &datasets::prepare_synthetic_vqa},
  };

  // Metrics; docs/metrics.md documents each, with the reference code it reproduces.
  metrics_ = {
      {"vqa", "VQAv2 / VizWiz / OK-VQA accuracy (official VQA evaluation)",
       metrics::VqaAccuracy::variants(), &metrics::VqaAccuracy::create},
      {"textvqa", "TextVQA accuracy (LLaVA m4c evaluator)", metrics::TextVqaAccuracy::variants(),
       &metrics::TextVqaAccuracy::create},
      {"anls", "average normalised Levenshtein similarity, tau = 0.5 (DocVQA, InfographicVQA)",
       metrics::Anls::variants(), &metrics::Anls::create},
      {"gqa", "GQA exact match (LLaVA conversion)", metrics::GqaAccuracy::variants(),
       &metrics::GqaAccuracy::create},
      {"relaxed_accuracy", "ChartQA relaxed accuracy (5 % numeric tolerance)",
       metrics::RelaxedAccuracy::variants(), &metrics::RelaxedAccuracy::create},
      {"pope", "POPE accuracy, precision, recall, F1, yes-ratio per split",
       metrics::Pope::variants(), &metrics::Pope::create},
      {"mme", "MME perception and cognition scores (acc + acc+ per subtask)",
       metrics::Mme::variants(), &metrics::Mme::create},
      {"scienceqa", "ScienceQA(-IMG) option-letter accuracy (LLaVA extraction)",
       metrics::ScienceQa::variants(), &metrics::ScienceQa::create},
      {"seedbench", "SEED-Bench option-letter accuracy", metrics::SeedBench::variants(),
       &metrics::SeedBench::create},
      {"mmbench", "MMBench CircularEval accuracy, rule-based extraction (no judge)",
       metrics::MmBench::variants(), &metrics::MmBench::create},
      {"mmmu", "MMMU accuracy per discipline and subject (official answer parsers)",
       metrics::Mmmu::variants(), &metrics::Mmmu::create},
      {"ocrbench", "OCRBench points (official substring rule), per question type and dataset",
       metrics::OcrBench::variants(), &metrics::OcrBench::create},
      {"hallusionbench", "HallusionBench aAcc, fAcc, qAcc (rule-based yes/no, official grouping)",
       metrics::HallusionBench::variants(), &metrics::HallusionBench::create},
      {"mathvista", "MathVista accuracy (official answer normalisation, no judge extraction)",
       metrics::MathVista::variants(), &metrics::MathVista::create},
      // Judge-scored: they score a judge model's grades (lmmbench score; no judge stage in run
      // yet).
      {"llava_bench", "LLaVA-Bench relative score from GPT-4-style pairwise reviews (LLaVA)",
       metrics::LlavaBench::variants(), &metrics::LlavaBench::create},
      {"mmvet", "MM-Vet judge grades per capability and integration, averaged over runs",
       metrics::MmVet::variants(), &metrics::MmVet::create},
      {"caption",
       "COCO caption metrics: BLEU-1..4, ROUGE-L, CIDEr-D (+ METEOR via Java), pycocoevalcap",
       metrics::CaptionMetric::variants(), &metrics::CaptionMetric::create},
      {"exact_match", "trimmed, case-insensitive equality with any gold answer",
       metrics::ExactMatch::variants(), &metrics::ExactMatch::create},
      {"multiple_choice",
       "option-letter accuracy: a strict rule, or VLMEvalKit's can_infer (no judge)",
       metrics::MultipleChoice::variants(), &metrics::MultipleChoice::create},
  };
}

std::unique_ptr<models::Backend> Registry::create_backend(
    const ModelConfig& model, const models::BackendContext& context) const {
  const auto& entry = find_entry<BackendEntry>(backends_, model.backend, "backend", model.where);
  // model.where is its "name" member; the options belong to the object holding it.
  const std::string& name = model.where.field;
  ObjectReader options =
      options_reader(model.options, model.where, name.substr(0, name.rfind('/')));
  return entry.create(options, context);
}

std::unique_ptr<datasets::Loader> Registry::create_loader(const DatasetConfig& dataset) const {
  ObjectReader options(dataset.node);
  const ConfigNode format = options.required("format");
  options.allow({"source"});  // the harness's, not the loader's (DatasetConfig::source)
  const auto& entry =
      find_entry<LoaderEntry>(loaders_, dataset.format, "dataset format", format.location());
  return entry.create(options);
}

std::unique_ptr<metrics::Metric> Registry::create_metric(const MetricConfig& metric) const {
  const auto& entry = find_entry<MetricEntry>(metrics_, metric.name, "metric", metric.where);
  ObjectReader options = options_reader(metric.options, metric.where, metric.where.field);
  try {
    return entry.create(metric.variant, options);
  } catch (const InputError& e) {
    if (!e.where().file.empty()) throw;
    throw InputError(metric.where, e.detail());
  }
}

std::unique_ptr<metrics::Metric> Registry::create_metric(std::string_view name,
                                                         std::string_view variant) const {
  return create_metric(
      MetricConfig{std::string(name), std::string(variant), std::nullopt, Location{}});
}

void Registry::prepare_dataset(const PrepareConfig& prepare) const {
  ObjectReader options(prepare.node);
  const ConfigNode generator = options.required("generator");
  const auto& entry = find_entry<GeneratorEntry>(generators_, prepare.generator,
                                                 "dataset generator", generator.location());
  entry.prepare(options);
}

}  // namespace lmmbench::harness
