#pragma once

#include <ostream>
#include <string>

#include "reports/section.hpp"

namespace lmmbench::reports {

/// A section (reports/section.hpp) as an HTML block: title, summary, facts, failed checks and
/// notes as banners, every table (sortable; detail tables folded) and its charts. Knows nothing of
/// what the section measures; every text goes through html_escape.
void render_section_html(const Section& section, const std::string& run_label, std::ostream& out);

}  // namespace lmmbench::reports
