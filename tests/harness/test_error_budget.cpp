// A cell's error budget (harness/scoring.hpp apply_error_budget, docs/ci.md "Error budget").
#include <gtest/gtest.h>

#include "harness/scoring.hpp"

namespace lmmbench::harness {
namespace {

reports::Cell cell_with(std::size_t total, std::size_t errors) {
  reports::Cell c;
  c.counts.total = total;
  c.counts.ok = total - errors;
  c.counts.error = errors;
  if (errors > 0) c.counts.errors_by_kind = {{"connection", errors - errors / 2}};
  if (errors / 2 > 0) c.counts.errors_by_kind["http"] = errors / 2;
  return c;
}

TEST(ErrorBudget, ByDefaultAnyFailedSampleFailsTheCell) {
  auto c = cell_with(400, 1);
  EXPECT_TRUE(apply_error_budget(c, 0.0));
  EXPECT_EQ(c.outcome, reports::CellOutcome::too_many_errors);
  EXPECT_EQ(c.message,
            "1 of 400 samples failed (0.2 %: 1 connection), over the error budget of 0 % "
            "(max_error_rate)");
  EXPECT_DOUBLE_EQ(c.max_error_rate, 0.0);
  auto clean = cell_with(400, 0);
  EXPECT_FALSE(apply_error_budget(clean, 0.0));
  EXPECT_EQ(clean.outcome, reports::CellOutcome::ok);
  EXPECT_TRUE(clean.message.empty());
}

TEST(ErrorBudget, ABudgetAllowsThatShareAndNoMore) {
  auto within = cell_with(100, 5);
  EXPECT_FALSE(apply_error_budget(within, 0.05));  // 5 % of 100 is allowed
  EXPECT_EQ(within.outcome, reports::CellOutcome::ok);
  EXPECT_DOUBLE_EQ(within.max_error_rate, 0.05);  // recorded either way
  auto over = cell_with(100, 6);
  EXPECT_TRUE(apply_error_budget(over, 0.05));
  EXPECT_EQ(over.outcome, reports::CellOutcome::too_many_errors);
  EXPECT_EQ(over.message,
            "6 of 100 samples failed (6.0 %: 3 connection, 3 http), over the error budget of 5 % "
            "(max_error_rate)");
  auto all = cell_with(20, 20);
  EXPECT_FALSE(apply_error_budget(all, 1.0));  // 1: failures never fail the cell
}

}  // namespace
}  // namespace lmmbench::harness
