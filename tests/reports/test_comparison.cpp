#include <cmath>

#include <gtest/gtest.h>

#include "metrics/paired.hpp"
#include "report_fixture.hpp"
#include "reports/comparison.hpp"

namespace lmmbench::reports {
namespace {

using testing::binary_scores;
using testing::CellSpec;
using testing::TempDir;
using testing::write_run;

std::vector<SampleRecord> records(const std::vector<double>& scores) {
  std::vector<SampleRecord> out;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    SampleRecord r;
    r.id = "s" + std::to_string(i);
    r.score = scores[i];
    out.push_back(r);
  }
  return out;
}

Cell cell_with(const std::vector<double>& scores) {
  Cell c;
  c.model = "m";
  c.task = "t";
  c.scores.push_back(testing::mean_headline(scores));
  return c;
}

TEST(HolmAdjust, MatchesTheStepDownDefinition) {
  // p sorted: 0.01 (×3 = 0.03), 0.02 (×2 = 0.04), 0.04 (×1 = 0.04, kept monotone).
  const auto adjusted = holm_adjust({0.04, 0.01, 0.02, std::nan("")});
  EXPECT_DOUBLE_EQ(adjusted[0], 0.04);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.03);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.04);
  EXPECT_TRUE(std::isnan(adjusted[3]));
  EXPECT_DOUBLE_EQ(holm_adjust({0.5, 0.6})[1], 1.0);  // capped at 1
}

TEST(CompareScores, PairsByIdAndScalesTheDifferenceToPercentagePoints) {
  const auto base = binary_scores(100, 80);
  auto worse = base;
  for (std::size_t i = 0; i < 20; ++i)
    worse[i] = 0.0;  // 20 samples flip from right to wrong
  const auto c = compare_scores(cell_with(base), records(base), cell_with(worse), records(worse));
  EXPECT_EQ(c.n_shared, 100u);
  EXPECT_EQ(c.method, "mcnemar-exact");
  EXPECT_EQ(c.baseline_only, 20u);
  EXPECT_EQ(c.candidate_only, 0u);
  EXPECT_NEAR(c.delta, -20.0, 1e-12);
  EXPECT_LT(c.ci95[0], -20.0);
  EXPECT_GT(c.ci95[1], -20.0);
  EXPECT_DOUBLE_EQ(c.p_value, metrics::mcnemar_exact_p(20, 0));
  EXPECT_EQ(c.metric, "exact_match/default");
}

TEST(CompareScores, UsesOnlySharedSamples) {
  const auto base = binary_scores(10, 10);
  auto cand_records = records(binary_scores(4, 2));  // s0..s3, s0 and s1 right
  const auto c =
      compare_scores(cell_with(base), records(base), cell_with(binary_scores(4, 2)), cand_records);
  EXPECT_EQ(c.n_shared, 4u);
  EXPECT_EQ(c.n_baseline, 10u);
  EXPECT_EQ(c.n_candidate, 4u);
  EXPECT_NEAR(c.delta, -50.0, 1e-12);  // on s0..s3: 100 % → 50 %
}

TEST(CompareScores, NonMeanHeadlinesUseTheRecordedDifferenceAndNoInterval) {
  auto base = cell_with(binary_scores(50, 40));
  auto cand = cell_with(binary_scores(50, 30));
  base.scores[0].interval_method = cand.scores[0].interval_method =
      "bootstrap (1000 resamples, seed 0)";
  base.scores[0].score = 71.5;  // e.g. an F1, not the mean of the per-sample scores
  cand.scores[0].score = 60.0;
  const auto c =
      compare_scores(base, records(binary_scores(50, 40)), cand, records(binary_scores(50, 30)));
  EXPECT_DOUBLE_EQ(c.delta, -11.5);
  EXPECT_TRUE(std::isnan(c.ci95[0]));
  EXPECT_EQ(c.method, "mcnemar-exact on per-sample scores");
}

TEST(ApplyGate, ARegressionNeedsBothSizeAndSignificance) {
  ScoreComparison big_significant;
  big_significant.delta = -5.0;
  big_significant.baseline_score = 80.0;
  big_significant.p_value = 0.001;
  big_significant.coverage = 1.0;
  ScoreComparison big_noisy = big_significant;
  big_noisy.p_value = 0.2;
  ScoreComparison tiny_significant = big_significant;
  tiny_significant.delta = -0.5;
  ScoreComparison gain = big_significant;
  gain.delta = 4.0;
  std::vector<ScoreComparison> cs = {big_significant, big_noisy, tiny_significant, gain};
  GateOptions options;
  options.holm = false;
  apply_gate(cs, options);
  EXPECT_EQ(cs[0].verdict, Verdict::regression);
  EXPECT_EQ(cs[1].verdict, Verdict::pass);
  EXPECT_EQ(cs[2].verdict, Verdict::pass);  // below the 1-point threshold
  EXPECT_EQ(cs[3].verdict, Verdict::improvement);

  // A relative threshold of 10 % of 80 = 8 points: the 5-point drop no longer counts.
  options.min_relative_drop = 0.10;
  std::vector<ScoreComparison> relative = {big_significant};
  apply_gate(relative, options);
  EXPECT_EQ(relative[0].verdict, Verdict::pass);
}

TEST(ApplyGate, HolmAdjustmentCanTurnAMarginalDropIntoAPass) {
  ScoreComparison marginal;
  marginal.delta = -3.0;
  marginal.p_value = 0.03;
  marginal.coverage = 1.0;
  ScoreComparison other = marginal;
  other.p_value = 0.5;
  std::vector<ScoreComparison> cs = {marginal, other, other};
  apply_gate(cs, GateOptions{});
  EXPECT_DOUBLE_EQ(cs[0].p_adjusted, 0.09);
  EXPECT_EQ(cs[0].verdict, Verdict::pass);
  std::vector<ScoreComparison> unadjusted = {marginal, other, other};
  GateOptions no_holm;
  no_holm.holm = false;
  apply_gate(unadjusted, no_holm);
  EXPECT_EQ(unadjusted[0].verdict, Verdict::regression);
}

TEST(ApplyGate, KeepsNotComparableAndFailedVerdictsOutOfTheAdjustment) {
  ScoreComparison nc;
  nc.verdict = Verdict::not_comparable;
  nc.p_value = 0.0;
  ScoreComparison drop;
  drop.delta = -10;
  drop.p_value = 0.04;
  drop.coverage = 1.0;
  std::vector<ScoreComparison> cs = {nc, drop};
  apply_gate(cs, GateOptions{});
  EXPECT_EQ(cs[0].verdict, Verdict::not_comparable);
  EXPECT_DOUBLE_EQ(cs[1].p_adjusted, 0.04);  // one comparison in the family
  EXPECT_EQ(cs[1].verdict, Verdict::regression);
}

TEST(NotComparable, NamesWhatChanged) {
  TempDir dir;
  const auto scores = binary_scores(10, 5);
  const auto base = write_run(dir.path() / "a", "a", {{"m", "t", scores}});
  const auto same = write_run(dir.path() / "b", "b", {{"m", "t", scores}});
  CellSpec changed_data{"m", "t", scores};
  changed_data.manifest = std::string(64, 'b');
  CellSpec changed_prompt{"m", "t", scores};
  changed_prompt.prompt = "{question}\nAnswer briefly.";
  CellSpec unsupported{"m", "t", scores};
  unsupported.outcome = CellOutcome::unsupported;
  const auto data = write_run(dir.path() / "c", "c", {changed_data});
  const auto prompt = write_run(dir.path() / "d", "d", {changed_prompt});
  const auto skipped = write_run(dir.path() / "e", "e", {unsupported});
  const auto& b = base.record;
  EXPECT_FALSE(not_comparable_reason(b, b.cells[0], same.record, same.record.cells[0]));
  EXPECT_EQ(*not_comparable_reason(b, b.cells[0], data.record, data.record.cells[0]),
            "the dataset changed (manifest sha256 aaaaaaaaaaaa → bbbbbbbbbbbb)");
  EXPECT_EQ(*not_comparable_reason(b, b.cells[0], prompt.record, prompt.record.cells[0]),
            "the prompt template changed");
  EXPECT_EQ(*not_comparable_reason(b, b.cells[0], skipped.record, skipped.record.cells[0]),
            "the new cell did not run (unsupported)");
  EXPECT_EQ(*not_comparable_reason(skipped.record, skipped.record.cells[0], b, b.cells[0]),
            "the baseline cell did not run (unsupported)");

  auto generation = same.record;
  generation.resolved_config["tasks"][0]["generation"]["max_tokens"] = 64;
  EXPECT_EQ(*not_comparable_reason(b, b.cells[0], generation, generation.cells[0]),
            "the generation parameters changed");
  auto metric = same.record;
  metric.cells[0].scores[0].variant = "case-sensitive";
  EXPECT_EQ(*not_comparable_reason(b, b.cells[0], metric, metric.cells[0]),
            "the headline metric changed (exact_match/default → exact_match/case-sensitive)");
}

TEST(Objectives, FindsSelfDescribingValuesAnywhereInASection) {
  const nlohmann::json section = {
      {"perf",
       {{"latency", {{{"name", "ttft_p99"}, {"value", 0.5}, {"unit", "seconds"}}}},
        {"throughput",
         {{"name", "tokens_per_second"}, {"value", 120.0}, {"unit", "items_per_second"}}},
        {"requests", {{"name", "requests"}, {"value", 100}, {"unit", "count"}}},
        {"note", "not a value"}}}};
  const auto found = objectives_in(section, "");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].first, "perf/latency/ttft_p99");
  EXPECT_FALSE(found[0].second.higher_is_better);  // seconds: lower is better by default
  EXPECT_EQ(found[1].first, "perf/throughput/tokens_per_second");
  EXPECT_TRUE(found[1].second.higher_is_better);
}

TEST(Objectives, FailOnlyBeyondTheirUnitsTolerance) {
  auto value = [](const char* name, double v, const char* unit) {
    return nlohmann::json{{"name", name}, {"value", v}, {"unit", unit}};
  };
  const nlohmann::json base = {
      {"perf",
       {value("p99", 1.0, "seconds"), value("tps", 100.0, "items_per_second"),
        value("cost", 2.0, "usd"), value("p50", 0.2, "seconds")}}};
  const nlohmann::json cand = {
      {"perf",
       {value("p99", 1.25, "seconds"), value("tps", 95.0, "items_per_second"),
        value("cost", 1.0, "usd"), value("p50", 0.21, "seconds")}}};
  const auto results = compare_objectives(base, cand, "m × t", GateOptions{});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].name, "perf/p99");
  EXPECT_NEAR(results[0].worse_by, 0.25, 1e-12);
  EXPECT_EQ(results[0].verdict, Verdict::regression);   // 25 % slower > 10 %
  EXPECT_EQ(results[1].verdict, Verdict::pass);         // 5 % less throughput
  EXPECT_EQ(results[2].verdict, Verdict::improvement);  // half the cost
  EXPECT_EQ(results[3].verdict, Verdict::pass);         // 5 % slower
  GateOptions strict;
  strict.latency_tolerance = 0.01;
  EXPECT_EQ(compare_objectives(base, cand, "m × t", strict)[3].verdict, Verdict::regression);
}

TEST(CompareScores, ShowsBothSidesOnTheSharedSamplesWithTheirCoverage) {
  // The baseline answered s0..s4 of ten right (50 %); the new run has only s0 and s1, both right.
  const auto base = binary_scores(10, 5);
  const auto cand = binary_scores(2, 2);
  const auto c = compare_scores(cell_with(base), records(base), cell_with(cand), records(cand));
  EXPECT_TRUE(c.on_shared_samples);
  EXPECT_DOUBLE_EQ(c.baseline_score, 100.0);  // on s0 and s1, not the recorded 50 %
  EXPECT_DOUBLE_EQ(c.candidate_score, 100.0);
  EXPECT_DOUBLE_EQ(c.coverage, 0.2);
  EXPECT_EQ(coverage_text(c), "2 of 10 (20 %)");
}

TEST(ApplyGate, CoverageBelowTheMinimumIsNotComparableUnlessAllowed) {
  const auto base = binary_scores(100, 90);
  const auto cand = binary_scores(5, 0);  // 5 % of the samples, all wrong
  const auto partial =
      compare_scores(cell_with(base), records(base), cell_with(cand), records(cand));
  std::vector<ScoreComparison> gated = {partial};
  apply_gate(gated, GateOptions{});
  EXPECT_EQ(gated[0].verdict, Verdict::not_comparable);
  EXPECT_NE(gated[0].reason.find("share 5 of 100 samples (5.0 % coverage, below --min-coverage "
                                 "95 %); pass --allow-partial"),
            std::string::npos)
      << gated[0].reason;
  GateOptions allow;
  allow.allow_partial = true;
  gated = {partial};
  apply_gate(gated, allow);
  EXPECT_NE(gated[0].verdict, Verdict::not_comparable);
  EXPECT_DOUBLE_EQ(gated[0].coverage, 0.05);
  GateOptions lower;
  lower.min_coverage = 0.05;
  gated = {partial};
  apply_gate(gated, lower);
  EXPECT_NE(gated[0].verdict, Verdict::not_comparable);
  // Full coverage is never refused.
  gated = {compare_scores(cell_with(base), records(base), cell_with(base), records(base))};
  apply_gate(gated, GateOptions{});
  EXPECT_EQ(gated[0].verdict, Verdict::pass);
}

TEST(NotComparable, ACellOverItsErrorBudgetIsNeverAPassingBaselineOrCandidate) {
  RunRecord run;
  auto ok = cell_with(binary_scores(10, 9));
  ok.counts.total = ok.counts.ok = 10;
  auto over = ok;
  over.outcome = CellOutcome::too_many_errors;
  over.message = "3 of 10 samples failed";
  const auto reason = not_comparable_reason(run, over, run, ok);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("over its error budget"), std::string::npos) << *reason;
  // As the new cell it is no change of data: it is judged (as failed, by the report).
  EXPECT_FALSE(not_comparable_reason(run, ok, run, over).has_value());
}

TEST(Objectives, AChangeWithinTheNoiseIsNotARegression) {
  auto value = [](double v, double lo, double hi) {
    return nlohmann::json{{"perf",
                           {{"name", "ttft p99"},
                            {"value", v},
                            {"unit", "seconds"},
                            {"higher_is_better", false},
                            {"ci95", {lo, hi}}}}};
  };
  // 25 % slower, but each p99 is known only to ±0.2 s: noise √(0.2² + 0.25²) = 32 % > 25 %.
  auto o = compare_objectives(value(1.0, 0.8, 1.2), value(1.25, 1.0, 1.5), "run", GateOptions{});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_NEAR(o[0].worse_by, 0.25, 1e-12);
  EXPECT_NEAR(o[0].noise, std::sqrt(0.2 * 0.2 + 0.25 * 0.25), 1e-12);
  EXPECT_EQ(o[0].verdict, Verdict::pass);
  // The same change measured precisely is a regression; the mirror image an improvement.
  o = compare_objectives(value(1.0, 0.98, 1.02), value(1.25, 1.23, 1.27), "run", GateOptions{});
  EXPECT_EQ(o[0].verdict, Verdict::regression);
  o = compare_objectives(value(1.25, 1.23, 1.27), value(1.0, 0.98, 1.02), "run", GateOptions{});
  EXPECT_EQ(o[0].verdict, Verdict::improvement);
  // Beyond the noise but within the tolerance: a pass.
  o = compare_objectives(value(1.0, 0.999, 1.001), value(1.05, 1.049, 1.051), "run", GateOptions{});
  EXPECT_EQ(o[0].verdict, Verdict::pass);
  // Without intervals the tolerance alone decides, and the noise is unknown.
  const nlohmann::json plain = {{"perf", {{"name", "x"}, {"value", 1.0}, {"unit", "seconds"}}}};
  const nlohmann::json slower = {{"perf", {{"name", "x"}, {"value", 1.25}, {"unit", "seconds"}}}};
  o = compare_objectives(plain, slower, "run", GateOptions{});
  EXPECT_TRUE(std::isnan(o[0].noise));
  EXPECT_EQ(o[0].verdict, Verdict::regression);
}

}  // namespace
}  // namespace lmmbench::reports
