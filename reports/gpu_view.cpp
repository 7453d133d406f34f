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

Column text(std::string name) {
  return Column{std::move(name), std::nullopt, Better::neither};
}
Column num(std::string name, Unit unit, Better better = Better::neither) {
  return Column{std::move(name), unit, better};
}
Value of(std::optional<double> v) {
  return Value::of(v);
}
std::optional<double> pct(const std::optional<double>& fraction) {
  return fraction ? std::optional<double>(100 * *fraction) : std::nullopt;
}

std::string batch_label(const GpuModelResult& m, const GpuBatchResult& b) {
  return fmt::format("{} · batch {}", m.model, b.batch);
}

/// Every model × batch: the end-to-end rates and costs, bound beside measured.
Table throughput_table(const GpuSection& s) {
  Table t;
  t.title = "Throughput and cost";
  t.note = fmt::format(
      "Per GPU, each serving one replica with static batches (prefill together, then decode "
      "together); $/day is for all {} GPU{}. Bound: the roofline limit; measured: this run.",
      s.gpu_count, s.gpu_count == 1 ? "" : "s");
  t.columns = {text("model · batch"),
               text("fits"),
               num("prefill bound", Unit::milliseconds, Better::lower),
               num("prefill measured", Unit::milliseconds, Better::lower),
               num("decode step bound", Unit::milliseconds, Better::lower),
               num("decode step measured", Unit::milliseconds, Better::lower),
               num("output tok/s bound", Unit::items_per_second, Better::higher),
               num("output tok/s measured", Unit::items_per_second, Better::higher),
               num("decode tok/s bound", Unit::items_per_second, Better::higher),
               num("decode tok/s measured", Unit::items_per_second, Better::higher),
               num("requests/s bound", Unit::items_per_second, Better::higher),
               num("requests/s measured", Unit::items_per_second, Better::higher),
               num("images/s bound", Unit::items_per_second, Better::higher),
               num("images/s measured", Unit::items_per_second, Better::higher),
               num("$/day", Unit::usd, Better::lower),
               num("$/1M output tok bound", Unit::usd, Better::lower),
               num("$/1M output tok measured", Unit::usd, Better::lower),
               num("$/1k images bound", Unit::usd, Better::lower),
               num("$/1k images measured", Unit::usd, Better::lower)};
  for (const auto& m : s.models) {
    for (const auto& b : m.batches) {
      t.rows.push_back(
          {Value::words(batch_label(m, b)),
           Value::words(b.fits_in_memory ? fmt::format("yes (≤ {})", b.max_batch_kv_fit)
                                         : fmt::format("no (KV fit {})", b.max_batch_kv_fit),
                        b.fits_in_memory ? Mark::none : Mark::bad),
           of(b.bound_prefill_ms), of(b.measured_prefill_ms), of(b.bound_decode_step_ms),
           of(b.measured_decode_step_ms), of(b.bound_tokens_per_s), of(b.measured_tokens_per_s),
           of(b.bound_decode_tokens_per_s), of(b.measured_decode_tokens_per_s),
           of(b.bound_requests_per_s), of(b.measured_requests_per_s), of(b.bound_images_per_s),
           of(b.measured_images_per_s), of(b.usd_per_day), of(b.usd_per_1m_output_tokens),
           of(b.measured_usd_per_1m_output_tokens), of(b.usd_per_1k_images),
           of(b.measured_usd_per_1k_images)});
    }
  }
  t.charts.push_back(
      {Chart::Kind::bars, 0, {6, 7}, "Output tokens/s per GPU: bound and measured", {}});
  return t;
}

Table stage_table(const GpuModelResult& m, const GpuBatchResult& b) {
  Table t;
  t.title = "Stages · " + batch_label(m, b);
  t.note = "One execution of each stage for the whole batch (decode: one step).";
  t.columns = {text("stage"),
               text("phase"),
               num("work", Unit::flops),
               num("traffic", Unit::bytes),
               num("bound", Unit::milliseconds, Better::lower),
               text("bound by"),
               num("measured", Unit::milliseconds, Better::lower),
               num("achieved", Unit::flops_per_second, Better::higher),
               num("MFU", Unit::percent, Better::higher),
               num("MBU", Unit::percent, Better::higher)};
  for (const auto& st : b.stages) {
    Value measured = of(st.measured_ms);
    if (!st.error.empty()) measured = Value::words("failed: " + st.error, Mark::bad);
    t.rows.push_back(
        {Value::words(st.name), Value::words(st.phase), of(st.flops), of(st.bytes), of(st.bound_ms),
         Value::words(st.bound_by), measured,
         of(st.achieved_tflops ? std::optional<double>(*st.achieved_tflops * 1e12) : std::nullopt),
         of(pct(st.mfu)), of(pct(st.mbu))});
  }
  t.charts.push_back({Chart::Kind::bars, 0, {4, 6}, "Stage time: bound and measured", {}});
  return t;
}

Table ops_table(const GpuModelResult& m, const GpuBatchResult& b) {
  Table t;
  t.title = "Operations · " + batch_label(m, b);
  t.note =
      "Each GEMM or attention call of a stage, one call; checked against a host reference "
      "before timing where measured.";
  t.columns = {text("stage · op"),
               text("shape"),
               num("calls", Unit::count),
               num("work", Unit::flops),
               num("traffic", Unit::bytes),
               num("bound", Unit::milliseconds, Better::lower),
               num("measured", Unit::milliseconds, Better::lower),
               num("MFU", Unit::percent, Better::higher),
               num("MBU", Unit::percent, Better::higher),
               num("spread", Unit::percent, Better::lower),
               num("runs", Unit::count),
               num("max error", Unit::ratio, Better::lower)};
  for (const auto& st : b.stages) {
    for (const auto& op : st.ops) {
      t.rows.push_back(
          {Value::words(st.name + " · " + op.name), Value::words(op.shape),
           of(static_cast<double>(op.count)), of(op.flops), of(op.bytes), of(op.bound_ms),
           of(op.measured_ms), of(pct(op.mfu)), of(pct(op.mbu)), of(pct(op.relative_spread)),
           of(op.runs ? std::optional<double>(*op.runs) : std::nullopt), of(op.max_error)});
    }
  }
  t.detail = true;
  return t;
}

Table models_table(const GpuSection& s) {
  Table t;
  t.title = "Models";
  t.note = "The request each model was planned for, and what it holds on the GPU.";
  t.columns = {text("model"),
               text("spec"),
               text("vision"),
               text("projector"),
               text("language"),
               num("images/request", Unit::count),
               text("image size"),
               num("tokens/image", Unit::count),
               num("text tokens", Unit::count),
               num("prompt tokens", Unit::count),
               num("output tokens", Unit::count),
               num("decode context", Unit::count),
               num("weights", Unit::bytes),
               num("KV cache per token", Unit::bytes)};
  for (const auto& m : s.models) {
    t.rows.push_back(
        {Value::words(m.model), Value::words(m.spec_source), Value::words(m.vision),
         Value::words(m.projector), Value::words(m.language),
         of(static_cast<double>(m.images_per_request)),
         Value::words(fmt::format("{}×{}", m.image_width, m.image_height)),
         of(static_cast<double>(m.image_tokens)), of(static_cast<double>(m.text_tokens)),
         of(static_cast<double>(m.prompt_tokens)), of(static_cast<double>(m.output_tokens)),
         of(static_cast<double>(m.decode_context)), of(m.weight_bytes), of(m.kv_bytes_per_token)});
  }
  return t;
}

void add_objective(Section& out, const std::string& name, const std::optional<double>& value,
                   Unit unit, bool higher_is_better) {
  if (!value) return;
  MetricValue v;
  v.name = name;
  v.value = *value;
  v.unit = unit;
  v.higher_is_better = higher_is_better;
  out.objectives.push_back(std::move(v));
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
    const auto& p = *s.price;
    out.facts.emplace_back("price", fmt::format("${:g} per GPU-hour · {}{}{}", p.usd_per_gpu_hour,
                                                p.provider, p.date.empty() ? "" : " · " + p.date,
                                                p.source.empty() ? "" : " · " + p.source));
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
  }
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
      out.tables.push_back(stage_table(m, b));
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
      add_objective(out, label + ": $/1M output tok bound", b.usd_per_1m_output_tokens,
                    Unit::usd, false);
      add_objective(out, label + ": $/1M output tok measured",
                    b.measured_usd_per_1m_output_tokens, Unit::usd, false);
    }
  }
  return out;
}

}  // namespace lmmbench::reports
