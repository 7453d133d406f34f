#include <sstream>

#include <gtest/gtest.h>

#include "reports/markdown.hpp"

namespace lmmbench::reports {
namespace {

Cell cell(std::string model, std::string task, double score, std::size_t errors = 0) {
  Cell c;
  c.model = std::move(model);
  c.task = std::move(task);
  metrics::MetricResult m;
  m.metric = "exact_match";
  m.variant = "default";
  m.score = score;
  m.standard_error = 1.25;
  c.scores.push_back(m);
  c.counts.error = errors;
  return c;
}

TEST(Markdown, ModelsAreRowsTasksAreColumns) {
  RunRecord r;
  r.cells = {cell("oracle", "open", 100), cell("oracle", "mc", 100),
             cell("yes|no", "open", 33.333, 2)};
  Cell unsupported = cell("yes|no", "mc", 0);
  unsupported.scores.clear();
  unsupported.outcome = CellOutcome::unsupported;
  r.cells.push_back(unsupported);
  std::ostringstream out;
  render_markdown_table(r, out);
  EXPECT_EQ(out.str(),
            "| model | open (exact_match, percent) | mc (exact_match, percent) |\n"
            "|---|---:|---:|\n"
            "| oracle | 100.00 ± 1.25 | 100.00 ± 1.25 |\n"
            "| yes\\|no | 33.33 ± 1.25 (2 err) | unsupported |\n");
}

}  // namespace
}  // namespace lmmbench::reports
