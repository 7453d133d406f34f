#include "harness/cli_report_options.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace lmmbench::harness {

void add_output_options(CLI::App& command, ReportOutputs& outputs) {
  command.add_option("--html", outputs.html, "Write the self-contained HTML report here");
  command.add_option("--md", outputs.markdown, "Write the Markdown summary here ('-' = stdout)");
  command.add_option("--junit", outputs.junit, "Write JUnit XML here");
  command.add_option("--csv", outputs.csv, "Write CSV (one row per model x task x metric) here");
}

void add_gate_options(CLI::App& command, reports::GateOptions& gate, std::string& correction) {
  command.add_option("--alpha", gate.alpha, "Significance level of the paired test (default 0.05)");
  command.add_option("--min-drop", gate.min_drop,
                     "A regression must drop the score by more than this many points (default 1; "
                     "0 = any size)");
  command.add_option("--min-relative-drop", gate.min_relative_drop,
                     "... and by more than this fraction of the baseline score (default 0 = off)");
  command.add_option("--correction", correction,
                     "Multiple-comparison correction over the compared tasks: holm (default) or "
                     "none");
  command.add_option("--latency-tolerance", gate.latency_tolerance,
                     "Latency objectives may be this fraction worse (default 0.10)");
  command.add_option("--throughput-tolerance", gate.throughput_tolerance,
                     "Throughput objectives may be this fraction worse (default 0.10)");
  command.add_option("--cost-tolerance", gate.cost_tolerance,
                     "Cost objectives may be this fraction worse (default 0.10)");
  command.add_option("--min-coverage", gate.min_coverage,
                     "Scores are not comparable when the runs share fewer than this fraction of "
                     "the larger cell's samples (default 0.95)");
  command.add_flag("--allow-partial", gate.allow_partial,
                   "Compare scores below --min-coverage anyway (the coverage is shown)");
}

void finish_gate_options(reports::GateOptions& gate, const std::string& correction) {
  if (!(gate.alpha > 0.0 && gate.alpha < 1.0)) {
    throw InputError(
        fmt::format("--alpha must be between 0 and 1 (exclusive), got {}", gate.alpha));
  }
  for (const auto& [flag, value] : {std::pair{"--min-drop", gate.min_drop},
                                    {"--min-relative-drop", gate.min_relative_drop},
                                    {"--latency-tolerance", gate.latency_tolerance},
                                    {"--throughput-tolerance", gate.throughput_tolerance},
                                    {"--cost-tolerance", gate.cost_tolerance}}) {
    if (!(value >= 0.0)) throw InputError(fmt::format("{} must be 0 or more, got {}", flag, value));
  }
  if (!(gate.min_coverage >= 0.0 && gate.min_coverage <= 1.0)) {
    throw InputError(
        fmt::format("--min-coverage must be between 0 and 1, got {}", gate.min_coverage));
  }
  if (correction == "holm") {
    gate.holm = true;
  } else if (correction == "none") {
    gate.holm = false;
  } else {
    throw InputError(fmt::format("--correction: expected holm or none, got '{}'", correction));
  }
}

reports::RendererMultiplex make_outputs(const ReportOutputs& outputs) {
  reports::RendererMultiplex multiplex;
  if (!outputs.html.empty()) multiplex.add(reports::Format::html, outputs.html);
  if (!outputs.markdown.empty()) multiplex.add(reports::Format::markdown, outputs.markdown);
  if (!outputs.junit.empty()) multiplex.add(reports::Format::junit, outputs.junit);
  if (!outputs.csv.empty()) multiplex.add(reports::Format::csv, outputs.csv);
  return multiplex;
}

}  // namespace lmmbench::harness
