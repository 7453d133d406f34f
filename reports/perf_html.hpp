#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reports/loaded_run.hpp"
#include "reports/perf_section.hpp"

namespace lmmbench::reports {

/// The perf section of one run, with the label the report gives that run.
struct LabelledPerfSection {
  std::string run_label;  ///< Shown in headings only when the report has several perf sections.
  const PerfSection* section = nullptr;
  /// The server measured: "openai · http://host:8000/v1 · served-model-id" from the run's
  /// resolved model config (user info and query of the URL left out), or "" when not recorded.
  std::string server;
};

/// The perf sections of `runs`, in run order, each with its server (runs without one are
/// skipped). The pointers refer into `runs`, which must outlive the result.
std::vector<LabelledPerfSection> perf_sections(const std::vector<LoadedRun>& runs);

/// The HTML report's serving-performance section (`<section id="perf">`, the target of the
/// "Performance" nav entry) for the perf sections of one or more runs, each with: a verdict banner
/// (VALID / INVALID with every reason; for a sweep the highest load that is VALID and meets the
/// SLOs, or that none does); the scenario, server, workload, SLOs and validity rules; a table of
/// every load level (requests, failures, rates, goodput, SLO attainment); for a sweep, throughput
/// and latency (p50, p99) against the offered load with the best level and the SLOs marked;
/// latency distributions of TTFT, TPOT, ITL, E2E and send delay (a percentile table, percentile
/// bars per level, and each level's histogram); the cost table; and, with several runs, a
/// comparison of their levels. Null figures show as "—", never 0. Every string from the record
/// goes through html_escape; charts are inline SVG styled by report.css. Writes nothing when
/// `sections` is empty.
void render_perf_html(const std::vector<LabelledPerfSection>& sections, std::ostream& out);

/// One line for a report's header: "llava-1.5-7b · sweep of 4 rates, 5–40/s · best: rate 20/s",
/// "llava-1.5-7b · rate 4/s · VALID". Not escaped.
std::string perf_summary(const PerfSection& section);

}  // namespace lmmbench::reports
