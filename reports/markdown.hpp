#pragma once

#include <ostream>

#include "reports/run_record.hpp"

namespace lmmbench::reports {

/// A models x tasks table in GitHub-flavoured Markdown: each cell shows the headline score with its
/// standard error, and, when non-zero, the errored and unparsed sample counts, so a score is never
/// read without them. Cells that did not run show their outcome.
void render_markdown_table(const RunRecord& record, std::ostream& out);

}  // namespace lmmbench::reports
