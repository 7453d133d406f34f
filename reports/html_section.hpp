#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "reports/section.hpp"

namespace lmmbench::reports {

/// A section (reports/section.hpp) as an HTML block: title, summary, facts, failed checks and
/// notes as banners, every table (sortable; detail tables folded) and its charts. Knows nothing of
/// what the section measures; every text goes through html_escape.
void render_section_html(const Section& section, const std::string& run_label, std::ostream& out);

/// Several runs' sections of one key side by side: their first tables (a perf run's load levels, a
/// GPU run's models) joined into one sortable table with a "run" column. Nothing with fewer than
/// two sections.
void render_sections_side_by_side(const std::vector<std::pair<std::string, Section>>& sections,
                                  std::ostream& out);

}  // namespace lmmbench::reports
