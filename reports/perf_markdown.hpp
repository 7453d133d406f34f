#pragma once

#include <ostream>
#include <string>

#include "reports/perf_section.hpp"

namespace lmmbench::reports {

/// Markdown of a perf section: the verdict and headline rates per load level, a latency table
/// (mean, p50, p90, p99 of TTFT, TPOT, ITL, E2E and send delay), the cost tables when priced
/// (GPU-hours, API tokens), and the server's Prometheus figures when scraped. Undefined figures
/// print as "—", never as 0. `lmmbench perf` prints it on stdout; summary.md embeds it.
void render_perf_markdown(const PerfSection& section, std::ostream& out);

/// One line per level: "rate 4/s: VALID, 3.98 req/s, 812 output tok/s, goodput 3.9 req/s".
std::string perf_level_line(const PerfLevel& level);

/// "rate 4/s", "concurrency 8", "offline".
std::string perf_level_label(const PerfLevel& level);

/// A Prometheus series as written in the exposition: `name{label="value",...}` (labels sorted,
/// values escaped as in the text format).
std::string perf_series_label(const std::string& name,
                              const std::map<std::string, std::string>& labels);

}  // namespace lmmbench::reports
