// Golden tests of every renderer on small, fixed run directories: exact text for Markdown, JUnit
// and CSV; structure, escaping and self-containment for HTML.
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "report_fixture.hpp"
#include "reports/html_report.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::reports {
namespace {

using testing::binary_scores;
using testing::CellSpec;
using testing::count;
using testing::TempDir;
using testing::write_run;

std::string render(Format format, const Report& report) {
  std::ostringstream out;
  make_renderer(format)->render(report, out);
  return out.str();
}

/// Two models on one run: a is perfect, b answers 1 of 4 and cannot run "mc".
Report plain_report(const std::filesystem::path& dir) {
  CellSpec unsupported{"b", "mc", {}};
  unsupported.outcome = CellOutcome::unsupported;
  auto run = write_run(dir / "r", "r",
                       {{"a", "open", binary_scores(4, 4)},
                        {"a", "mc", binary_scores(2, 1)},
                        {"b", "open", binary_scores(4, 1)},
                        unsupported});
  return make_report({run}, ReportOptions{});
}

/// The CI gate: "open" drops from 16/20 to 8/20, "mc" is unchanged.
Report gate_report(const std::filesystem::path& dir) {
  auto base = write_run(dir / "base", "base",
                        {{"m", "open", binary_scores(20, 16)}, {"m", "mc", binary_scores(10, 5)}});
  auto cand = write_run(dir / "new", "new",
                        {{"m", "open", binary_scores(20, 8)}, {"m", "mc", binary_scores(10, 5)}});
  return make_gate_report(base, cand, GatePairing{}, ReportOptions{});
}

/// Compares line by line; in `golden`, "{float}" stands for any decimal number (for full-precision
/// values whose last digits depend on the math library).
void expect_golden(const std::string& actual, const std::string& golden) {
  std::istringstream a(actual);
  std::istringstream g(golden);
  std::string actual_line;
  std::string golden_line;
  std::size_t line = 0;
  while (std::getline(g, golden_line)) {
    ++line;
    ASSERT_TRUE(std::getline(a, actual_line)) << "output ends before golden line " << line;
    std::string pattern;
    for (std::size_t i = 0; i < golden_line.size(); ++i) {
      if (golden_line.compare(i, 7, "{float}") == 0) {
        pattern += "-?[0-9]+(\\.[0-9]+)?(e-?[0-9]+)?";
        i += 6;
      } else if (std::string_view("\\^$.|?*+()[]{}").find(golden_line[i]) != std::string::npos) {
        pattern += std::string("\\") + golden_line[i];
      } else {
        pattern += golden_line[i];
      }
    }
    EXPECT_TRUE(std::regex_match(actual_line, std::regex(pattern)))
        << "line " << line << "\n  actual: " << actual_line << "\n  golden: " << golden_line;
  }
  EXPECT_FALSE(std::getline(a, actual_line))
      << "output continues after the golden text: " << actual_line;
}

TEST(MarkdownRenderer, ReportShowsScoresCountsAndDeltasAgainstTheBaseline) {
  TempDir dir;
  EXPECT_EQ(
      render(Format::markdown, plain_report(dir.path())),
      "## lmmbench: fixture\n"
      "\n"
      "2 models × 2 tasks · `r` complete · lmmbench 0.1.0 `01234567` Release · 10 of 10 "
      "samples answered\n"
      "\n"
      "| model | open (exact_match, percent) | mc (exact_match, percent) |\n"
      "|---|---:|---:|\n"
      "| a *(baseline)* | 100.00 ± 0.00 | 50.00 ± 50.00 |\n"
      "| b | 25.00 ± 25.00 · −75.00 ✓ | unsupported |\n"
      "\n"
      "Score ± standard error over the answered samples, with errored, timed-out, empty and "
      "unparsed samples counted; a cell over its error budget (max_error_rate) is marked ✗. "
      "Δ: difference from **a**; ✗ a drop of more than 1 point that is significant at α = 0.05 "
      "(paired test on the samples both runs answered, Holm-adjusted over all comparisons); "
      "▲ a significant gain of that size; ✓ neither.\n");
}

TEST(MarkdownRenderer, GateLeadsWithTheVerdictAndOneRowPerComparison) {
  TempDir dir;
  EXPECT_EQ(
      render(Format::markdown, gate_report(dir.path())),
      "## lmmbench compare: ✗ 1 regression\n"
      "\n"
      "`base` complete · lmmbench 0.1.0 `01234567` Release → `new` complete · lmmbench "
      "0.1.0 `01234567` Release · 60 of 60 samples answered · 2 comparisons\n"
      "\n"
      "| | model | task | baseline | new | Δ [95 % CI] | p (Holm) | shared samples "
      "(coverage) |\n"
      "|---|---|---|---:|---:|---:|---:|---:|\n"
      "| ✗ | m | open (exact_match/default) | 80.00 | 40.00 | −40.00 [−62.03, −17.97] | "
      "0.016 | 20 of 20 (100 %) |\n"
      "| ✓ | m | mc (exact_match/default) | 50.00 | 50.00 | ±0.00 [0.00, 0.00] | 1.000 | 10 "
      "of 10 (100 %) |\n"
      "\n"
      "Baseline and new: scores on the samples both runs have (mean headlines; others as "
      "recorded). ✗ regression: a drop of more than 1 point that is significant at α = 0.05 "
      "(paired test on the samples both runs answered, Holm-adjusted over all comparisons) · "
      "▲ significant gain of that size · ✓ neither · ⚠️ not comparable (data, prompt, "
      "parameters or metric changed, or coverage below 95 %).\n");
}

TEST(MarkdownRenderer, WarnsAboutDebugBuildsAndIncompleteRuns) {
  TempDir dir;
  auto run = write_run(dir.path() / "r", "r", {{"a", "open", binary_scores(4, 4)}});
  run.record.tool.build_type = "Debug";
  run.record.status = "interrupted";
  const auto text = render(Format::markdown, make_report({run}, ReportOptions{}));
  EXPECT_NE(text.find("> ⚠️ `r` was made by a Debug build: scores are valid, timings are not.\n"
                      "> ⚠️ `r` is interrupted: not every cell ran.\n\n| model |"),
            std::string::npos)
      << text;
}

TEST(JunitRenderer, ReportHasOneCasePerCellAndSkipsCellsThatDidNotRun) {
  TempDir dir;
  EXPECT_EQ(render(Format::junit, plain_report(dir.path())),
            R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="lmmbench" tests="4" failures="0" errors="0" skipped="1">
  <testsuite name="lmmbench fixture (r)" tests="4" failures="0" errors="0" skipped="1" time="1.000">
    <testcase classname="lmmbench.open" name="a" time="0.250">
      <system-out>exact_match/default 100.00 % (95 % interval [100.00, 100.00]), n = 4, answered 4, errors 0, empty 0, unparsed 0</system-out>
    </testcase>
    <testcase classname="lmmbench.mc" name="a" time="0.250">
      <system-out>exact_match/default 50.00 % (95 % interval [−48.00, 148.00]), n = 2, answered 2, errors 0, empty 0, unparsed 0</system-out>
    </testcase>
    <testcase classname="lmmbench.open" name="b" time="0.250">
      <system-out>exact_match/default 25.00 % (95 % interval [−24.00, 74.00]), n = 4, answered 4, errors 0, empty 0, unparsed 0
vs a: baseline 100.00 → new 25.00 %: Δ −75.00 [−124.00, −26.00], p = 0.250 (adjusted 0.250; mcnemar-exact), shared samples 4 of 4 (100 %)</system-out>
    </testcase>
    <testcase classname="lmmbench.mc" name="b" time="0.250">
      <skipped message="unsupported: the backend cannot serve this task"/>
    </testcase>
  </testsuite>
</testsuites>
)xml");
}

TEST(JunitRenderer, GateFailsTheRegressedCase) {
  TempDir dir;
  EXPECT_EQ(render(Format::junit, gate_report(dir.path())),
            R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="lmmbench" tests="2" failures="1" errors="0" skipped="0">
  <testsuite name="lmmbench compare base → new" tests="2" failures="1" errors="0" skipped="0" time="0.500">
    <testcase classname="lmmbench.open" name="m" time="0.250">
      <failure type="regression" message="regression: −40.00 % (p = 0.016)">baseline 80.00 → new 40.00 %: Δ −40.00 [−62.03, −17.97], p = 0.008 (adjusted 0.016; mcnemar-exact), shared samples 20 of 20 (100 %)</failure>
    </testcase>
    <testcase classname="lmmbench.mc" name="m" time="0.250">
      <system-out>pass: baseline 50.00 → new 50.00 %: Δ ±0.00 [0.00, 0.00], p = 1.000 (adjusted 1.000; mcnemar-exact), shared samples 10 of 10 (100 %)</system-out>
    </testcase>
  </testsuite>
</testsuites>
)xml");
}

TEST(JunitRenderer, NotComparableIsAnErrorAndPerfObjectivesAreCases) {
  TempDir dir;
  auto base = write_run(dir.path() / "base", "base", {{"m", "t", binary_scores(10, 5)}});
  CellSpec changed{"m", "t", binary_scores(10, 5)};
  changed.prompt = "<b>{question}</b>";
  auto cand = write_run(dir.path() / "new", "new", {changed});
  base.raw["perf"] = {{{"name", "ttft_p99"}, {"value", 1.0}, {"unit", "seconds"}}};
  cand.raw["perf"] = {{{"name", "ttft_p99"}, {"value", 2.0}, {"unit", "seconds"}}};
  const auto xml =
      render(Format::junit, make_gate_report(base, cand, GatePairing{}, ReportOptions{}));
  EXPECT_NE(
      xml.find(
          R"xml(<error type="not_comparable" message="not comparable: the prompt template changed"></error>)xml"),
      std::string::npos)
      << xml;
  EXPECT_NE(
      xml.find(R"xml(<testcase classname="lmmbench.perf" name="run perf/ttft_p99" time="0.000">
      <failure type="regression" message="performance regression: baseline 1 s → new 2 s (+100.0 % worse; tolerance 10 %, noise unknown)">)xml"),
      std::string::npos)
      << xml;
  EXPECT_NE(xml.find(R"xml(tests="2" failures="1" errors="1")xml"), std::string::npos) << xml;
}

TEST(CsvRenderer, OneRowPerModelTaskAndMetric) {
  TempDir dir;
  auto report = plain_report(dir.path());
  // A further aggregate of the metric gets its own row.
  auto& record = report.runs[0].record;
  record.cells[0].scores[0].metrics = {MetricValue{"random.f1", 87.5, Unit::percent, true}};
  expect_golden(
      render(Format::csv, report),
      "run,model,task,outcome,metric,variant,statistic,value,unit,stderr,ci95_low,ci95_high,n,"
      "n_missing,n_unparsed,errors,timeouts,baseline,delta,delta_ci95_low,delta_ci95_high,"
      "p_value,p_adjusted,verdict,answered,empty,section,row\r\n"
      "r,a,open,ok,exact_match,default,score,100,percent,0,100,100,4,0,0,0,0,,,,,,,,4,0,,\r\n"
      "r,a,open,ok,exact_match,default,random.f1,87.5,percent,,,,,,,,,,,,,,,,,,,\r\n"
      "r,a,mc,ok,exact_match,default,score,50,percent,50,{float},{float},2,0,0,0,0,,,,,,,,2,0,,\r\n"
      "r,b,open,ok,exact_match,default,score,25,percent,25,{float},{float},4,0,0,0,0,a,-75,"
      "{float},{float},{float},{float},pass,4,0,,\r\n"
      "r,b,mc,unsupported,,,,,,,,,,,,,,,,,,,,,,,,\r\n");
}

/// The contents of every <tag>...</tag> whose opening tag is exactly `open`.
std::vector<std::string> elements(const std::string& html, const std::string& open,
                                  const std::string& close) {
  std::vector<std::string> out;
  for (auto at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const auto start = at + open.size();
    out.push_back(html.substr(start, html.find(close, start) - start));
  }
  return out;
}

TEST(HtmlRenderer, IsSelfContainedAndItsPolicyAllowsExactlyItsOwnCode) {
  TempDir dir;
  const auto html = render(Format::html, plain_report(dir.path()));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">", 0),
            0u);
  EXPECT_TRUE(html.ends_with("</body>\n</html>\n"));
  const auto policy =
      elements(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\"");
  ASSERT_EQ(policy.size(), 1u);
  EXPECT_EQ(policy[0].rfind("default-src 'none'; img-src data:; style-src 'sha256-", 0), 0u)
      << policy[0];
  const auto styles = elements(html, "<style>", "</style>");
  const auto scripts = elements(html, "<script>", "</script>");
  ASSERT_EQ(styles.size(), 1u);
  ASSERT_EQ(scripts.size(), 2u);  // the error guard and the report's script
  EXPECT_NE(policy[0].find("style-src " + csp_hash(styles[0]) + ";"), std::string::npos);
  EXPECT_NE(policy[0].find("script-src " + csp_hash(scripts[0]) + " " + csp_hash(scripts[1])),
            std::string::npos);
  // Nothing is fetched: the only URL is the SVG namespace name, and no element has a src.
  EXPECT_EQ(count(html, "://"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(count(html, " src="), 0u);
  EXPECT_EQ(count(html, "<link"), 0u);
  EXPECT_EQ(count(html, "url("), 0u);
  // The parts a reader needs.
  EXPECT_EQ(count(html, "<table class=\"sortable results\">"), 1u);
  EXPECT_EQ(count(html, "<svg "), 2u);  // a score chart per task (the fixture has no breakdown)
  EXPECT_EQ(count(html, "<script type=\"application/json\" id=\"sample-data\">"), 1u);
  EXPECT_NE(html.find("Δ −75.00 [−124.00, −26.00] · p = 0.250"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"outcome\" title=\"the backend cannot serve this task\">"
                      "unsupported</span>"),
            std::string::npos);
}

const std::vector<std::string> kPayloads = {
    "<script>document.title='XSS'</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-xss','1')\">",
    "</td></tr></table><h1>injected</h1>",
    "<a href=\"javascript:alert(1)\">click</a>",
};

TEST(HtmlRenderer, ShowsUntrustedTextOnlyAsText) {
  TempDir dir;
  CellSpec hostile{"b", "open", binary_scores(4, 0)};
  hostile.predictions = kPayloads;
  auto run = write_run(dir.path() / "r", "r", {{"a", "open", binary_scores(4, 4)}, hostile});
  run.record.cells[1].model = "</td><script>alert('model')</script>";
  run.record.cells[1].message = "\" onmouseover=\"alert(1)";
  run.record.run_name = "<img src=x onerror=alert('title')>";
  run.record.resolved_config = {{"note", "</pre><script>alert('config')</script>"}};
  const auto html = render(Format::html, make_report({run}, ReportOptions{}));
  for (const auto* raw : {"<script>alert", "<script>document", "<img src=x", "<h1>injected",
                          "</pre><script>", "href=\"javascript:", "onmouseover=\""}) {
    EXPECT_EQ(html.find(raw), std::string::npos) << raw;
  }
  EXPECT_NE(html.find("<b>&lt;/td&gt;&lt;script&gt;alert(&#39;model&#39;)&lt;/script&gt;</b>"),
            std::string::npos);
  EXPECT_NE(html.find("<title>lmmbench · &lt;img src=x onerror=alert(&#39;title&#39;)&gt;</title>"),
            std::string::npos);
  // Predictions travel in the sample browser's JSON, where '<' cannot open a tag.
  EXPECT_NE(
      html.find(R"(\u003cimg src=x onerror=\"document.body.setAttribute('data-xss','1')\"\u003e)"),
      std::string::npos);
  EXPECT_NE(html.find(R"(\u003ca href=\"javascript:alert(1)\"\u003eclick\u003c/a\u003e)"),
            std::string::npos);
}

TEST(HtmlRenderer, GateReportLeadsWithTheVerdict) {
  TempDir dir;
  const auto html = render(Format::html, gate_report(dir.path()));
  EXPECT_NE(html.find("<section id=\"gate\"><h2>Verdict</h2><div class=\"banner error\"><span "
                      "class=\"verdict\">✗ 1 regression</span> in 2 comparisons of <b>new</b> "
                      "against the baseline <b>base</b>.</div>"),
            std::string::npos);
  EXPECT_NE(html.find("<span class=\"chip regression\">✗ regression</span>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"mono\">mcnemar-exact</td>"), std::string::npos);
}

TEST(HtmlRenderer, RendersSectionsItDoesNotKnowGenerically) {
  TempDir dir;
  auto run = write_run(dir.path() / "r", "r", {{"a", "open", binary_scores(4, 4)}});
  run.raw["perf"] = {{"e2e_latency_s", {0.11, 0.12, 0.15, 0.2, 0.31}},
                     {"sweep",
                      {{{"concurrency", 1}, {"tokens_per_s", 40.5}},
                       {{"concurrency", 4}, {"tokens_per_s", 150.0}}}},
                     {"ttft_p99", {{"name", "ttft_p99"}, {"value", 0.25}, {"unit", "seconds"}}}};
  run.record.cells[0].usage.prompt_tokens = 1200;
  run.record.cells[0].usage.cost_usd = 0.0123;
  const auto html = render(Format::html, make_report({run}, ReportOptions{}));
  EXPECT_NE(html.find("<a href=\"#performance\">Performance</a>"), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"perf.e2e_latency_s: distribution\""), std::string::npos);
  // Percentiles of type 7 (metrics::percentile), as everywhere else: p99 of 5 values is not the
  // 4th value (a floor rank) but 0.2 + 0.96 x (0.31 - 0.2).
  EXPECT_NE(html.find("n = 5, min 0.11, p50 0.15, p99 0.3056, max 0.31"), std::string::npos);
  EXPECT_NE(html.find("tokens_per_s vs concurrency"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>perf.ttft_p99</th><td>250 ms</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<h3>Tokens and cost</h3>"), std::string::npos);
  EXPECT_NE(html.find("$0.0123"), std::string::npos);
}

}  // namespace
}  // namespace lmmbench::reports
