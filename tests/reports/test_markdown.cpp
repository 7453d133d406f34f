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
  c.counts.total = 10;
  c.counts.error = errors;
  c.counts.ok = 10 - errors;
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
            "38 of 40 samples answered\n\n"
            "| model | open (exact_match, percent) | mc (exact_match, percent) |\n"
            "|---|---:|---:|\n"
            "| oracle | 100.00 ± 1.25 | 100.00 ± 1.25 |\n"
            "| yes\\|no | 33.33 ± 1.25 (2 err) | unsupported |\n");
}

TEST(Markdown, NoAnswersIsNoScoreAndABudgetOverrunIsMarked) {
  RunRecord r;
  Cell dead = cell("dead", "open", 0, 10);  // every sample failed: no answer at all
  dead.outcome = CellOutcome::too_many_errors;
  Cell empty = cell("quiet", "open", 0);
  empty.counts.empty = 10;  // answered, with nothing
  r.cells = {dead, empty, cell("half", "open", 50, 1)};
  r.cells.back().outcome = CellOutcome::too_many_errors;
  std::ostringstream out;
  render_markdown_table(r, out);
  EXPECT_EQ(out.str(),
            "19 of 30 samples answered · 2 cells over the error budget\n\n"
            "| model | open (exact_match, percent) |\n"
            "|---|---:|\n"
            "| dead | no answers (10 err) ✗ over error budget |\n"
            "| quiet | 0.00 ± 1.25 (10 empty) |\n"
            "| half | 50.00 ± 1.25 (1 err) ✗ over error budget |\n");
}

}  // namespace
}  // namespace lmmbench::reports
