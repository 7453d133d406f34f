// The GPU roofline and measurements section as a self-describing Section (reports/views.hpp).
// docs/gpu.md defines every figure: "bound" numbers are datasheet limits, "measured" ones median
// CUDA-event times of this run (absent when nothing ran).

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

using Row = std::vector<Value>;

std::string batch_label(const GpuModelResult& m, const GpuBatchResult& b) {
  return fmt::format("{} · batch {}", m.model, b.batch);
}

/// Every model × batch: the end-to-end rates and costs, bound beside measured.
Table throughput_table(const GpuSection& s) {
  Table t;
  t.title = "Throughput and cost";
  t.note = fmt::format(
      "Per GPU, each serving one replica; $/day is for all {} GPU{}. Bound: the roofline limit "
      "with static batches (prefill together, then decode together, no overlap); overlap bound: "
      "the request batch's total FLOPs at the peak or total bytes at the bandwidth, whichever is "
      "longer, which a continuous-batching server mixing prefill and decode can approach but not "
      "beat; measured: this run.",
      s.gpu_count, s.gpu_count == 1 ? "" : "s");
  t.columns = {text_column("model · batch"),
               text_column("fits"),
               number_column("prefill bound", Unit::milliseconds, Better::lower),
               number_column("prefill measured", Unit::milliseconds, Better::lower),
               number_column("decode step bound", Unit::milliseconds, Better::lower),
               number_column("decode step measured", Unit::milliseconds, Better::lower),
               number_column("output tok/s bound", Unit::items_per_second, Better::higher),
               number_column("output tok/s measured", Unit::items_per_second, Better::higher),
               number_column("output tok/s overlap bound", Unit::items_per_second, Better::higher),
               number_column("decode tok/s bound", Unit::items_per_second, Better::higher),
               number_column("decode tok/s measured", Unit::items_per_second, Better::higher),
               number_column("requests/s bound", Unit::items_per_second, Better::higher),
               number_column("requests/s measured", Unit::items_per_second, Better::higher),
               number_column("images/s bound", Unit::items_per_second, Better::higher),
               number_column("images/s measured", Unit::items_per_second, Better::higher),
               number_column("images/s overlap bound", Unit::items_per_second, Better::higher),
               number_column("$/day", Unit::usd, Better::lower),
               number_column("$/1M output tok bound", Unit::usd, Better::lower),
               number_column("$/1M output tok measured", Unit::usd, Better::lower),
               number_column("$/1M output tok overlap bound", Unit::usd, Better::lower),
               number_column("$/1k images bound", Unit::usd, Better::lower),
               number_column("$/1k images measured", Unit::usd, Better::lower)};
  for (const auto& m : s.models) {
    for (const auto& b : m.batches) {
      t.rows.push_back(
          {Value::words(batch_label(m, b)),
           Value::words(b.fits_in_memory ? fmt::format("yes (≤ {})", b.max_batch_kv_fit)
                                         : fmt::format("no (KV fit {})", b.max_batch_kv_fit),
                        b.fits_in_memory ? Mark::none : Mark::bad),
           Value::of(b.bound_prefill_ms),
           Value::of(b.measured_prefill_ms),
           Value::of(b.bound_decode_step_ms),
           Value::of(b.measured_decode_step_ms),
           Value::of(b.bound_tokens_per_s),
           Value::of(b.measured_tokens_per_s),
           Value::of(b.overlap_bound_tokens_per_s),
           Value::of(b.bound_decode_tokens_per_s),
           Value::of(b.measured_decode_tokens_per_s),
           Value::of(b.bound_requests_per_s),
           Value::of(b.measured_requests_per_s),
           Value::of(b.bound_images_per_s),
           Value::of(b.measured_images_per_s),
           Value::of(b.overlap_bound_images_per_s),
           Value::of(b.usd_per_day),
           Value::of(b.usd_per_1m_output_tokens),
           Value::of(b.measured_usd_per_1m_output_tokens),
           Value::of(b.overlap_usd_per_1m_output_tokens),
           Value::of(b.usd_per_1k_images),
           Value::of(b.measured_usd_per_1k_images)});
    }
  }
  t.charts.push_back(chart_of(Chart::Kind::bars, 0, {6, 7, 8},
                              "Output tokens/s per GPU: bound, measured and overlap bound"));
  return t;
}

/// `measured`: the section ran on a device; only then has the table the columns of how (L2, the
/// L-layer graph, NVML telemetry).
Table stage_table(const GpuModelResult& m, const GpuBatchResult& b, bool measured_run) {
  Table t;
  t.title = "Stages · " + batch_label(m, b);
  t.note = "One execution of each stage for the whole batch (decode: one step).";
  if (measured_run) {
    t.note +=
        " Measured: the sum of its ops' median times; L-layer graph: the whole stage as one CUDA "
        "graph, each layer with its own weights (decode stages); SM clock (MHz) and board power "
        "(W) from NVML while the stage was measured.";
  }
  t.columns = {text_column("stage"),
               text_column("phase"),
               number_column("work", Unit::flops),
               number_column("traffic", Unit::bytes),
               number_column("bound", Unit::milliseconds, Better::lower),
               text_column("bound by"),
               number_column("measured", Unit::milliseconds, Better::lower),
               number_column("achieved", Unit::flops_per_second, Better::higher),
               number_column("MFU", Unit::percent, Better::higher),
               number_column("MBU", Unit::percent, Better::higher)};
  if (measured_run) {
    for (auto c :
         {text_column("L2"), number_column("L-layer graph", Unit::milliseconds, Better::lower),
          number_column("SM clock min (MHz)", Unit::count), number_column("power max", Unit::watts),
          text_column("throttle reasons")})
      t.columns.push_back(std::move(c));
  }
  for (const auto& st : b.stages) {
    Value measured = Value::of(st.measured_ms);
    if (!st.error.empty()) measured = Value::words("failed: " + st.error, Mark::bad);
    const auto* tm = st.telemetry ? &*st.telemetry : nullptr;
    std::string reasons;
    if (tm != nullptr && tm->throttle_reasons) {
      for (const auto& r : *tm->throttle_reasons)
        reasons += (reasons.empty() ? "" : ", ") + r;
      if (reasons.empty()) reasons = "none";
    }
    Row row{Value::words(st.name),
            Value::words(st.phase),
            Value::of(st.flops),
            Value::of(st.bytes),
            Value::of(st.bound_ms),
            Value::words(st.bound_by),
            measured,
            Value::of(st.achieved_tflops ? std::optional<double>(*st.achieved_tflops * 1e12)
                                         : std::nullopt),
            Value::of(pct(st.mfu)),
            Value::of(pct(st.mbu))};
    if (measured_run) {
      for (auto v :
           {Value::words(st.cold_l2 ? (*st.cold_l2 ? "cold" : "warm") : ""),
            Value::of(st.sequence_ms),
            Value::of(tm != nullptr ? tm->sm_clock_mhz_min : std::nullopt),
            Value::of(tm != nullptr ? tm->power_w_max : std::nullopt), Value::words(reasons)})
        row.push_back(std::move(v));
    }
    t.rows.push_back(std::move(row));
  }
  t.charts.push_back(chart_of(Chart::Kind::bars, 0, {4, 6}, "Stage time: bound and measured"));
  return t;
}

Table ops_table(const GpuModelResult& m, const GpuBatchResult& b) {
  Table t;
  t.title = "Operations · " + batch_label(m, b);
  t.note =
      "Each GEMM or attention call of a stage, one call; checked against a host reference "
      "before timing where measured.";
  t.columns = {text_column("stage · op"),
               text_column("shape"),
               number_column("calls", Unit::count),
               number_column("work", Unit::flops),
               number_column("traffic", Unit::bytes),
               number_column("bound", Unit::milliseconds, Better::lower),
               number_column("measured", Unit::milliseconds, Better::lower),
               number_column("MFU", Unit::percent, Better::higher),
               number_column("MBU", Unit::percent, Better::higher),
               number_column("spread", Unit::percent, Better::lower),
               number_column("runs", Unit::count),
               number_column("max error", Unit::ratio, Better::lower)};
  for (const auto& st : b.stages) {
    for (const auto& op : st.ops) {
      t.rows.push_back({Value::words(st.name + " · " + op.name), Value::words(op.shape),
                        Value::of(static_cast<double>(op.count)), Value::of(op.flops),
                        Value::of(op.bytes), Value::of(op.bound_ms), Value::of(op.measured_ms),
                        Value::of(pct(op.mfu)), Value::of(pct(op.mbu)),
                        Value::of(pct(op.relative_spread)),
                        Value::of(op.runs ? std::optional<double>(*op.runs) : std::nullopt),
                        Value::of(op.max_error)});
    }
  }
  t.detail = true;
  return t;
}

Table models_table(const GpuSection& s) {
  Table t;
  t.title = "Models";
  t.note = "The request each model was planned for, and what it holds on the GPU.";
  t.columns = {text_column("model"),
               text_column("spec"),
               text_column("vision"),
               text_column("projector"),
               text_column("language"),
               number_column("images/request", Unit::count),
               text_column("image size"),
               number_column("tokens/image", Unit::count),
               number_column("text tokens", Unit::count),
               number_column("prompt tokens", Unit::count),
               number_column("output tokens", Unit::count),
               number_column("decode context", Unit::count),
               number_column("weights", Unit::bytes),
               number_column("KV cache per token", Unit::bytes)};
  for (const auto& m : s.models) {
    t.rows.push_back({Value::words(m.model), Value::words(m.spec_source), Value::words(m.vision),
                      Value::words(m.projector), Value::words(m.language),
                      Value::of(static_cast<double>(m.images_per_request)),
                      Value::words(fmt::format("{}×{}", m.image_width, m.image_height)),
                      Value::of(static_cast<double>(m.image_tokens)),
                      Value::of(static_cast<double>(m.text_tokens)),
                      Value::of(static_cast<double>(m.prompt_tokens)),
                      Value::of(static_cast<double>(m.output_tokens)),
                      Value::of(static_cast<double>(m.decode_context)), Value::of(m.weight_bytes),
                      Value::of(m.kv_bytes_per_token)});
  }
  return t;
}

}  // namespace

Section gpu_view(const GpuSection& s) {
  Section out;
  out.key = "gpu";
  out.title = "GPU roofline and measurements";
  std::size_t batches = 0;
  for (const auto& m : s.models)
    batches += m.batches.size();
  out.summary = fmt::format("{} model{} × {} batch size{} on {} × {} · {}", s.models.size(),
                            s.models.size() == 1 ? "" : "s", batches, batches == 1 ? "" : "s",
                            s.gpu_count, s.gpu_description.empty() ? s.gpu : s.gpu_description,
                            s.measured ? "measured" : "roofline bounds only");
  out.facts = {{s.gpu_source == "detected" ? "GPU (detected)" : "GPU (assumed)",
                fmt::format("{} × {} ({})", s.gpu_count, s.gpu_description, s.gpu)},
               {"dense tensor peak", fmt::format("{:g} TFLOP/s {}", s.peak_tflops, s.dtype)},
               {"memory bandwidth", fmt::format("{:g} GB/s", s.bandwidth_gb_per_s)},
               {"memory", fmt::format("{:g} GB; weights + KV cache may use {:g} %", s.memory_gb,
                                      100.0 * s.memory_fraction)},
               {"GPU table", s.gpu_table}};
  if (s.price) {
    out.facts.emplace_back("price", price_text(*s.price));
  } else {
    out.facts.emplace_back("price", "none given (--price) and none in the GPU table: no costs");
  }
  out.facts.emplace_back(s.measured ? "measured" : "not measured", s.measurement);
  if (s.device) {
    const auto& d = *s.device;
    out.facts.emplace_back(
        "device",
        fmt::format("{} · compute capability {} · {} SMs · {:.1f} GiB · L2 {:g} MiB · {} MHz SM / "
                    "{} MHz memory, {} bit",
                    d.name, d.compute_capability, d.sm_count,
                    static_cast<double>(d.memory_bytes) / (1ULL << 30),
                    static_cast<double>(d.l2_bytes) / (1 << 20), d.sm_clock_mhz, d.memory_clock_mhz,
                    d.memory_bus_bits));
    out.facts.emplace_back(
        "driver CUDA · runtime · cuBLASLt",
        fmt::format("{} · {} · {}", d.driver_version, d.cuda_runtime_version, d.cublaslt_version));
  }
  if (s.timing) {
    const auto& t = *s.timing;
    out.facts.emplace_back(
        "timing", fmt::format("{} warm-up runs, {}–{} timed runs until the spread is under {:g} "
                              "%{} · {} cuBLASLt candidates per GEMM, {:.0f} MiB workspace",
                              t.warmup_runs, t.min_runs, t.max_runs, 100.0 * t.max_relative_spread,
                              t.cold_l2 ? ", L2 flushed before every run" : "", t.algorithms,
                              static_cast<double>(t.workspace_bytes) / (1 << 20)));
    if (!t.l2.empty()) {
      out.facts.emplace_back("L2 before each timed run",
                             t.l2 == "cold-decode" ? "flushed for the decode stages, warm otherwise"
                                                   : (t.l2 == "cold" ? "flushed" : "warm"));
    }
    if (t.reduced_precision_reduction) {
      out.facts.emplace_back("split-K reduction", *t.reduced_precision_reduction
                                                      ? "FP32 or the output type (any scheme)"
                                                      : "FP32 only (NONE | COMPUTE_TYPE)");
    }
  }
  if (!s.telemetry_note.empty()) out.facts.emplace_back("NVML telemetry", s.telemetry_note);
  if (!s.measured) {
    out.notes.push_back(
        "Roofline bounds only: nothing was measured. Every time is the least the "
        "datasheet allows and every rate the most.");
  }

  out.tables.push_back(models_table(s));
  out.tables.push_back(throughput_table(s));
  for (const auto& m : s.models) {
    for (const auto& b : m.batches) {
      const std::string label = batch_label(m, b);
      out.tables.push_back(stage_table(m, b, s.measured));
      if (auto t = ops_table(m, b); !t.rows.empty()) out.tables.push_back(std::move(t));
      for (const auto& st : b.stages) {
        if (st.error.empty()) continue;
        out.checks.push_back({label + " · " + st.name + ": measured", false, st.error});
        out.notes.push_back(label + " · " + st.name + ": measurement failed: " + st.error);
      }
      if (s.measured) {
        const bool stages_ok = std::all_of(b.stages.begin(), b.stages.end(),
                                           [](const auto& st) { return st.error.empty(); });
        if (stages_ok) out.checks.push_back({label + ": measured", true, ""});
      }
      add_objective(out, label + ": output tok/s bound", b.bound_tokens_per_s,
                    Unit::items_per_second, true);
      add_objective(out, label + ": output tok/s measured", b.measured_tokens_per_s,
                    Unit::items_per_second, true);
      add_objective(out, label + ": prefill measured",
                    b.measured_prefill_ms ? std::optional<double>(*b.measured_prefill_ms / 1e3)
                                          : std::nullopt,
                    Unit::seconds, false);
      add_objective(out, label + ": decode step measured",
                    b.measured_decode_step_ms
                        ? std::optional<double>(*b.measured_decode_step_ms / 1e3)
                        : std::nullopt,
                    Unit::seconds, false);
      add_objective(out, label + ": $/1M output tok bound", b.usd_per_1m_output_tokens, Unit::usd,
                    false);
      add_objective(out, label + ": $/1M output tok measured", b.measured_usd_per_1m_output_tokens,
                    Unit::usd, false);
    }
  }
  return out;
}

}  // namespace lmmbench::reports
