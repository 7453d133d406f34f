#pragma once

#include <ostream>
#include <string>

#include "reports/perf_section.hpp"

namespace lmmbench::reports {

/// Markdown of a perf section: the verdict and headline rates per load level, a latency table
/// (mean, p50, p90, p99 of TTFT, TPOT, ITL, E2E and send delay), and the cost table when
/// priced. Undefined figures print as "—", never as 0. `lmmbench perf` prints it on stdout;
/// summary.md embeds it.
void render_perf_markdown(const PerfSection& section, std::ostream& out);

/// One line per level: "rate 4/s: VALID, 3.98 req/s, 812 output tok/s, goodput 3.9 req/s".
std::string perf_level_line(const PerfLevel& level);

/// "rate 4/s", "concurrency 8", "offline".
std::string perf_level_label(const PerfLevel& level);

}  // namespace lmmbench::reports
