// The HTML report's GPU section (reports/gpu_html.hpp) on a fixed GPU section: its structure,
// number formats, null-as-dash, the measured-or-bound banner, escaping, and how it sits in the
// whole report (a run of `lmmbench gpu` alone, and a run with scores and a GPU section).
#include <sstream>

#include <gtest/gtest.h>

#include "report_fixture.hpp"
#include "reports/gpu_html.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::reports {
namespace {

using testing::binary_scores;
using testing::count;
using testing::has;
using testing::render_html;
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
  if (measured) {
    auto& prefill = b.stages[1];
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

TEST(GpuHtml, GpuOnlyRunShowsTheGpuSectionAndNoEmptyScoreSections) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", false)});
  EXPECT_EQ(count(html, "<section id=\"gpu\"><h2>GPU throughput and cost</h2>"), 1u);
  EXPECT_TRUE(
      has(html, "<nav><a href=\"#gpu\">GPU</a><a href=\"#provenance\">Provenance</a></nav>"))
      << html.substr(0, 2000);
  for (const char* absent :
       {"id=\"results\"", "id=\"charts\"", "id=\"categories\"", "id=\"samples\"",
        "id=\"performance\"", "image_height vs", "<th>Manifest sha256</th>"}) {
    EXPECT_FALSE(has(html, absent)) << absent;
  }
  EXPECT_TRUE(has(html,
                  "GPU workload: 2 models × batch 1, 200 on 1 × NVIDIA A100 80GB SXM4 · "
                  "roofline bounds · complete"));
}

TEST(GpuHtml, BoundOnlyBannerFactsStageRowsAndDashesForNulls) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", false)});
  EXPECT_TRUE(has(html,
                  "<div class=\"banner warn\"><b>Roofline bounds only: nothing was "
                  "measured.</b> Measurement needs a GPU: no usable CUDA device &lt;none&gt;. "
                  "Every time is the least"));
  EXPECT_FALSE(has(html, "<b>Measured"));
  EXPECT_TRUE(has(html,
                  "<tr><th>GPU (assumed)</th><td>1 × NVIDIA A100 80GB SXM4 (a100-80gb)"
                  "</td></tr>"));
  EXPECT_TRUE(has(html, "<tr><th>dense tensor peak</th><td>312 TFLOP/s fp16</td></tr>"));
  EXPECT_TRUE(has(html, "<tr><th>memory bandwidth</th><td>2,039 GB/s</td></tr>"));
  EXPECT_TRUE(has(html,
                  "<tr><th>price</th><td>$2.4984 per GPU-hour · Modal (A100 80GB) · "
                  "2026-05-07</td></tr>"));
  // One row per stage, model and batch: GFLOP with thousands separators, GB, bound ms, and a
  // dash (never 0) for every measured column.
  EXPECT_EQ(count(html,
                  "<tr><td><b>lm.prefill</b><span class=\"sub\">prefill · 32 decoder "
                  "layers</span></td>"),
            4u);
  EXPECT_TRUE(has(html,
                  "\">8,396.83</td><td class=\"num\" data-v=\"16318000000\">16.318</td>"
                  "<td class=\"num\" data-v=\"26.913\">26.913</td><td>compute</td><td "
                  "class=\"num\" data-v=\"\">—</td><td class=\"num\" data-v=\"\">—</td><td "
                  "class=\"num\" data-v=\"\">—</td><td class=\"num\" data-v=\"\">—</td></tr>"));
  EXPECT_EQ(count(html, "<tr><td><b>lm.decode</b>"), 4u);
  EXPECT_EQ(count(html, "<b>prefill</b>"), 4u);  // the per-batch totals
  // Throughput and cost: one row per model × batch; a batch past the KV fit is flagged.
  EXPECT_TRUE(has(html,
                  "<td class=\"num\" data-v=\"1658.5\">1,658.5</td><td class=\"num\" "
                  "data-v=\"\">—</td>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"59.9616\">$59.96</td>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"4.7423\">$4.742</td>"));
  EXPECT_EQ(count(html, "<span class=\"chip failed\">batch does not fit</span>"), 2u);
  EXPECT_TRUE(has(html, "Batch 200 does not fit: weights and KV cache allow at most 143."));
  // Charts: per batch the stage times; for the whole run tokens/s and $/1M tokens.
  EXPECT_EQ(count(html, "aria-label=\"llava-1.5-7b at batch 1: time per stage (ms)\""), 1u);
  EXPECT_EQ(count(html, "aria-label=\"Output tokens per second per GPU\""), 1u);
  EXPECT_EQ(count(html, "aria-label=\"US dollars per million output tokens\""), 1u);
  EXPECT_TRUE(has(html, "<td class=\"mono\">M=640 N=12288 K=4096</td>"));
}

TEST(GpuHtml, ModelNamesAndMessagesAreEscaped) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", true)});
  EXPECT_FALSE(has(html, "<script>alert"));
  EXPECT_TRUE(has(html, "<b>&lt;script&gt;alert(&#39;model&#39;)&lt;/script&gt;</b>"));
  EXPECT_TRUE(
      has(html, "aria-label=\"&lt;script&gt;alert(&#39;model&#39;)&lt;/script&gt; at batch 1"));
  EXPECT_TRUE(has(html, "CUBLAS_STATUS_NOT_SUPPORTED &lt;no algorithm&gt;"));
}

TEST(GpuHtml, MeasuredRunShowsDeviceMeasuredColumnsAndFailures) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", true)});
  EXPECT_TRUE(has(html,
                  "<div class=\"banner ok\"><b>Measured on NVIDIA A100-SXM4-80GB.</b> Every "
                  "stage timed with CUDA events. Bound columns are the roofline"));
  EXPECT_FALSE(has(html, "Roofline bounds only"));
  EXPECT_TRUE(has(html, "<div class=\"banner error\">4 stage measurements failed;"));
  EXPECT_TRUE(has(html, "<tr><th>GPU (detected)</th>"));
  EXPECT_TRUE(has(html, "<tr><th>device</th><td>NVIDIA A100-SXM4-80GB</td></tr>"));
  EXPECT_TRUE(has(html,
                  "<td class=\"num\" data-v=\"40\">40.000</td><td class=\"num\" "
                  "data-v=\"209.9\">209.9</td><td class=\"num\" data-v=\"0.6728\">67.3\u00a0%"
                  "</td><td class=\"num\" data-v=\"0.2\">20.0\u00a0%</td></tr>"));
  EXPECT_TRUE(has(html, "<span class=\"chip failed\">failed</span>"));
  // The failed stage has a "failed" row in the stage chart, not a bar of length 0.
  EXPECT_TRUE(has(html, "<g><title>measured: failed</title>"));
  // The prefill total and tokens/s carry their measured values; the bound stays beside them.
  EXPECT_TRUE(has(html, ">28.292<span class=\"sub\">41.500</span></td>"));
  EXPECT_TRUE(has(html, "<td class=\"num\" data-v=\"1200.4\">1,200.4</td>"));
  EXPECT_TRUE(has(html, ">$4.742<span class=\"sub\">$6.5</span></td>"));
  EXPECT_TRUE(has(html, "light bars bound, dark bars measured"));
}

TEST(GpuHtml, RunWithScoresAndAGpuSectionRendersBoth) {
  TempDir dir;
  const auto html = render_html({gpu_run(dir.path() / "r", false, true)});
  for (const char* present :
       {"<section id=\"results\">", "<section id=\"charts\">", "<section id=\"samples\">",
        "<section id=\"gpu\">", "<a href=\"#results\">Results</a>", "<a href=\"#gpu\">GPU</a>",
        "<th>Manifest sha256</th>"}) {
    EXPECT_TRUE(has(html, present)) << present;
  }
  EXPECT_TRUE(has(html, "1 models × 1 tasks · 4 of 4 samples answered"));
  // The GPU section is not rendered a second time by the generic fallback.
  EXPECT_FALSE(has(html, "id=\"performance\""));
  EXPECT_FALSE(has(html, "gpu.models"));
  EXPECT_LT(html.find("<section id=\"charts\">"), html.find("<section id=\"gpu\">"));
  EXPECT_LT(html.find("<section id=\"gpu\">"), html.find("<section id=\"samples\">"));
}

TEST(GpuHtml, NothingWithoutSectionsAndAHeadingPerRunWithSeveral) {
  std::ostringstream none;
  render_gpu_html({}, none);
  EXPECT_EQ(none.str(), "");
  const auto a = section(false);
  const auto b = section(true);
  std::ostringstream two;
  render_gpu_html({{"run <a>", &a}, {"run b", &b}}, two);
  EXPECT_EQ(count(two.str(), "<section id=\"gpu\">"), 1u);
  EXPECT_TRUE(has(two.str(), "<h3>run &lt;a&gt;</h3>"));
  EXPECT_TRUE(has(two.str(), "<h3>run b</h3>"));
  EXPECT_EQ(gpu_summary(b), "2 models × batch 1, 200 on 1 × NVIDIA A100 80GB SXM4 · measured");
}

}  // namespace
}  // namespace lmmbench::reports
