// The GPU section's formatter (reports/gpu_view.cpp) on a fixed GPU section, and every renderer
// showing it without GPU-specific code: its tables and facts, null-as-dash, the bound-only note,
// failed stages as checks, escaping, how it sits in the whole report (a run of `lmmbench gpu`
// alone, and a run with scores and a GPU section), and `compare` gating two GPU runs.
#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "report_fixture.hpp"
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

const std::string kHostileModel = "<script>alert('model')</script>";

GpuStageResult stage(std::string name, std::string phase, double flops, double bytes,
                     double bound_ms, std::string bound_by) {
  GpuStageResult s;
  s.name = std::move(name);
  s.phase = std::move(phase);
  s.description = "32 decoder layers";
  s.flops = flops;
  s.bytes = bytes;
  s.bound_ms = bound_ms;
  s.bound_by = std::move(bound_by);
  return s;
}

GpuBatchResult batch(std::int64_t size, bool measured) {
  GpuBatchResult b;
  b.batch = size;
  b.max_batch_kv_fit = 143;
  b.fits_in_memory = size <= 143;
  b.stages = {stage("vision.layers", "prefill", 365.34e9, 1.122e9, 1.171, "compute"),
              stage("lm.prefill", "prefill", 8396.83e9, 16.318e9, 26.913, "compute"),
              stage("lm.decode", "decode", 13.32e9, 13.326e9, 6.535, "memory")};
  GpuOpResult qkv;
  qkv.name = "qkv";
  qkv.kind = "gemm";
  qkv.shape = "M=640 N=12288 K=4096";
  qkv.count = 32;
  qkv.flops = 64.4e9;
  qkv.bytes = 0.2e9;
  qkv.bound_ms = 0.2064;
  b.stages[1].ops.push_back(qkv);
  b.bound_prefill_ms = 28.292;
  b.bound_decode_step_ms = 6.664;
  b.bound_tokens_per_s = 1658.5;
  b.bound_requests_per_s = 1.143;
  b.bound_images_per_s = 1.143;
  b.usd_per_day = 59.9616;
  b.usd_per_1m_output_tokens = 4.7423;
  b.usd_per_1k_images = 0.607;
  b.overlap_bound_tokens_per_s = 1691.2;
  b.overlap_bound_images_per_s = 1.1656;
  b.overlap_usd_per_1m_output_tokens = 4.103;
  if (measured) {
    auto& prefill = b.stages[1];
    prefill.cold_l2 = false;
    prefill.sequence_ms = 39.1;
    PerfGpuTelemetry telemetry;
    telemetry.name = "NVIDIA A100-SXM4-80GB";
    telemetry.sm_clock_mhz_min = 1275;
    telemetry.power_w_max = 398.5;
    telemetry.throttle_reasons = std::vector<std::string>{"sw_power_cap", "hw_thermal"};
    prefill.telemetry = telemetry;
    prefill.measured_ms = 40.0;
    prefill.achieved_tflops = 209.9;
    prefill.mfu = 0.6728;
    prefill.mbu = 0.2;
    b.stages[2].error = "cuBLASLt: CUBLAS_STATUS_NOT_SUPPORTED <no algorithm>";
    b.measured_prefill_ms = 41.5;
    b.measured_tokens_per_s = 1200.4;
    b.measured_usd_per_1m_output_tokens = 6.5;
  }
  return b;
}

GpuSection section(bool measured) {
  GpuSection s;
  s.gpu = "a100-80gb";
  s.gpu_description = "NVIDIA A100 80GB SXM4";
  s.gpu_source = measured ? "detected" : "named";
  s.gpu_table = "configs/gpus.json";
  s.dtype = "fp16";
  s.peak_tflops = 312;
  s.bandwidth_gb_per_s = 2039;
  s.memory_gb = 80;
  s.memory_fraction = 0.9;
  s.price = GpuPrice{2.4984, "Modal (A100 80GB)", "2026-05-07", "https://example.com/prices"};
  s.measured = measured;
  s.measurement = measured ? "every stage timed with CUDA events"
                           : "measurement needs a GPU: no usable CUDA device <none>";
  if (measured) {
    s.device.emplace();
    s.device->name = "NVIDIA A100-SXM4-80GB";
    s.device->compute_capability = "8.0";
    s.timing.emplace();
    s.timing->warmup_runs = 3;
    s.timing->min_runs = 10;
    s.timing->max_runs = 200;
  }
  for (const auto& name : {std::string("llava-1.5-7b"), kHostileModel}) {
    GpuModelResult m;
    m.model = name;
    m.spec_source = "configs/models/gpu/" + name + ".json";
    m.model_type = "llava";
    m.vision = "clip_vision_model: 24 layers";
    m.projector = "mlp2x_gelu";
    m.language = "llama: 32 layers";
    m.images_per_request = 1;
    m.image_height = m.image_width = 336;
    m.image_tokens = 576;
    m.text_tokens = 64;
    m.prompt_tokens = 640;
    m.output_tokens = 128;
    m.decode_context = 704;
    m.weight_bytes = 14.12e9;
    m.kv_bytes_per_token = 524288;
    m.batches = {batch(1, measured), batch(200, measured)};
    s.models.push_back(std::move(m));
  }
  return s;
}

/// A run of `lmmbench gpu` alone (no cells), or with `scored` a run that also has a scored cell.
LoadedRun gpu_run(const std::filesystem::path& dir, bool measured, bool scored = false) {
  auto run = write_run(dir, "gpu-run",
                       scored ? std::vector<testing::CellSpec>{{"a", "open", binary_scores(4, 3)}}
                              : std::vector<testing::CellSpec>{});
  run.record.gpu = section(measured);
  run.raw["gpu"] = *run.record.gpu;
  return run;
}

TEST(GpuView, GpuOnlyRunShowsTheGpuSectionAndNoEmptyScoreSections) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", false)});
  EXPECT_EQ(count(html, "<section id=\"gpu\"><h2>GPU roofline and measurements</h2>"), 1u);
  EXPECT_TRUE(has(html,
                  "<nav><a href=\"#gpu\">GPU roofline and measurements</a><a "
                  "href=\"#provenance\">Provenance</a></nav>"))
      << html.substr(0, 2000);
  for (const char* absent :
       {"id=\"results\"", "id=\"charts\"", "id=\"categories\"", "id=\"samples\"",
        "id=\"performance\"", "image_height vs", "<th>Manifest sha256</th>"}) {
    EXPECT_FALSE(has(html, absent)) << absent;
  }
  EXPECT_TRUE(has(html,
                  "GPU roofline and measurements: 2 models × 4 batch sizes on 1 × NVIDIA A100 "
                  "80GB SXM4 · roofline bounds only · complete"));
}

TEST(GpuView, BoundOnlyFactsStageRowsAndDashesForNulls) {
  const Section s = gpu_view(section(false));
  EXPECT_TRUE(s.checks.empty());
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].rfind("Roofline bounds only: nothing was measured.", 0), 0u);
  const auto fact = [&](const std::string& key) {
    for (const auto& [k, v] : s.facts) {
      if (k == key) return v;
    }
    return std::string("(none)");
  };
  EXPECT_EQ(fact("GPU (assumed)"), "1 × NVIDIA A100 80GB SXM4 (a100-80gb)");
  EXPECT_EQ(fact("dense tensor peak"), "312 TFLOP/s fp16");
  EXPECT_EQ(fact("price"),
            "$2.4984 per GPU-hour · Modal (A100 80GB) · 2026-05-07 · https://example.com/prices");
  EXPECT_EQ(fact("not measured"), "measurement needs a GPU: no usable CUDA device <none>");
  const auto& stages = table(s, "Stages · llava-1.5-7b · batch 1");
  ASSERT_EQ(stages.rows.size(), 3u);
  EXPECT_EQ(cell(stages, 1, "stage"), "lm.prefill");
  EXPECT_EQ(cell(stages, 1, "work"), "8.4 T");
  EXPECT_EQ(cell(stages, 1, "traffic"), "16.3 G");
  EXPECT_EQ(cell(stages, 1, "bound"), "26.91");
  EXPECT_EQ(cell(stages, 1, "bound by"), "compute");
  for (const char* column : {"measured", "achieved", "MFU", "MBU"})
    EXPECT_EQ(cell(stages, 1, column), "—") << column;
  // How it was measured is shown only for a measured run.
  EXPECT_EQ(stages.columns.size(), 10u);
  const auto& tput = table(s, "Throughput and cost");
  ASSERT_EQ(tput.rows.size(), 4u);                         // 2 models × 2 batches
  EXPECT_EQ(cell(tput, 0, "output tok/s bound"), "1658");  // 1658.5, 4 significant digits
  EXPECT_EQ(cell(tput, 0, "output tok/s measured"), "—");
  EXPECT_EQ(cell(tput, 0, "$/day"), "59.96");
  EXPECT_EQ(cell(tput, 0, "$/1M output tok bound"), "4.742");
  // The overlap bound beside the static one, and the cost floor it gives.
  EXPECT_EQ(cell(tput, 0, "output tok/s overlap bound"), "1691");
  EXPECT_EQ(cell(tput, 0, "images/s overlap bound"), "1.166");
  EXPECT_EQ(cell(tput, 0, "$/1M output tok overlap bound"), "4.103");
  EXPECT_EQ(cell(tput, 1, "fits"), "no (KV fit 143)");
  EXPECT_EQ(tput.rows[1][1].mark, Mark::bad);
  const auto& ops = table(s, "Operations · llava-1.5-7b · batch 1");
  EXPECT_TRUE(ops.detail);
  EXPECT_EQ(cell(ops, 0, "shape"), "M=640 N=12288 K=4096");
}

TEST(GpuView, ModelNamesAndMessagesAreEscaped) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", true)});
  EXPECT_FALSE(has(html, "<script>alert"));
  EXPECT_TRUE(has(html, "&lt;script&gt;alert(&#39;model&#39;)&lt;/script&gt; · batch 1"));
  EXPECT_TRUE(has(html, "CUBLAS_STATUS_NOT_SUPPORTED &lt;no algorithm&gt;"));
  const auto junit = render(Format::junit, {gpu_run(dir.path() / "r", true)});
  EXPECT_FALSE(has(junit, "<script>alert"));
}

TEST(GpuView, MeasuredRunShowsMeasuredColumnsAndFailedStagesAsChecks) {
  const Section s = gpu_view(section(true));
  EXPECT_TRUE(s.notes.size() == 4u) << s.notes.size();  // one failed stage per model × batch
  std::size_t failed = 0;
  for (const auto& c : s.checks)
    failed += c.passed ? 0 : 1;
  EXPECT_EQ(failed, 4u);
  EXPECT_EQ(s.checks[0].name, "llava-1.5-7b · batch 1 · lm.decode: measured");
  EXPECT_EQ(s.checks[0].message, "cuBLASLt: CUBLAS_STATUS_NOT_SUPPORTED <no algorithm>");
  const auto& stages = table(s, "Stages · llava-1.5-7b · batch 1");
  EXPECT_EQ(cell(stages, 1, "measured"), "40");
  EXPECT_EQ(cell(stages, 1, "achieved"), "210 T");
  EXPECT_EQ(cell(stages, 1, "MFU"), "67.28");
  EXPECT_EQ(cell(stages, 2, "measured"),
            "failed: cuBLASLt: CUBLAS_STATUS_NOT_SUPPORTED <no algorithm>");
  // How it was measured: L2 state, the L-layer graph and NVML's clock, power and throttling.
  EXPECT_EQ(cell(stages, 1, "L2"), "warm");
  EXPECT_EQ(cell(stages, 1, "L-layer graph"), "39.1");
  EXPECT_EQ(cell(stages, 1, "SM clock min (MHz)"), "1275");
  EXPECT_EQ(cell(stages, 1, "power max"), "398.5");
  EXPECT_EQ(cell(stages, 1, "throttle reasons"), "sw_power_cap, hw_thermal");
  EXPECT_EQ(cell(stages, 0, "L-layer graph"), "—");
  const auto& tput = table(s, "Throughput and cost");
  EXPECT_EQ(cell(tput, 0, "prefill measured"), "41.5");
  EXPECT_EQ(cell(tput, 0, "output tok/s measured"), "1200");
  EXPECT_EQ(cell(tput, 0, "$/1M output tok measured"), "6.5");
  const auto device = std::find_if(s.facts.begin(), s.facts.end(),
                                   [](const auto& f) { return f.first == "device"; });
  ASSERT_NE(device, s.facts.end());
  EXPECT_EQ(device->second.rfind("NVIDIA A100-SXM4-80GB · compute capability 8.0", 0), 0u);

  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", true)});
  EXPECT_TRUE(has(html, "<div class=\"banner error\"><b>4 checks failed.</b>"));
  EXPECT_TRUE(has(html, "<tr><th>GPU (detected)</th>"));
  EXPECT_EQ(count(html, "aria-label=\"Stage time: bound and measured\""), 4u);
  EXPECT_EQ(
      count(html, "aria-label=\"Output tokens/s per GPU: bound, measured and overlap bound\""), 1u);
}

TEST(GpuView, RunWithScoresAndAGpuSectionRendersBoth) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", false, true)});
  for (const char* present :
       {"<section id=\"results\">", "<section id=\"charts\">", "<section id=\"samples\">",
        "<section id=\"gpu\">", "<a href=\"#results\">Results</a>",
        "<a href=\"#gpu\">GPU roofline and measurements</a>", "<th>Manifest sha256</th>"}) {
    EXPECT_TRUE(has(html, present)) << present;
  }
  EXPECT_TRUE(has(html, "1 models × 1 tasks · 4 of 4 samples answered"));
  // The GPU section is not rendered a second time by the generic fallback.
  EXPECT_FALSE(has(html, "id=\"performance\""));
  EXPECT_FALSE(has(html, "gpu.models"));
  EXPECT_LT(html.find("<section id=\"charts\">"), html.find("<section id=\"gpu\">"));
  EXPECT_LT(html.find("<section id=\"gpu\">"), html.find("<section id=\"samples\">"));
}

// The "done when": report --md/--csv/--junit on a GPU run shows its numbers.
TEST(GpuView, MarkdownCsvAndJunitShowTheNumbers) {
  TempDir dir;
  const auto run = gpu_run(dir.path() / "r", true);
  const auto md = render(Format::markdown, {run});
  EXPECT_FALSE(has(md, "0 models × 0 tasks")) << md;
  EXPECT_TRUE(has(md, "## GPU roofline and measurements\n\n2 models × 4 batch sizes")) << md;
  EXPECT_TRUE(has(md,
                  "| lm.prefill | prefill | 8.4 T | 16.3 G | 26.91 | compute | 40 | 210 T | "
                  "67.28 | 20.00 |"))
      << md;
  EXPECT_TRUE(has(md, "- ✗ llava-1.5-7b · batch 1 · lm.decode: measured: cuBLASLt"));
  const auto csv = render(Format::csv, {run});
  EXPECT_TRUE(has(csv,
                  "gpu-run,,,,Throughput and cost,,output tok/s measured,1200.4,"
                  "items_per_second,"))
      << csv.substr(0, 600);
  const auto junit = render(Format::junit, {run});
  EXPECT_TRUE(has(junit, "<testsuite name=\"lmmbench gpu (gpu-run)\""));
  EXPECT_TRUE(has(junit, "failures=\"4\""));
  EXPECT_TRUE(has(junit, "output tok/s measured 1200;")) << junit;
}

TEST(GpuView, CompareGatesTwoGpuRuns) {
  TempDir dir;
  auto a = gpu_run(dir.path() / "a", true);
  auto b = gpu_run(dir.path() / "b", true);
  for (auto& m : b.record.gpu->models)
    m.batches[0].measured_tokens_per_s = *m.batches[0].measured_tokens_per_s * 0.5;
  b.raw["gpu"] = *b.record.gpu;
  const auto report = make_gate_report(a, b, GatePairing{}, ReportOptions{});
  std::size_t regressions = 0;
  for (const auto& o : report.objectives) {
    if (o.verdict == Verdict::regression) {
      ++regressions;
      EXPECT_NE(o.name.find("output tok/s measured"), std::string::npos) << o.name;
    }
  }
  EXPECT_EQ(regressions, 2u);  // batch 1 of both models
  const auto same =
      make_gate_report(a, gpu_run(dir.path() / "c", true), GatePairing{}, ReportOptions{});
  EXPECT_EQ(summarize(same).regressions, 0u);
  EXPECT_FALSE(same.objectives.empty());
}

}  // namespace
}  // namespace lmmbench::reports
