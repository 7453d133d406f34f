// The HTML report's serving-performance section (reports/perf_html.hpp) on a hand-made perf
// section: its place in the report (a run of `lmmbench perf` alone shows no empty score sections
// and no generic copy of the section), the numbers, VALID / INVALID with reasons, the sweep's
// curves with the best level and SLOs marked, null figures as dashes, and escaping.
#include <sstream>

#include <gtest/gtest.h>

#include "report_fixture.hpp"
#include "reports/perf_html.hpp"
#include "reports/perf_markdown.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::reports {
namespace {

using testing::binary_scores;
using testing::count;
using testing::has;
using testing::render_html;
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

TEST(PerfHtml, PerfOnlyRunShowsThePerfSectionAndNoEmptyScoreSections) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", sweep("llava-1.5-7b"))});
  EXPECT_EQ(count(html, "<section id=\"perf\"><h2>Serving performance</h2>"), 1u);
  EXPECT_TRUE(has(html,
                  "<nav><a href=\"#perf\">Performance</a><a href=\"#provenance\">Provenance</a>"
                  "</nav>"))
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

TEST(PerfHtml, HeaderFactsWithoutCredentials) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", sweep("llava-1.5-7b"))});
  EXPECT_TRUE(has(html,
                  "<tr><th>server</th><td>openai · http://gpu-node:8000/v1 · "
                  "llava-hf/llava-1.5-7b-hf</td></tr>"));
  const auto perf = html.substr(html.find("<section id=\"perf\">"));
  EXPECT_FALSE(has(perf.substr(0, perf.find("</section>")), "secret"));
  EXPECT_FALSE(has(perf.substr(0, perf.find("</section>")), "hidden"));
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

TEST(PerfHtml, SweepVerdictLevelsAndInvalidReasons) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", sweep("llava-1.5-7b"))});
  EXPECT_TRUE(has(html,
                  "<div class=\"banner ok\"><span class=\"verdict\">Best: rate 10/s</span> — the "
                  "highest load that is VALID and meets the SLOs: 9.830 req/s, 1,258 output "
                  "tok/s, goodput 9.338 req/s.</div>"));
  EXPECT_TRUE(has(html,
                  "<div class=\"banner warn\"><b>1 INVALID level:</b><ul><li><b>rate 20/s</b>: 2 "
                  "of 60 requests failed (3.3 %), more than the allowed 0 %</li>"));
  EXPECT_TRUE(has(html, "achieved rate 12.3/s is 38 % off the target &lt;20/s&gt;"));
  // One row per level: verdict chips, failures by kind, rates and the TTFT p99.
  EXPECT_TRUE(has(html,
                  "<span class=\"chip pass\">VALID</span> <span class=\"chip pass\">meets&nbsp;"
                  "SLOs</span> <span class=\"chip\">★&nbsp;best</span>"));
  EXPECT_TRUE(has(html,
                  "<span class=\"chip failed\" title=\"2 of 60 requests failed (3.3 %), more "
                  "than the allowed 0 %; achieved rate 12.3/s is 38 % off the target "
                  "&lt;20/s&gt;\">INVALID</span> <span class=\"chip "
                  "not_comparable\">misses&nbsp;SLOs</span>"));
  EXPECT_TRUE(has(
      html, "<td data-v=\"10\"><b>rate&nbsp;10/s</b><span class=\"sub\">sent&nbsp;9.990/s</span>"));
  EXPECT_TRUE(has(html, "60<span class=\"sub\">in 6.10 s</span></td>"));
  EXPECT_TRUE(has(html, "2<span class=\"sub\">2 timeout</span></td>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"9.83\">9.830</td>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"0.95\">95.0 %</td>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"180\">180.00</td>"));  // TTFT p99 at 10/s
}

TEST(PerfHtml, SweepCurvesMarkTheBestLevelTheSlosAndInvalidLevels) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", sweep("llava-1.5-7b"))});
  for (const char* chart : {"aria-label=\"llava-1.5-7b: requests per second against load\"",
                            "aria-label=\"llava-1.5-7b: output tokens per second against load\"",
                            "aria-label=\"llava-1.5-7b: TTFT p50 and p99 against load\"",
                            "aria-label=\"llava-1.5-7b: TPOT p50 and p99 against load\"",
                            "aria-label=\"llava-1.5-7b: E2E p50 and p99 against load\""}) {
    EXPECT_EQ(count(html, chart), 1u) << chart;
  }
  EXPECT_EQ(count(html, "<g class=\"best\">"), 5u);  // one per load chart
  EXPECT_TRUE(has(html, "best: 10</text>"));
  EXPECT_EQ(count(html, "<path class=\"ideal\""), 1u);  // achieved = offered, requests/s only
  EXPECT_TRUE(has(html, ">SLO 250 ms</text>"));
  EXPECT_TRUE(has(html, ">SLO 2500 ms</text>"));
  EXPECT_TRUE(has(html, "<title>completed at 20: 12.3 (INVALID level)</title>"));
  EXPECT_TRUE(has(html, "<title>TTFT p99 at 10: 180</title>"));
  EXPECT_TRUE(has(html, ">offered rate (requests/s)</text>"));
  // Percentile bars per metric across levels, and every level's histograms.
  EXPECT_EQ(count(html, "percentiles per level\""), 5u);
  EXPECT_EQ(count(html, "(histogram)\""), 15u);
  EXPECT_EQ(count(html, "<details open><summary>Histograms at rate 10/s (best)</summary>"), 1u);
}

TEST(PerfHtml, PercentileAndCostTables) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", single_rate(true))});
  // Percentile table: mean, std, min, p50, p90, p95, p99, p99.9, max of each latency.
  EXPECT_TRUE(has(html,
                  "<tr><td><b>TTFT</b><span class=\"sub\">time to first token</span></td><td "
                  "class=\"num\" data-v=\"60\">60</td><td class=\"num\" data-v=\"60.6\">60.60"
                  "</td>"));
  EXPECT_TRUE(has(html,
                  "<td class=\"num\" data-v=\"60\">60.00</td><td class=\"num\" "
                  "data-v=\"170\">170.00</td><td class=\"num\" data-v=\"225\">225.00</td><td "
                  "class=\"num\" data-v=\"280\">280.00</td>"));
  EXPECT_TRUE(has(html, "<b>send delay</b>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"7500\">7500</td>"));  // ITL gaps
  // Cost: $/day, $/1M output tokens at throughput and at goodput, $/1k images, kWh/day.
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"59.9616\">$59.96</td>"));
  EXPECT_TRUE(has(html, ">$0.4408</td>"));   // 59.9616 / (12.3 × 128 × 86400) × 1e6
  EXPECT_TRUE(has(html, ">$0.05939</td>"));  // per 1k images at goodput: / (11.685 × 86.4)
  EXPECT_TRUE(has(html, ">$0.05642</td>"));  // per 1k images
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"9.6\">9.6</td>"));
  EXPECT_EQ(count(html, "per million output tokens per level\""), 1u);
  // A single level: no load curves and no per-level percentile bars.
  EXPECT_FALSE(has(html, "against load"));
  EXPECT_FALSE(has(html, "percentiles per level"));
  EXPECT_EQ(count(html, "<details open><summary>Histograms at rate 20/s</summary>"), 1u);
}

TEST(PerfHtml, SingleLevelValidAndInvalid) {
  TempDir dir;
  const auto ok = render_html({perf_run(dir.path() / "ok", single_rate(true))});
  EXPECT_TRUE(has(ok,
                  "<div class=\"banner ok\"><span class=\"verdict\">VALID</span> rate 20/s: 60 "
                  "of 60 requests completed in 4.88 s: every validity rule holds.</div>"));
  EXPECT_TRUE(has(ok, "Serving performance: llava-1.5-7b · rate 20/s · VALID"));
  const auto bad = render_html({perf_run(dir.path() / "bad", single_rate(false))});
  EXPECT_TRUE(has(bad,
                  "<div class=\"banner error\"><span class=\"verdict\">INVALID</span> rate 20/s: "
                  "58 of 60 requests completed in 4.88 s.</div>"));
  EXPECT_TRUE(has(bad,
                  "<div class=\"banner error\"><b>Why INVALID:</b><ul><li>2 of 60 requests "
                  "failed (3.3 %), more than the allowed 0 %</li>"));
  EXPECT_TRUE(has(bad, "Serving performance: llava-1.5-7b · rate 20/s · INVALID"));
}

TEST(PerfHtml, NullFiguresAreDashesAndAnUnpricedRunSaysSo) {
  PerfSection s = single_rate(true);
  auto& L = s.levels.front();
  L.tpot_ms = LatencyStats{};  // one-token replies: no TPOT
  L.cost.reset();
  L.slo_attainment.reset();
  std::ostringstream out;
  render_perf_html({{"r", &s, ""}}, out);
  const auto html = out.str();
  EXPECT_TRUE(has(html,
                  "<tr><td><b>TPOT</b><span class=\"sub\">time per output token after the "
                  "first</span></td><td class=\"num\" data-v=\"0\">0</td><td class=\"num\" "
                  "data-v=\"\">—</td>"));
  EXPECT_TRUE(has(html, "Not priced: give --gpu KIND"));
  EXPECT_TRUE(has(html, "<tr><th>server</th><td>not recorded</td></tr>"));
  EXPECT_FALSE(has(html, "TPOT at rate 20/s (histogram)"));
  EXPECT_FALSE(has(html, "$0"));
}

TEST(PerfHtml, TokenCostAndServerMetrics) {
  PerfSection s = single_rate(true);
  auto& L = s.levels.front();
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
  std::ostringstream out;
  render_perf_html({{"r", &s, ""}}, out);
  const auto html = out.str();
  EXPECT_TRUE(has(html, "<h3>Cost at API token prices</h3>"));
  EXPECT_TRUE(has(html,
                  "gpt-4o: $2.5 per 1M input, $10 per 1M output tokens · table of "
                  "2025-06-01"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"21.71875\">$21.72</td>"));
  EXPECT_TRUE(has(html, "Not priced: give --gpu KIND"));  // no GPU-hour price given
  EXPECT_FALSE(has(html, "no costs"));
  EXPECT_TRUE(has(html, "<h3>Server metrics</h3>"));
  EXPECT_TRUE(has(html,
                  "<code>vllm:time_to_first_token_seconds{model_name=&quot;&lt;m&gt;&quot;}"
                  "</code></td><td>histogram</td>"));
  EXPECT_TRUE(has(html, "<code>vllm:request_success_total{finished_reason=&quot;stop&quot;}"));
  EXPECT_TRUE(has(html, "<li>a &lt;note&gt;</li>"));
  EXPECT_FALSE(has(html, "secret"));  // the URL's credentials are not shown

  std::ostringstream md;
  render_perf_markdown(s, md);
  EXPECT_TRUE(has(md.str(), "API token prices: gpt-4o at $2.5 per 1M input"));
  EXPECT_TRUE(has(md.str(),
                  "| vllm:time_to_first_token_seconds{model_name=\"<m>\"} | "
                  "histogram: count, mean | 30 · 0.05 |"));
  EXPECT_TRUE(has(md.str(), "| vllm:num_requests_running | gauge: after | — |"));
}

TEST(PerfHtml, GpuTelemetryTableAndNote) {
  PerfSection s = sweep("m");
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
  s.levels[0].gpu_telemetry = t;
  PerfGpuTelemetrySet missing;
  missing.note = "not available: cannot load <lib>";
  s.levels[1].gpu_telemetry = missing;
  std::ostringstream out;
  render_perf_html({{"r", &s, ""}}, out);
  const auto html = out.str();
  EXPECT_TRUE(has(html, "<h3>GPU telemetry</h3>"));
  EXPECT_TRUE(has(html, "0 NVIDIA &lt;H100&gt;"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"312.5\">312.5</td>"));
  EXPECT_TRUE(has(html, "1,234.5<span class=\"sub\">integrated power</span>"));
  EXPECT_TRUE(has(html, "not available: cannot load &lt;lib&gt;"));
  EXPECT_TRUE(has(html, "NVML, every 100 ms"));

  std::ostringstream md;
  render_perf_markdown(s, md);
  EXPECT_TRUE(has(md.str(), "### GPU telemetry (NVML)"));
  EXPECT_TRUE(has(md.str(), "not available: cannot load <lib>"));
  EXPECT_TRUE(has(md.str(),
                  "| 0 NVIDIA <H100> | 42 | 312.5 | 401.2 | 1234.5 (integrated) | — | — | "
                  "2.00 | — |"))
      << md.str();
}

TEST(PerfHtml, HostileModelNameIsEscapedEverywhere) {
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
  EXPECT_TRUE(has(html,
                  "aria-label=\"&lt;img src=x onerror=alert(&#39;m&#39;)&gt;: requests per "
                  "second against load\""));
  EXPECT_TRUE(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
}

TEST(PerfHtml, RunWithScoresAndAPerfSectionRendersBoth) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "r", single_rate(true), true)});
  for (const char* present : {"<section id=\"results\">", "<section id=\"samples\">",
                              "<section id=\"perf\">", "<a href=\"#perf\">Performance</a>"}) {
    EXPECT_TRUE(has(html, present)) << present;
  }
  EXPECT_TRUE(has(html, "1 models × 1 tasks · 4 of 4 samples answered"));
  EXPECT_FALSE(has(html, "id=\"performance\""));
  EXPECT_LT(html.find("<section id=\"charts\">"), html.find("<section id=\"perf\">"));
  EXPECT_LT(html.find("<section id=\"perf\">"), html.find("<section id=\"samples\">"));
}

TEST(PerfHtml, SeveralRunsAreComparedSideBySide) {
  TempDir dir;
  const auto html = render_html({perf_run(dir.path() / "a", sweep("llava-1.5-7b")),
                                 perf_run(dir.path() / "b", single_rate(false))});
  EXPECT_EQ(count(html, "<section id=\"perf\">"), 1u);
  EXPECT_TRUE(has(html, "<h3>All runs</h3>"));
  EXPECT_EQ(count(html, "<tr><td><b>llava-1.5-7b</b><span class=\"sub\">a</span></td>"), 3u);
  EXPECT_EQ(count(html, "<tr><td><b>llava-1.5-7b</b><span class=\"sub\">b</span></td>"), 1u);
  EXPECT_TRUE(has(html, "<span class=\"sub\">sweep · run a</span>"));
}

TEST(PerfHtml, NothingWithoutSectionsAndSummaries) {
  std::ostringstream none;
  render_perf_html({}, none);
  EXPECT_EQ(none.str(), "");
  auto s = sweep("m");
  EXPECT_EQ(perf_summary(s), "m · sweep of 3 rates, 5–20/s · best: rate 10/s");
  s.best_level.reset();
  EXPECT_EQ(perf_summary(s), "m · sweep of 3 rates, 5–20/s · no level is VALID and meets the SLOs");
}

}  // namespace
}  // namespace lmmbench::reports
