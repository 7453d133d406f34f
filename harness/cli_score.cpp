#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "core/error.hpp"
#include "harness/cli_commands.hpp"
#include "harness/registry.hpp"
#include "metrics/score_input.hpp"

namespace lmmbench::harness {

namespace {

struct ScoreOptions {
  std::string metric;
  std::string variant;
  std::string input;
  std::string per_sample;
  std::string questions;
};

int score_command(const ScoreOptions& options) {
  std::optional<ConfigNode> metric_options;
  if (!options.questions.empty()) {
    metric_options = ConfigNode(
        JsonSource::from_value(nlohmann::json{{"questions", options.questions}}, "--questions", 0));
  }
  const auto metric = Registry::builtin().create_metric(
      MetricConfig{options.metric, options.variant, metric_options, Location{}});
  const auto& required = metric->info().required_fields;
  auto aggregator = metric->aggregator();
  std::ofstream per_sample;
  if (!options.per_sample.empty()) {
    per_sample.open(options.per_sample, std::ios::binary | std::ios::trunc);
    if (!per_sample) throw InputError(Location{options.per_sample, 0, ""}, "cannot create file");
  }
  std::string line_text;
  // Streams the input (a file or "-" for stdin); per line only the reused item and the score
  // exist, so memory grows with the aggregator's per-sample scores alone.
  metrics::for_each_scoring_item(options.input, required, [&](const metrics::ScoringItem& item) {
    const auto score = metric->score(item);
    aggregator->add(item, score);
    if (per_sample.is_open()) {
      line_text = nlohmann::json(metrics::PerSampleScore{item.id, score.score, score.extracted})
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      per_sample << line_text << '\n';
    }
  });
  if (per_sample.is_open()) {
    per_sample.flush();
    if (!per_sample) throw Error("cannot write " + options.per_sample);
  }
  std::cout << nlohmann::json(aggregator->finish()).dump(2) << '\n';
  return kExitOk;
}

}  // namespace

Command add_score_command(CLI::App& app) {
  auto options = std::make_shared<ScoreOptions>();
  auto* cmd =
      app.add_subcommand("score", "Score a JSONL of predictions with one metric; prints JSON");
  cmd->add_option("--metric", options->metric, "Metric name (lmmbench list metrics)")->required();
  cmd->add_option("--variant", options->variant, "Metric variant (default: the primary reference)");
  cmd->add_option("--input", options->input, "Input JSONL ('-' for stdin)")->required();
  cmd->add_option("--per-sample", options->per_sample,
                  "Write {id, score, extracted} per line here");
  cmd->add_option("--questions", options->questions,
                  "Question file joined on the id, for judge-scored metrics: LLaVA-Bench "
                  "questions.jsonl (llava_bench: category), mm-vet.json (mmvet: capability)");
  return Command{cmd, [options] { return score_command(*options); }};
}

}  // namespace lmmbench::harness
