// The serving-performance section's formatter (reports/perf_view.cpp) on a hand-made perf section,
// and every renderer showing it without perf-specific code: its place in the HTML report (a run
// of `lmmbench perf` alone shows no empty score sections and no generic copy of the section), the
// numbers in Markdown, CSV and JUnit, VALID / INVALID with reasons as checks, the sweep's curves,
// null figures as dashes, escaping, and `compare` gating two perf runs.
#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "report_fixture.hpp"
#include "reports/html_section.hpp"
#include "reports/markdown.hpp"
#include "reports/renderer.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {
namespace {

using testing::binary_scores;
using testing::cell;
using testing::count;
using testing::has;
using testing::render;
using testing::render_html;
using testing::table;
using testing::TempDir;
using testing::write_run;

const std::string kHostileModel = "<img src=x onerror=alert('m')>";

LatencyStats latency(double p50, double p99, std::size_t n = 60) {
  LatencyStats s;
  s.count = n;
  s.mean = p50 * 1.01;
  s.std = p50 * 0.05;
  s.min = p50 * 0.9;
  s.p50 = p50;
  s.p90 = p50 + (p99 - p50) * 0.5;
  s.p95 = p50 + (p99 - p50) * 0.75;
  s.p99 = p99;
  s.p999 = p99 * 1.02;
  s.max = p99 * 1.05;
  s.histogram = {2, 10, 25, 15, 5, 2, 0, 1};
  return s;
}

PerfLevel level(double rate, double throughput, bool valid, bool meets_slos) {
  PerfLevel L;
  L.scenario = "rate";
  L.request_rate = rate;
  L.requests = 60;
  L.completed = valid ? 60 : 58;
  L.failed = valid ? 0 : 2;
  if (!valid) L.failures_by_kind = {{"timeout", 2}};
  L.duration_s = 60 / throughput;
  L.request_throughput = throughput;
  L.image_throughput = throughput;
  L.output_throughput = throughput * 128;
  L.total_token_throughput = throughput * 768;
  L.goodput = meets_slos ? throughput * 0.95 : throughput * 0.5;
  L.good_output_throughput = L.goodput * 128;
  L.good_image_throughput = L.goodput;
  L.slo_attainment = meets_slos ? 0.95 : 0.5;
  L.achieved_rate = rate * 0.999;
  L.token_source = "usage";
  L.ttft_ms = latency(40 + rate, 80 + 10 * rate);
  L.tpot_ms = latency(12, 15);
  L.itl_ms = latency(12, 20, 7500);
  L.e2e_ms = latency(1600 + rate, 2000 + 10 * rate);
  L.send_delay_ms = latency(0.2, 1.5);
  L.windows = {{0.1, 4, 18, 18, 4.6, 1601}, {4, 8, 18, 19, 4.9, 1602}};
  L.valid = valid;
  if (!valid) {
    L.invalid_reasons = {"2 of 60 requests failed (3.3 %), more than the allowed 0 %",
                         "achieved rate 12.3/s is 38 % off the target <20/s>"};
  }
  L.meets_slos = meets_slos;
  PerfCost c;
  c.gpu = "a100-80gb";
  c.usd_per_gpu_hour = 2.4984;
  c.price_source = "Modal (A100 80GB), 2026-05-07";
  c.usd_per_day = 59.9616;
  c.usd_per_1m_output_tokens = c.usd_per_day / (L.output_throughput * 86400) * 1e6;
  c.usd_per_1k_images = c.usd_per_day / (L.image_throughput * 86400) * 1e3;
  c.usd_per_1k_requests = c.usd_per_1k_images;
  c.usd_per_1m_good_output_tokens = c.usd_per_day / (L.good_output_throughput * 86400) * 1e6;
  c.usd_per_1k_good_images = c.usd_per_day / (L.goodput * 86400) * 1e3;
  c.usd_per_1k_good_requests = c.usd_per_1k_good_images;
  c.power_w = 400;
  c.power_source = "tdp (upper bound)";
  c.kwh_per_day = 9.6;
  L.cost = c;
  return L;
}

PerfSection sweep(const std::string& model) {
  PerfSection s;
  s.scenario = "sweep";
  s.model = model;
  s.workload = {{"kind", "synthetic"},
                {"images", 1},
                {"image_width", 336},
                {"image_height", 336},
                {"image_format", "jpeg"},
                {"prompt_tokens", 64},
                {"output_tokens", 128},
                {"ignore_eos", true},
                {"seed", 0}};
  s.schedule = {{"arrival", "poisson"}, {"burstiness", 1.0}, {"requests_per_level", 60}};
  s.warmup_requests = 2;
  s.slos.ttft_ms = 250;
  s.slos.e2e_ms = 2500;
  s.validity.min_requests = 10;
  s.levels = {level(5, 4.999, true, true), level(10, 9.83, true, true),
              level(20, 12.3, false, false)};
  s.best_level = 1;
  s.requests_file = "requests.jsonl";
  return s;
}

PerfSection single_rate(bool valid) {
  PerfSection s = sweep("llava-1.5-7b");
  s.scenario = "rate";
  s.levels = {level(20, 12.3, valid, valid)};
  s.best_level.reset();
  return s;
}

/// A run of `lmmbench perf` alone (no cells), or with `scored` one that also has a scored cell.
LoadedRun perf_run(const std::filesystem::path& dir, const PerfSection& section,
                   bool scored = false) {
  auto run = write_run(dir, dir.filename().string(),
                       scored ? std::vector<testing::CellSpec>{{"a", "open", binary_scores(4, 3)}}
                              : std::vector<testing::CellSpec>{});
  run.record.perf = section;
  run.record.resolved_config = {
      {"model",
       {{"backend", "openai"},
        {"options",
         {{"base_url", "http://user:secret@gpu-node:8000/v1?api_key=hidden"},
          {"model", "llava-hf/llava-1.5-7b-hf"}}}}}};
  run.raw["perf"] = section;
  run.raw["resolved_config"] = run.record.resolved_config;
  return run;
}

TEST(PerfView, PerfOnlyRunShowsThePerfSectionAndNoEmptyScoreSections) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", sweep("llava-1.5-7b"))});
  EXPECT_EQ(count(html, "<section id=\"perf\"><h2>Serving performance</h2>"), 1u);
  EXPECT_TRUE(has(html,
                  "<nav><a href=\"#perf\">Serving performance</a><a href=\"#provenance\">"
                  "Provenance</a></nav>"))
      << html.substr(0, 2000);
  // Neither empty score sections nor a second, generic rendering of the perf section.
  for (const char* absent :
       {"id=\"results\"", "id=\"charts\"", "id=\"categories\"", "id=\"samples\"",
        "id=\"performance\"", "perf.levels", "<th>Manifest sha256</th>"}) {
    EXPECT_FALSE(has(html, absent)) << absent;
  }
  EXPECT_TRUE(has(html,
                  "Serving performance: llava-1.5-7b · sweep of 3 rates, 5–20/s · best: rate "
                  "10/s · complete"));
}

TEST(PerfView, FactsWithoutCredentials) {
  TempDir dir;
  const auto run = perf_run(dir.path() / "r", sweep("llava-1.5-7b"));
  const auto html = render_html({run});
  EXPECT_TRUE(has(html,
                  "<tr><th>server</th><td>openai · http://gpu-node:8000/v1 · "
                  "llava-hf/llava-1.5-7b-hf</td></tr>"));
  // The perf section's facts (the provenance shows the resolved config as recorded).
  const auto perf = html.substr(html.find("<section id=\"perf\">"));
  EXPECT_FALSE(has(perf.substr(0, perf.find("</section>")), "secret"));
  EXPECT_FALSE(has(perf.substr(0, perf.find("</section>")), "hidden"));
  for (const Format f : {Format::markdown, Format::csv, Format::junit}) {
    const auto text = render(f, {run});
    EXPECT_FALSE(has(text, "secret")) << to_string(f);
    EXPECT_FALSE(has(text, "hidden")) << to_string(f);
  }
  EXPECT_TRUE(has(html,
                  "<tr><th>workload</th><td>synthetic: 1 random-noise image of 336×336 jpeg, 64 "
                  "prompt words, max_tokens 128, ignore_eos</td></tr>"));
  EXPECT_TRUE(has(html,
                  "<tr><th>schedule</th><td>poisson arrivals · 60 requests per level · 2 warm-up "
                  "requests first · seed 0</td></tr>"));
  EXPECT_TRUE(has(html,
                  "<tr><th>SLOs</th><td>TTFT ≤ 250 ms · E2E ≤ 2500 ms, met by ≥ 90 % of the "
                  "requests</td></tr>"));
  EXPECT_TRUE(has(html,
                  "<tr><th>price</th><td>1 × a100-80gb at $2.4984 per GPU-hour · Modal (A100 "
                  "80GB), 2026-05-07</td></tr>"));
}

TEST(PerfView, SweepLevelsVerdictsAndInvalidReasonsAsChecks) {
  const Section s = perf_view(sweep("llava-1.5-7b"));
  EXPECT_EQ(s.summary, "llava-1.5-7b · sweep of 3 rates, 5–20/s · best: rate 10/s");
  const auto& levels = table(s, "Load levels");
  ASSERT_EQ(levels.rows.size(), 3u);
  EXPECT_EQ(cell(levels, 1, "level"), "rate 10/s");
  EXPECT_EQ(cell(levels, 1, "verdict"), "VALID · meets SLOs · best");
  EXPECT_EQ(levels.rows[1][1].mark, Mark::good);
  EXPECT_EQ(cell(levels, 2, "verdict"), "INVALID · misses SLOs");
  EXPECT_EQ(levels.rows[2][1].mark, Mark::bad);
  EXPECT_EQ(cell(levels, 1, "requests/s"), "9.83");
  EXPECT_EQ(cell(levels, 1, "SLO attained"), "95.00");
  EXPECT_EQ(cell(levels, 2, "failed"), "2 (2 timeout)");  // by kind, as the old report said
  EXPECT_EQ(cell(levels, 1, "sent/s"), "9.99");           // the achieved rate
  EXPECT_EQ(cell(levels, 1, "output tok/s"), "1258");
  auto counted = sweep("m");
  counted.levels[0].token_source = "token_events";
  EXPECT_EQ(cell(table(perf_view(counted), "Load levels"), 0, "output tok/s"),
            "639.9 (counted: token_events)");
  // A sweep is judged as `lmmbench perf` judges it: one level valid and meeting the SLOs; the
  // levels past the knee are notes, not failures.
  ASSERT_EQ(s.checks.size(), 1u);
  EXPECT_EQ(s.checks[0].name, "sweep: a level is valid and meets the SLOs");
  EXPECT_TRUE(s.checks[0].passed);
  EXPECT_TRUE(std::find(s.notes.begin(), s.notes.end(),
                        "rate 20/s: misses the SLOs (attainment 50.0 % < 90 %)") != s.notes.end());
  auto none = sweep("m");
  none.best_level.reset();
  EXPECT_FALSE(perf_view(none).checks[0].passed);
  // A single level is checked for validity, with its reasons.
  const Section bad = perf_view(single_rate(false));
  ASSERT_EQ(bad.checks.size(), 1u);
  EXPECT_EQ(bad.checks[0].name, "rate 20/s: valid");
  EXPECT_FALSE(bad.checks[0].passed);
  EXPECT_EQ(bad.checks[0].message.find("2 of 60 requests failed (3.3 %)"), 0u);
  EXPECT_TRUE(std::any_of(s.notes.begin(), s.notes.end(), [](const std::string& n) {
    return n == "rate 20/s: achieved rate 12.3/s is 38 % off the target <20/s>";
  }));
  const auto& latency = table(s, "Latency");
  EXPECT_EQ(cell(latency, 5, "level · latency"), "rate 10/s · TTFT");
  EXPECT_EQ(cell(latency, 5, "p99"), "180");
  // A sweep on one axis draws its curves against the load.
  EXPECT_EQ(levels.charts.size(), 1u);
  EXPECT_EQ(levels.charts[0].kind, Chart::Kind::line);
  EXPECT_EQ(table(s, "Latency against offered rate").charts.size(), 1u);
}

TEST(PerfView, HtmlDrawsTheSweepAndFoldsTheDetail) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", sweep("llava-1.5-7b"))});
  EXPECT_EQ(count(html, "aria-label=\"Throughput against offered rate\""), 1u);
  EXPECT_EQ(count(html, "aria-label=\"Latency against offered rate\""), 1u);
  EXPECT_EQ(count(html, ">SLO TTFT 250 ms</text>"), 1u);  // the SLOs drawn on the latency chart
  EXPECT_EQ(count(html, ">SLO E2E 2500 ms</text>"), 1u);
  EXPECT_TRUE(has(html, "<span class=\"chip pass\">VALID · meets SLOs · best</span>"));
  EXPECT_TRUE(has(html, "<span class=\"chip failed\">INVALID · misses SLOs</span>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"9.83\">9.83</td>"));
  EXPECT_TRUE(has(html, "achieved rate 12.3/s is 38 % off the target &lt;20/s&gt;"));
  // Histograms (15: five latencies at three levels) and windows are detail, folded.
  EXPECT_EQ(count(html.substr(0, html.find("<section id=\"provenance\">")), "<details><summary>"),
            16u);
  EXPECT_TRUE(has(html, "<details><summary>E2E distribution · rate 10/s</summary>"));
  EXPECT_EQ(count(html, "<details><summary>Steady-state windows</summary>"), 1u);
}

// The sweep's best level (the highest load that is VALID and meets the SLOs) is named in the facts
// and marked on every chart against the load; INVALID levels are hollow points there.
TEST(PerfView, SweepChartsMarkTheBestLevelAndHollowInvalidLevels) {
  const Section s = perf_view(sweep("llava-1.5-7b"));
  for (const char* title : {"Load levels", "Latency against offered rate"}) {
    const auto& t = table(s, title);
    ASSERT_EQ(t.charts.size(), 1u) << title;
    EXPECT_EQ(t.charts[0].highlight, std::optional<std::size_t>(1)) << title;
    EXPECT_EQ(t.charts[0].highlight_label, "best: rate 10/s") << title;
    EXPECT_EQ(t.charts[0].hollow, std::vector<std::size_t>{2}) << title;  // rate 20/s
    EXPECT_EQ(t.charts[0].hollow_label, "INVALID level") << title;
  }
  const auto fact = std::find_if(s.facts.begin(), s.facts.end(),
                                 [](const auto& f) { return f.first == "best level"; });
  ASSERT_NE(fact, s.facts.end());
  EXPECT_EQ(fact->second, "rate 10/s: the highest load that is VALID and meets the SLOs");

  TempDir dir;
  const auto run = perf_run(dir.path() / "r", sweep("llava-1.5-7b"));
  const auto html = render_html({run});
  // One best-level line per chart against the load, at rate 10/s (x = 56 + (10 − 5) / 15 × 584).
  EXPECT_EQ(count(html, "<g class=\"highlight\"><line x1=\"250.7\" x2=\"250.7\""), 2u);
  EXPECT_EQ(count(html, ">best: rate 10/s</text></g>"), 2u);
  // The INVALID level's point on every line: 2 throughput lines + 4 latency lines, at x = 640.
  EXPECT_EQ(count(html, "<circle class=\"hollow\" cx=\"640.0\""), 6u);
  EXPECT_EQ(count(html, "<circle class=\"hollow\""), 6u);
  EXPECT_EQ(count(html, "<title>INVALID level</title></circle>"), 6u);
  EXPECT_EQ(count(html, "<span class=\"swatch hollow\"></span>INVALID level"), 2u);
  EXPECT_EQ(count(html, "<span class=\"swatch highlight\"></span>best: rate 10/s"), 2u);
  // A rate sweep's throughput chart: the line where achieved equals offered, from (5, 5) to
  // (20, 20) on the 0–20 y axis.
  EXPECT_EQ(count(html,
                  "<g class=\"identity\"><path d=\"M56.0 134.5L640.0 10.0\" "
                  "stroke-dasharray=\"3 3\" fill=\"none\"/><title>achieved = offered</title></g>"),
            1u);
  EXPECT_TRUE(has(html,
                  "<tr><th>best level</th><td>rate 10/s: the highest load that is VALID and "
                  "meets the SLOs</td></tr>"));
  const auto md = render(Format::markdown, {run});
  EXPECT_TRUE(has(md, "- best level: rate 10/s: the highest load that is VALID and meets the SLOs"))
      << md;
  // The CSV carries each level's verdict, best and INVALID included, on every number of its row.
  const auto csv = render(Format::csv, {run});
  EXPECT_TRUE(has(csv,
                  "r,,,,Load levels,,requests/s,9.83,items_per_second,,,,,,,,,,,,,,,VALID · meets "
                  "SLOs · best,,,perf,rate 10/s\r\n"))
      << csv;
  EXPECT_TRUE(has(csv,
                  "r,,,,Load levels,,requests/s,12.3,items_per_second,,,,,,,,,,,,,,,INVALID · "
                  "misses SLOs,,,perf,rate 20/s\r\n"))
      << csv;

  // No best level, every level VALID: neither mark.
  auto none = sweep("m");
  none.best_level.reset();
  for (auto& L : none.levels)
    L.valid = true;
  const auto plain = render_html({perf_run(dir.path() / "plain", none)});
  EXPECT_FALSE(has(plain, "class=\"highlight\""));
  EXPECT_FALSE(has(plain, "class=\"hollow\""));
  EXPECT_TRUE(has(plain,
                  "<tr><th>best level</th><td>none: no level is VALID and meets the "
                  "SLOs</td></tr>"));
}

// Per latency, the levels' percentiles as range bars: min–max whisker, p50–p90 and p90–p99 bands,
// ticks at p50 and p99.9, every value in the row's tooltip.
TEST(PerfView, LatencyPercentileBarsPerLevel) {
  const Section s = perf_view(sweep("llava-1.5-7b"));
  const auto& latency = table(s, "Latency");
  EXPECT_EQ(cell(latency, 5, "min"), "45");   // rate 10/s · TTFT: 0.9 × p50
  EXPECT_EQ(cell(latency, 5, "max"), "189");  // 1.05 × p99
  ASSERT_EQ(latency.charts.size(), 5u);
  const auto& ttft = latency.charts[0];
  EXPECT_EQ(ttft.kind, Chart::Kind::ranges);
  EXPECT_EQ(ttft.title, "TTFT percentiles per level");
  EXPECT_EQ(ttft.rows, (std::vector<std::size_t>{0, 5, 10}));
  std::vector<std::string> names;
  for (const auto c : ttft.y)
    names.push_back(latency.columns[c].name);
  EXPECT_EQ(names, (std::vector<std::string>{"min", "p50", "p90", "p99", "p99.9", "max"}));

  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", sweep("llava-1.5-7b"))});
  for (const char* name : {"TTFT", "TPOT", "ITL", "E2E", "send delay"}) {
    EXPECT_EQ(count(html, fmt::format("aria-label=\"{} percentiles per level\"", name)), 1u)
        << name;
  }
  // rate 10/s: TTFT p50 50, p99 180 (p90 halfway, p99.9 and max 2 % and 5 % above p99).
  EXPECT_TRUE(has(html,
                  "<g class=\"range\"><title>rate 10/s · TTFT: min 45 ms · p50 50 ms · p90 115 ms "
                  "· p99 180 ms · p99.9 183.6 ms · max 189 ms</title>"));
  // On the 0–500 ms axis (x 160–548): the p50–p90 band from 50 to 115 ms, p90–p99 to 180 ms.
  EXPECT_TRUE(has(html,
                  "<rect class=\"bar band-1\" x=\"198.8\" y=\"39.0\" width=\"50.4\" "
                  "height=\"12\""));
  EXPECT_TRUE(has(html,
                  "<rect class=\"bar band-2\" x=\"249.2\" y=\"39.0\" width=\"50.4\" "
                  "height=\"12\""));
  EXPECT_TRUE(has(html, "<path class=\"tick\" d=\"M198.8 37.0V53.0\"/>"));       // p50
  EXPECT_TRUE(has(html, "<path class=\"tick high\" d=\"M302.5 38.0V52.0\"/>"));  // p99.9
  EXPECT_TRUE(has(html, ">p50 50 ms · p99 180 ms</text>"));
  EXPECT_TRUE(has(html, "<text x=\"20\" dy=\"0.35em\">p90–p99</text>"));
  // The histograms' bins holding p50, p90 and p99 (45–189 ms in 8 bins of 18 ms).
  const auto& bins = table(s, "TTFT distribution · rate 10/s");
  EXPECT_EQ(cell(bins, 0, "bin (ms)"), "45–63 · p50");
  EXPECT_EQ(cell(bins, 1, "bin (ms)"), "63–81");
  EXPECT_EQ(cell(bins, 3, "bin (ms)"), "99–117 · p90");
  EXPECT_EQ(cell(bins, 7, "bin (ms)"), "171–189 · p99");
  // One level: the table alone.
  EXPECT_TRUE(table(perf_view(single_rate(true)), "Latency").charts.empty());
}

// The marks are generic: any section's chart draws them, every label HTML-escaped.
TEST(PerfView, SectionChartMarksAndRangesAreEscaped) {
  const std::string evil = "<script>x</script>";
  Table t;
  t.title = "t";
  t.columns = {text_column("row"),
               number_column("load", Unit::count),
               number_column("lo" + evil, Unit::milliseconds),
               number_column("mid", Unit::milliseconds),
               number_column("hi", Unit::milliseconds),
               number_column("top", Unit::milliseconds)};
  for (int i = 1; i <= 3; ++i) {
    t.rows.push_back({Value::words(evil + std::to_string(i)), Value::of(i), Value::of(i),
                      Value::of(2 * i), Value::of(3 * i), Value::of(4 * i)});
  }
  Chart line = chart_of(Chart::Kind::line, 1, {3}, evil);
  line.hollow = {0};
  line.hollow_label = evil + "hollow";
  line.highlight = 2;
  line.highlight_label = evil + "best";
  t.charts.push_back(line);
  t.charts.push_back(chart_of(Chart::Kind::ranges, 0, {2, 3, 4, 5}, evil));
  Section s;
  s.key = "x";
  s.title = "x";
  s.tables.push_back(t);
  std::ostringstream out;
  render_section_html(s, "", out);
  const auto html = out.str();
  EXPECT_FALSE(has(html, "<script>")) << html;
  EXPECT_EQ(count(html, "<title>&lt;script&gt;x&lt;/script&gt;hollow</title></circle>"), 1u);
  EXPECT_EQ(count(html, "&lt;script&gt;x&lt;/script&gt;best</text></g>"), 1u);
  EXPECT_EQ(count(html, "<g class=\"range\">"), 3u);
  EXPECT_TRUE(has(html,
                  "<title>&lt;script&gt;x&lt;/script&gt;2: lo&lt;script&gt;x&lt;/script&gt; 2 "
                  "ms · mid 4 ms · hi 6 ms · top 8 ms</title>"))
      << html;
}

TEST(PerfView, CostTables) {
  const Section s = perf_view(single_rate(true));
  const auto& cost = table(s, "GPU-hour cost");
  EXPECT_EQ(cell(cost, 0, "$/day"), "59.96");
  EXPECT_EQ(cell(cost, 0, "$/1M output tok"), "0.4408");  // 59.9616 / (12.3 × 128 × 86400) × 1e6
  EXPECT_EQ(cell(cost, 0, "$/1k good images"), "0.05939");  // / (11.685 × 86.4)
  EXPECT_EQ(cell(cost, 0, "$/1k images"), "0.05642");
  EXPECT_EQ(cell(cost, 0, "energy per day"), "9.6");
  EXPECT_EQ(cell(cost, 0, "power per GPU"), "400");
  // A single level: no curves against the load.
  for (const auto& t : s.tables)
    EXPECT_EQ(t.title.find("against"), std::string::npos) << t.title;
}

TEST(PerfView, NullFiguresAreDashesAndAnUnpricedRunHasNoCostTable) {
  PerfSection p = single_rate(true);
  auto& L = p.levels.front();
  L.tpot_ms = LatencyStats{};  // one-token replies: no TPOT
  L.cost.reset();
  L.slo_attainment.reset();
  const Section s = perf_view(p);
  const auto& latency = table(s, "Latency");
  EXPECT_EQ(cell(latency, 1, "level · latency"), "rate 20/s · TPOT");
  EXPECT_EQ(cell(latency, 1, "n"), "0");
  EXPECT_EQ(cell(latency, 1, "p50"), "—");
  EXPECT_EQ(cell(table(s, "Load levels"), 0, "SLO attained"), "—");
  for (const auto& t : s.tables) {
    EXPECT_NE(t.title, "GPU-hour cost");
    EXPECT_NE(t.title, "TPOT distribution · rate 20/s");
  }
  std::ostringstream md;
  render_section_markdown(s, md);
  EXPECT_FALSE(has(md.str(), "$0")) << md.str();
  EXPECT_TRUE(has(md.str(), "| rate 20/s · TPOT | 0 | — | — | — | — | — | — | — | — | — |"))
      << md.str();
}

TEST(PerfView, TokenCostAndServerMetrics) {
  PerfSection p = single_rate(true);
  auto& L = p.levels.front();
  L.cost.reset();
  PerfTokenCost c;
  c.price_model = "gpt-4o";
  c.prices_as_of = "2025-06-01";
  c.usd_per_1m_input_tokens = 2.5;
  c.usd_per_1m_output_tokens_rate = 10;
  c.usd = 0.278;
  c.usd_per_1m_output_tokens = 21.71875;
  L.token_cost = c;
  PerfServerMetrics m;
  m.url = "http://user:secret@gpu-node:8000/metrics";
  m.scraped = true;
  m.histograms.push_back(
      {"vllm:time_to_first_token_seconds", {{"model_name", "<m>"}}, 1.5, 30, 0.05});
  m.counters.push_back({"vllm:request_success_total", {{"finished_reason", "stop"}}, 30});
  m.gauges.push_back({"vllm:num_requests_running", {}, std::nullopt});
  m.notes.push_back("a <note>");
  L.server_metrics = m;
  const Section s = perf_view(p);
  EXPECT_EQ(cell(table(s, "API token cost"), 0, "$/1M output tok"), "21.72");
  const auto fact = std::find_if(s.facts.begin(), s.facts.end(),
                                 [](const auto& f) { return f.first == "token prices"; });
  ASSERT_NE(fact, s.facts.end());
  EXPECT_EQ(fact->second,
            "gpt-4o: $2.5 per 1M input, $10 per 1M output tokens · table of 2025-06-01");
  const auto& server = table(s, "Server metrics · rate 20/s");
  EXPECT_EQ(cell(server, 0, "series"), "vllm:time_to_first_token_seconds{model_name=\"<m>\"}");
  EXPECT_EQ(cell(server, 0, "value"), "30");
  EXPECT_EQ(cell(server, 0, "mean"), "0.0500");
  EXPECT_EQ(cell(server, 2, "value"), "—");
  std::ostringstream md;
  render_section_markdown(s, md);
  EXPECT_TRUE(has(md.str(), "- note: rate 20/s: server metrics: a &lt;note&gt;"));
  EXPECT_TRUE(has(md.str(), "- server metrics: Prometheus, http://gpu-node:8000/metrics"));
  EXPECT_FALSE(has(md.str(), "secret"));
}

TEST(PerfView, GpuTelemetryTableAndNote) {
  PerfSection p = sweep("m");
  PerfGpuTelemetrySet t;
  t.available = true;
  t.interval_ms = 100;
  PerfGpuTelemetry g;
  g.index = 0;
  g.name = "NVIDIA <H100>";
  g.samples = 42;
  g.power_w_mean = 312.5;
  g.power_w_max = 401.25;
  g.energy_j = 1234.5;
  g.energy_source = "integrated_power";
  g.memory_used_bytes_max = 2.0 * (1 << 30);
  t.gpus.push_back(g);
  p.levels[0].gpu_telemetry = t;
  PerfGpuTelemetrySet missing;
  missing.note = "not available: cannot load <lib>";
  p.levels[1].gpu_telemetry = missing;
  const Section s = perf_view(p);
  const auto& tel = table(s, "GPU telemetry (NVML)");
  ASSERT_EQ(tel.rows.size(), 1u);
  EXPECT_EQ(cell(tel, 0, "level · GPU"), "rate 5/s · 0 NVIDIA <H100>");
  EXPECT_EQ(cell(tel, 0, "power mean"), "312.5");
  EXPECT_EQ(cell(tel, 0, "energy"), "1,234");  // whole joules past 1000
  EXPECT_EQ(cell(tel, 0, "energy from"), "integrated_power");
  EXPECT_EQ(cell(tel, 0, "memory used max"), "2.15 G");
  EXPECT_TRUE(std::find(s.notes.begin(), s.notes.end(),
                        "rate 10/s: GPU telemetry not available: cannot load <lib>") !=
              s.notes.end());
  const auto html = [&] {
    std::ostringstream out;
    TempDir dir;
    auto run = perf_run(dir.path() / "r", p);
    return render_html({run});
  }();
  EXPECT_TRUE(has(html, "rate 5/s · 0 NVIDIA &lt;H100&gt;"));
  EXPECT_TRUE(has(html, "NVML, every 100 ms"));
}

TEST(PerfView, ReplicasTableRowPerLevelAndReplicaOnlyWhenPresent) {
  PerfSection p = sweep("m");
  for (const auto& t : perf_view(p).tables)
    EXPECT_NE(t.title, "Replicas");  // one URL: no table
  EXPECT_FALSE(nlohmann::json(p.levels[0]).contains("replicas"));
  p.levels[0].replicas = {{"http://user:secret@a:8000/v1", 31, 31, 0, 80.25},
                          {"http://b:8000/v1", 29, 27, 2, 81.5}};
  p.levels[2].replicas = {{"http://user:secret@a:8000/v1", 60, 0, 60, std::nullopt},
                          {"http://b:8000/v1", 0, 0, 0, std::nullopt}};
  const Section s = perf_view(p);
  const auto& t = table(s, "Replicas");
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(cell(t, 0, "level · replica"), "rate 5/s · http://a:8000/v1");
  EXPECT_EQ(cell(t, 0, "requests"), "31");
  EXPECT_EQ(cell(t, 1, "level · replica"), "rate 5/s · http://b:8000/v1");
  EXPECT_EQ(cell(t, 1, "answered"), "27");
  EXPECT_EQ(cell(t, 1, "connection failures"), "2");
  EXPECT_EQ(cell(t, 1, "mean latency"), "81.5");
  EXPECT_EQ(cell(t, 2, "level · replica"), "rate 20/s · http://a:8000/v1");
  EXPECT_EQ(cell(t, 2, "mean latency"), "—");  // none answered
  // The record keeps them per level and reads them back.
  const nlohmann::json j = p.levels[0];
  ASSERT_TRUE(j.contains("replicas"));
  EXPECT_EQ(j["replicas"][1]["connection_failures"], 2);
  EXPECT_EQ(j.get<PerfLevel>().replicas[1].latency_mean_ms, 81.5);
  EXPECT_TRUE(perf_level_summary(p.levels[0]).contains("replicas"));
  std::ostringstream md;
  render_section_markdown(s, md);
  EXPECT_TRUE(has(md.str(), "| rate 5/s · http://b:8000/v1 | 29 | 27 | 2 | 81.5 |")) << md.str();
  EXPECT_FALSE(has(md.str(), "secret"));
}

TEST(PerfView, ServerFactListsEveryReplicaWithoutCredentials) {
  TempDir dir;
  auto run = perf_run(dir.path() / "r", sweep("m"));
  run.record.resolved_config["model"]["options"]["base_url"] = {
      "http://user:secret@a:8000/v1?api_key=hidden", "http://b:8000/v1"};
  run.raw["resolved_config"] = run.record.resolved_config;
  const auto html = render_html({run});
  EXPECT_TRUE(has(html,
                  "<tr><th>server</th><td>openai · http://a:8000/v1, http://b:8000/v1 · "
                  "llava-hf/llava-1.5-7b-hf</td></tr>"))
      << html;
}

TEST(PerfView, HostileModelNameIsEscapedEverywhere) {
  TempDir dir;
  auto section = sweep(kHostileModel);
  section.levels[2].invalid_reasons.push_back("<script>alert(1)</script>");
  section.workload["task"] = "</td><script>x</script>";
  section.workload["kind"] = "task";
  const auto html = render_html({perf_run(dir.path() / "r", section)});
  EXPECT_FALSE(has(html, "<img src=x"));
  EXPECT_FALSE(has(html, "<script>alert"));
  EXPECT_FALSE(has(html, "<script>x"));
  EXPECT_TRUE(has(html, "&lt;img src=x onerror=alert(&#39;m&#39;)&gt;"));
  EXPECT_TRUE(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  const auto junit = render(Format::junit, {perf_run(dir.path() / "r", section)});
  EXPECT_FALSE(has(junit, "<script>"));
}

TEST(PerfView, RunWithScoresAndAPerfSectionRendersBoth) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", single_rate(true), true)});
  for (const char* present :
       {"<section id=\"results\">", "<section id=\"samples\">", "<section id=\"perf\">",
        "<a href=\"#perf\">Serving performance</a>"}) {
    EXPECT_TRUE(has(html, present)) << present;
  }
  EXPECT_TRUE(has(html, "1 models × 1 tasks · 4 of 4 samples answered"));
  EXPECT_FALSE(has(html, "id=\"performance\""));
  EXPECT_LT(html.find("<section id=\"charts\">"), html.find("<section id=\"perf\">"));
  EXPECT_LT(html.find("<section id=\"perf\">"), html.find("<section id=\"samples\">"));
}

TEST(PerfView, SeveralRunsEachGetTheirBlock) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "a", sweep("llava-1.5-7b")),
                                 perf_run(dir.path() / "b", single_rate(false))});
  EXPECT_EQ(count(html, "<section id=\"perf\">"), 1u);
  EXPECT_TRUE(has(html, "<h3>Serving performance<span class=\"sub\">run a</span></h3>"));
  EXPECT_TRUE(has(html, "<h3>Serving performance<span class=\"sub\">run b</span></h3>"));
  // And side by side: every level of both runs in one table, named by run.
  EXPECT_EQ(count(html, "<h4>All runs · Load levels</h4>"), 1u);
  EXPECT_EQ(count(html, "<tr><td>a</td><td>rate "), 3u);
  EXPECT_EQ(count(html, "<tr><td>b</td><td>rate 20/s</td>"), 1u);
  // One run: no side-by-side table.
  EXPECT_FALSE(has(render_html({perf_run(dir.path() / "c", sweep("m"))}), "All runs"));
}

// The "done when": report --md/--csv/--junit on a perf run shows its numbers.
TEST(PerfView, MarkdownCsvAndJunitShowTheNumbers) {
  TempDir dir;
  const auto run = perf_run(dir.path() / "r", sweep("llava-1.5-7b"));
  const auto md = render(Format::markdown, {run});
  EXPECT_FALSE(has(md, "0 models × 0 tasks")) << md;
  EXPECT_TRUE(has(md, "## Serving performance\n\nllava-1.5-7b · sweep of 3 rates")) << md;
  EXPECT_TRUE(has(md, "| rate 10/s | VALID · meets SLOs · best | 60 | 0 |")) << md;
  EXPECT_TRUE(has(md, "| rate 20/s | INVALID · misses SLOs ✗ |")) << md;
  EXPECT_TRUE(has(md, "- note: rate 20/s: 2 of 60 requests failed")) << md;
  EXPECT_TRUE(has(md, "detail tables (distributions, windows, operations) in report.html"));

  const auto csv = render(Format::csv, {run});
  EXPECT_TRUE(has(csv, "r,,,,Load levels,,requests/s,9.83,items_per_second,"));
  EXPECT_TRUE(has(csv, ",perf,rate 10/s\r\n"));
  EXPECT_TRUE(has(csv, "r,,,,Latency,,p99,180,milliseconds,"));
  EXPECT_TRUE(has(csv, "E2E distribution · rate 10/s"));  // detail tables too

  const auto junit = render(Format::junit, {run});
  EXPECT_TRUE(has(junit, "<testsuite name=\"lmmbench perf (r)\""));
  EXPECT_TRUE(has(junit, "failures=\"0\""));
  EXPECT_TRUE(has(junit,
                  "<testcase classname=\"lmmbench.perf\" name=\"sweep: a level is valid "
                  "and meets the SLOs\""));
  const auto failing = render(Format::junit, {perf_run(dir.path() / "bad", single_rate(false))});
  EXPECT_TRUE(has(failing, "<testcase classname=\"lmmbench.perf\" name=\"rate 20/s: valid\""));
  EXPECT_TRUE(has(failing, "failures=\"1\""));
  EXPECT_TRUE(has(junit, "rate 10/s: verdict VALID · meets SLOs · best; requests 60; failed 0;"))
      << junit;
}

PerfLevel with_objectives(PerfLevel L, double ttft_p99_s) {
  MetricValue v;
  v.name = perf_level_label(L) + ": ttft p99";
  v.value = ttft_p99_s;
  v.unit = Unit::seconds;
  v.higher_is_better = false;
  L.objectives = {v};
  return L;
}

// `compare` gates two perf runs on their objectives.
TEST(PerfView, CompareGatesTwoPerfRuns) {
  TempDir dir;
  PerfSection a = single_rate(true);
  a.levels[0] = with_objectives(a.levels[0], 0.100);
  PerfSection b = a;
  b.levels[0] = with_objectives(b.levels[0], 0.150);
  auto report = make_gate_report(perf_run(dir.path() / "a", a), perf_run(dir.path() / "b", b),
                                 GatePairing{}, ReportOptions{});
  ASSERT_EQ(report.objectives.size(), 1u);
  EXPECT_EQ(report.objectives[0].name, "perf/rate 20/s: ttft p99");
  EXPECT_EQ(report.objectives[0].verdict, Verdict::regression);
  EXPECT_EQ(summarize(report).regressions, 1u);
  auto same = make_gate_report(perf_run(dir.path() / "c", a), perf_run(dir.path() / "d", a),
                               GatePairing{}, ReportOptions{});
  EXPECT_EQ(summarize(same).regressions, 0u);
}

}  // namespace
}  // namespace lmmbench::reports
