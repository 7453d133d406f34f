// Google Benchmark programs for `lmmbench score --metric vqa`, stage by stage and whole: the VQA
// answer normalisation, the per-sample VQA score, reading one input line (fast path and the
// located parse it falls back to), and the file pipeline on an in-memory generated set.
// Throughput is reported as items_per_second (answers, samples or records) and bytes_per_second.
// The whole-process comparison with the Python reference is benchmarks/score_vqa_vs_reference.py.
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "benchmarks/vqa_records.hpp"
#include "core/jsonl.hpp"
#include "metrics/answer_processing.hpp"
#include "metrics/score_input.hpp"
#include "metrics/vqa.hpp"

namespace lmmbench::bench {
namespace {

/// Records in the shared generated set: enough that the working set is not one cache's worth.
constexpr std::size_t kRecords = 100'000;

const std::string& generated_text() {
  static const std::string text = make_vqa_jsonl(kRecords);
  return text;
}

std::vector<std::string_view> generated_lines() {
  std::vector<std::string_view> lines;
  for_each_line_in_memory(generated_text(), [&](std::size_t, std::string_view line) {
    lines.push_back(line);  // views into the static text
  });
  return lines;
}

const std::vector<std::string>& kRequired() {
  static const std::vector<std::string> required = metrics::VqaAccuracy().info().required_fields;
  return required;
}

const std::vector<metrics::ScoringItem>& generated_items() {
  static const std::vector<metrics::ScoringItem> items = [] {
    std::vector<metrics::ScoringItem> out;
    metrics::for_each_scoring_item(generated_text(), "generated", kRequired(),
                                   [&](const metrics::ScoringItem& item) { out.push_back(item); });
    return out;
  }();
  return items;
}

/// processPunctuation + processDigitArticle on every human answer of the set (official rules).
void BM_VqaNormaliseAnswer(benchmark::State& state) {
  std::vector<std::string> answers;
  for (const auto& item : generated_items())
    answers.insert(answers.end(), item.answers.begin(), item.answers.end());
  std::string punctuated;
  std::string normalised;
  std::size_t bytes = 0;
  for (const auto& a : answers)
    bytes += a.size();
  for (auto _ : state) {
    for (const auto& a : answers) {
      metrics::vqa_text::process_punctuation(a, metrics::vqa_text::kOfficialRules, punctuated);
      metrics::vqa_text::process_digit_article(punctuated, normalised);
      benchmark::DoNotOptimize(normalised.data());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * answers.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_VqaNormaliseAnswer)->Unit(benchmark::kMillisecond);

/// VqaAccuracy::score per sample; arg 0 = "official", 1 = "lmms-eval".
void BM_VqaScoreSample(benchmark::State& state) {
  const metrics::VqaAccuracy metric(state.range(0) == 0 ? metrics::VqaAccuracy::Variant::official
                                                        : metrics::VqaAccuracy::Variant::lmms_eval);
  const auto& items = generated_items();
  for (auto _ : state) {
    for (const auto& item : items) {
      auto score = metric.score(item);
      benchmark::DoNotOptimize(score);
    }
  }
  state.SetLabel(metric.info().variant);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items.size()));
}
BENCHMARK(BM_VqaScoreSample)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

/// One input line to a ScoringItem by the fast path (what `lmmbench score` does per line).
void BM_ParseScoringLineFast(benchmark::State& state) {
  const auto lines = generated_lines();
  metrics::ScoringItem item;
  std::size_t declined = 0;
  for (auto _ : state) {
    for (const auto line : lines) {
      declined += metrics::try_parse_scoring_line(line, kRequired(), item) ? 0 : 1;
      benchmark::DoNotOptimize(item.id.data());
    }
  }
  if (declined != 0) state.SkipWithError("the fast path declined a generated line");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * generated_text().size()));
}
BENCHMARK(BM_ParseScoringLineFast)->Unit(benchmark::kMillisecond);

/// The same by the located parse (nlohmann DOM + JsonSource + ObjectReader): the path every line
/// took before the fast path, and the one bad lines still take.
void BM_ParseScoringLineLocated(benchmark::State& state) {
  const auto lines = generated_lines();
  const std::string name = "generated";
  for (auto _ : state) {
    std::size_t n = 0;
    for (const auto line : lines) {
      const auto record = parse_jsonl_line(line, name, ++n);
      auto item = metrics::parse_scoring_item(*record, kRequired());
      benchmark::DoNotOptimize(item);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * generated_text().size()));
}
BENCHMARK(BM_ParseScoringLineLocated)->Unit(benchmark::kMillisecond);

/// `lmmbench score --metric vqa` minus the process and the file: split the in-memory JSONL, read
/// each line, score it, aggregate, finish. items_per_second is records per second.
void BM_ScoreVqaPipeline(benchmark::State& state) {
  const metrics::VqaAccuracy metric;
  const auto& text = generated_text();
  for (auto _ : state) {
    auto aggregator = metric.aggregator();
    metrics::for_each_scoring_item(
        text, "generated", kRequired(),
        [&](const metrics::ScoringItem& item) { aggregator->add(item, metric.score(item)); });
    auto result = aggregator->finish();
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRecords));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ScoreVqaPipeline)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lmmbench::bench

BENCHMARK_MAIN();
