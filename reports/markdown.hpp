#pragma once

#include <ostream>

#include "reports/renderer.hpp"
#include "reports/run_record.hpp"
#include "reports/section.hpp"

namespace lmmbench::reports {

/// A models x tasks table in GitHub-flavoured Markdown: each cell shows the headline score with its
/// standard error, and, when non-zero, the errored and unparsed sample counts, so a score is never
/// read without them. Cells that did not run show their outcome. (`lmmbench run` prints it.)
void render_markdown_table(const RunRecord& record, std::ostream& out);

/// A section (reports/section.hpp) in Markdown: its title, summary, facts, notes, failed checks and
/// every table that is not detail. `lmmbench perf` and `lmmbench gpu` print it; summary.md embeds
/// it. `run_label` names the run when a report holds several.
void render_section_markdown(const Section& section, std::ostream& out,
                             const std::string& run_label = "");

/// The compact summary for a CI job summary or a pull-request comment. A report: the models × tasks
/// table with each score's standard error and error/timeout/unparsed counts, the difference from
/// the baseline with ✓/✗/▲ marks, and a legend stating the rule. A gate report (`compare`): the
/// verdict first, then one row per comparison and per performance objective.
class MarkdownRenderer final : public Renderer {
 private:
  void do_render(const Report& report, std::ostream& out) const override;
};

}  // namespace lmmbench::reports
