#include "reports/gpu_html.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "reports/escape.hpp"
#include "reports/format.hpp"
#include "reports/svg.hpp"

namespace lmmbench::reports {

namespace {

constexpr const char* kMissing = "—";

// The charts' axes are labelled by svg.hpp from a Unit; Unit::items_per_second labels them with
// plain numbers ({:.4g}), which is what a millisecond or tokens-per-second axis needs (the unit is
// in the caption).
constexpr Unit kPlainAxis = Unit::items_per_second;

constexpr std::array<double, 2> kNoInterval = {std::numeric_limits<double>::quiet_NaN(),
                                               std::numeric_limits<double>::quiet_NaN()};

std::string h(std::string_view text) {
  return html_escape(text);
}

std::string ms(double value) {
  return grouped(value, 3);
}

/// Three significant digits, for the charts' narrow value column: "2.22 µs", "26.9 ms", "1.68 s".
std::string short_ms(double value) {
  if (value < 0.1) return fmt::format("{:.3g} µs", value * 1e3);
  if (value < 1000) return fmt::format("{:.3g} ms", value);
  return fmt::format("{:.3g} s", value / 1e3);
}

/// `text` with its first letter capitalised (ASCII only), to follow a heading in a banner.
std::string sentence(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return text;
}

/// "67.3 %" with a no-break space, so a narrow table column does not split it.
std::string percent(double fraction) {
  return fmt::format("{:.1f}\u00a0%", 100.0 * fraction);
}

std::string money(double usd) {
  return usd >= 100 ? "$" + grouped(usd, 0) : fmt::format("${:.4g}", usd);
}

std::string bytes_gib(std::int64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ULL << 30));
}

/// A numeric table cell: sortable by its value, "—" when there is none.
std::string num_cell(const std::optional<double>& value, const std::string& text,
                     const std::string& sub = "") {
  if (!value || !std::isfinite(*value)) return "<td class=\"num\" data-v=\"\">—</td>";
  return fmt::format("<td class=\"num\" data-v=\"{}\">{}{}</td>", *value, h(text),
                     sub.empty() ? "" : "<span class=\"sub\">" + h(sub) + "</span>");
}

template <typename Format>
std::string opt_cell(const std::optional<double>& value, Format format) {
  return num_cell(value, value ? format(*value) : std::string(kMissing));
}

/// The bound number with the measured one beneath it (when there is one).
template <typename Format>
std::string bound_cell(double bound, const std::optional<double>& measured, Format format) {
  return num_cell(bound, format(bound), measured ? format(*measured) : "");
}

void kv(std::ostream& out, std::string_view key, std::string_view value) {
  out << "<tr><th>" << h(key) << "</th><td>" << h(value) << "</td></tr>";
}

bool any_measured(const GpuBatchResult& b) {
  return std::any_of(b.stages.begin(), b.stages.end(),
                     [](const GpuStageResult& s) { return s.measured_ms.has_value(); });
}

std::size_t failed_stages(const GpuSection& s) {
  std::size_t n = 0;
  for (const auto& m : s.models) {
    for (const auto& b : m.batches) {
      n += static_cast<std::size_t>(std::count_if(
          b.stages.begin(), b.stages.end(), [](const auto& st) { return !st.error.empty(); }));
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------

void render_banner(const GpuSection& s, std::ostream& out) {
  if (s.measured) {
    out << "<div class=\"banner ok\"><b>Measured"
        << (s.device ? " on " + h(s.device->name) : std::string()) << ".</b> "
        << h(sentence(s.measurement))
        << ". Bound columns are the roofline limit from datasheet figures.</div>";
  } else {
    out << "<div class=\"banner warn\"><b>Roofline bounds only: nothing was measured.</b> "
        << h(sentence(s.measurement))
        << ". Every time is the least the datasheet allows and every rate the most; measured "
           "columns show —.</div>";
  }
  if (const auto failed = failed_stages(s); failed > 0) {
    out << "<div class=\"banner error\">"
        << h(fmt::format(
               "{} stage measurement{} failed; {} rows show the bound only and the error.", failed,
               failed == 1 ? "" : "s", failed == 1 ? "its" : "their"))
        << "</div>";
  }
}

void render_gpu_facts(const GpuSection& s, std::ostream& out) {
  out << "<table class=\"kv\"><tbody>";
  kv(out, s.gpu_source == "detected" ? "GPU (detected)" : "GPU (assumed)",
     fmt::format("{} × {} ({})", s.gpu_count, s.gpu_description, s.gpu));
  kv(out, "dense tensor peak", fmt::format("{:g} TFLOP/s {}", s.peak_tflops, s.dtype));
  kv(out, "memory bandwidth", grouped(s.bandwidth_gb_per_s, 0) + " GB/s");
  kv(out, "memory",
     fmt::format("{:g} GB; weights + KV cache may use {:g} %", s.memory_gb,
                 100.0 * s.memory_fraction));
  if (s.price) {
    const auto& p = *s.price;
    kv(out, "price",
       fmt::format("${:g} per GPU-hour · {}{}", p.usd_per_gpu_hour, p.provider,
                   p.date.empty() ? "" : " · " + p.date));
    if (!p.source.empty()) kv(out, "price source", p.source);
  } else {
    kv(out, "price", "none given (--price) and none in the GPU table: no costs");
  }
  kv(out, "GPU table", s.gpu_table);
  if (s.device) {
    const auto& d = *s.device;
    kv(out, "device", d.name);
    kv(out, "compute capability · SMs", fmt::format("{} · {}", d.compute_capability, d.sm_count));
    kv(out, "memory · L2",
       bytes_gib(d.memory_bytes) + " · " +
           fmt::format("{:g} MiB", static_cast<double>(d.l2_bytes) / (1 << 20)));
    kv(out, "clocks (SM · memory) · bus",
       fmt::format("{} MHz · {} MHz · {} bit", d.sm_clock_mhz, d.memory_clock_mhz,
                   d.memory_bus_bits));
    kv(out, "driver CUDA · runtime · cuBLASLt",
       fmt::format("{} · {} · {}", d.driver_version, d.cuda_runtime_version, d.cublaslt_version));
  }
  if (s.timing) {
    const auto& t = *s.timing;
    kv(out, "timing",
       fmt::format("{} warm-up runs, {}–{} timed runs until the spread is under {:g} %{}",
                   t.warmup_runs, t.min_runs, t.max_runs, 100.0 * t.max_relative_spread,
                   t.cold_l2 ? ", L2 flushed before every run" : ""));
    kv(out, "cuBLASLt",
       fmt::format("{} candidate algorithms per GEMM, {:.0f} MiB workspace", t.algorithms,
                   static_cast<double>(t.workspace_bytes) / (1 << 20)));
  }
  out << "</tbody></table>";
}

// ---------------------------------------------------------------------------------------------
// Throughput and cost of every model × batch size

void render_cost_table(const GpuSection& s, std::ostream& out) {
  out << "<h3>Throughput and cost</h3><p class=\"lead\">Per GPU, each serving one replica with "
         "static batches (prefill together, then decode together); the day's cost is for all "
      << s.gpu_count << (s.gpu_count == 1 ? " GPU" : " GPUs")
      << ". Click a column to sort.</p><div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
         "<th>Model</th><th class=\"num\">Batch</th><th class=\"num\">KV fit<span class=\"sub\">"
         "largest batch</span></th><th class=\"num\">Prefill<span class=\"sub\">ms, batch"
         "</span></th><th class=\"num\">Decode step<span class=\"sub\">ms, batch</span></th><th "
         "class=\"num\">Tokens/s<span class=\"sub\">bound</span></th><th "
         "class=\"num\">Tokens/s<span class=\"sub\">measured</span></th><th "
         "class=\"num\">Requests/s</th><th class=\"num\">Images/s</th><th class=\"num\">$/day"
         "</th><th class=\"num\">$/1M tokens<span class=\"sub\">output</span></th><th "
         "class=\"num\">$/1k images</th></tr>"
         "</thead><tbody>";
  const auto rate = [](double v) { return grouped(v, 3); };
  const auto tokens = [](double v) { return grouped(v, 1); };
  for (const auto& m : s.models) {
    for (const auto& b : m.batches) {
      out << "<tr><td><b>" << h(m.model) << "</b></td><td class=\"num\" data-v=\"" << b.batch
          << "\">" << b.batch << "</td><td class=\"num\" data-v=\"" << b.max_batch_kv_fit << "\">"
          << b.max_batch_kv_fit;
      if (!b.fits_in_memory) {
        out << "<span class=\"sub\"><span class=\"chip failed\">batch does not fit</span></span>";
      }
      out << "</td>" << bound_cell(b.bound_prefill_ms, b.measured_prefill_ms, ms)
          << bound_cell(b.bound_decode_step_ms, b.measured_decode_step_ms, ms)
          << num_cell(b.bound_tokens_per_s, tokens(b.bound_tokens_per_s))
          << opt_cell(b.measured_tokens_per_s, tokens)
          << bound_cell(b.bound_requests_per_s, b.measured_requests_per_s, rate)
          << bound_cell(b.bound_images_per_s, b.measured_images_per_s, rate)
          << opt_cell(b.usd_per_day, money);
      if (b.usd_per_1m_output_tokens) {
        out << num_cell(
            *b.usd_per_1m_output_tokens, money(*b.usd_per_1m_output_tokens),
            b.measured_usd_per_1m_output_tokens ? money(*b.measured_usd_per_1m_output_tokens) : "");
      } else {
        out << opt_cell(std::nullopt, money);
      }
      if (b.usd_per_1k_images) {
        out << num_cell(*b.usd_per_1k_images, money(*b.usd_per_1k_images),
                        b.measured_usd_per_1k_images ? money(*b.measured_usd_per_1k_images) : "");
      } else {
        out << opt_cell(std::nullopt, money);
      }
      out << "</tr>";
    }
  }
  out << "</tbody></table></div><p class=\"legend\">Times, rates and costs are at the roofline "
         "bound (the best the datasheet allows)"
      << (s.measured ? "; the grey number beneath is the measured one" : "")
      << ". Tokens are output tokens, prefill time included; $/day is for all the GPUs. KV fit: "
         "the largest batch whose weights and KV cache fit in the memory share.</p>";
  const std::string bars = s.measured ? "light bars bound, dark bars measured" : "roofline bound";

  // Charts: output tokens/s and $ per 1M output tokens of every model × batch size.
  std::vector<Bar> speed;
  std::vector<Bar> cost;
  double speed_top = 0;
  double cost_top = 0;
  for (const auto& m : s.models) {
    for (const auto& b : m.batches) {
      const std::string label = fmt::format("{} · batch {}", m.model, b.batch);
      speed.push_back(
          Bar{label, b.bound_tokens_per_s, kNoInterval, tokens(b.bound_tokens_per_s), ""});
      speed_top = std::max(speed_top, b.bound_tokens_per_s);
      if (b.measured_tokens_per_s) {
        speed.push_back(Bar{"measured", *b.measured_tokens_per_s, kNoInterval,
                            tokens(*b.measured_tokens_per_s), "baseline"});
        speed_top = std::max(speed_top, *b.measured_tokens_per_s);
      }
      if (b.usd_per_1m_output_tokens) {
        cost.push_back(Bar{label, *b.usd_per_1m_output_tokens, kNoInterval,
                           money(*b.usd_per_1m_output_tokens), ""});
        cost_top = std::max(cost_top, *b.usd_per_1m_output_tokens);
      }
      if (b.measured_usd_per_1m_output_tokens) {
        cost.push_back(Bar{"measured", *b.measured_usd_per_1m_output_tokens, kNoInterval,
                           money(*b.measured_usd_per_1m_output_tokens), "baseline"});
        cost_top = std::max(cost_top, *b.measured_usd_per_1m_output_tokens);
      }
    }
  }
  out << "<div class=\"charts\"><figure><figcaption>Output tokens per second per GPU<span "
         "class=\"sub\">higher is better; "
      << bars << "</span></figcaption>"
      << svg_bar_chart(speed, nice_axis_max(speed_top, kPlainAxis), kPlainAxis,
                       "Output tokens per second per GPU")
      << "</figure>";
  if (!cost.empty()) {
    out << "<figure><figcaption>$ per 1M output tokens<span class=\"sub\">lower is better; " << bars
        << "</span></figcaption>"
        << svg_bar_chart(cost, nice_axis_max(cost_top, Unit::usd), Unit::usd,
                         "US dollars per million output tokens")
        << "</figure>";
  }
  out << "</div>";
}

// ---------------------------------------------------------------------------------------------
// One model: its shapes, and per batch size the stages

void render_stage_table(const GpuBatchResult& b, std::ostream& out) {
  out << "<div class=\"scroll\"><table><thead><tr><th>Stage</th><th "
         "class=\"num\">GFLOP</th><th class=\"num\">GB</th><th class=\"num\">Bound ms</th><th>"
         "Bound by</th><th class=\"num\">Measured ms</th><th class=\"num\">TFLOP/s</th><th "
         "class=\"num\">MFU</th><th class=\"num\">MBU</th></tr></thead><tbody>";
  for (const auto& st : b.stages) {
    out << "<tr><td><b>" << h(st.name) << "</b><span class=\"sub\">" << h(st.phase)
        << (st.description.empty() ? "" : " · " + h(st.description)) << "</span></td>"
        << num_cell(st.flops, grouped(st.flops / 1e9, 2))
        << num_cell(st.bytes, grouped(st.bytes / 1e9, 3)) << num_cell(st.bound_ms, ms(st.bound_ms))
        << "<td>" << h(st.bound_by) << "</td>";
    if (!st.error.empty()) {
      out << "<td class=\"num\" data-v=\"\"><span class=\"chip failed\">failed</span><span "
             "class=\"sub why\">"
          << h(st.error) << "</span></td>";
    } else {
      out << opt_cell(st.measured_ms, ms);
    }
    out << opt_cell(st.achieved_tflops, [](double v) { return grouped(v, 1); })
        << opt_cell(st.mfu, percent) << opt_cell(st.mbu, percent) << "</tr>";
  }
  const auto total_row = [&](const char* name, const char* what, double bound,
                             const std::optional<double>& measured) {
    out << "<tr><td><b>" << name << "</b><span class=\"sub\">" << what << "</span></td><td></td>"
        << "<td></td>" << num_cell(bound, ms(bound)) << "<td></td>" << opt_cell(measured, ms)
        << "<td></td><td></td><td></td></tr>";
  };
  total_row("prefill", "every prefill stage once, for the whole batch", b.bound_prefill_ms,
            b.measured_prefill_ms);
  total_row("decode step", "one step of every sequence of the batch", b.bound_decode_step_ms,
            b.measured_decode_step_ms);
  out << "</tbody></table></div>";
}

void render_stage_chart(const GpuBatchResult& b, const std::string& model, std::ostream& out) {
  std::vector<Bar> bars;
  double top = 0;
  for (const auto& st : b.stages) {
    bars.push_back(Bar{st.name, st.bound_ms, kNoInterval, short_ms(st.bound_ms), ""});
    top = std::max(top, st.bound_ms);
    if (!st.error.empty()) {
      bars.push_back(Bar{"measured", std::nan(""), kNoInterval, "failed", ""});
    }
    if (st.measured_ms) {
      bars.push_back(
          Bar{"measured", *st.measured_ms, kNoInterval,
              fmt::format("{} · {:.2f}×", short_ms(*st.measured_ms),
                          st.bound_ms > 0 ? *st.measured_ms / st.bound_ms : std::nan("")),
              "baseline"});
      top = std::max(top, *st.measured_ms);
    }
  }
  out << "<figure><figcaption>Stage time<span class=\"sub\">ms, one execution for the whole batch"
      << (any_measured(b) ? "; light bars bound, dark bars measured (× the bound)"
                          : "; roofline bound")
      << "</span></figcaption>"
      << svg_bar_chart(bars, nice_axis_max(top, kPlainAxis), kPlainAxis,
                       fmt::format("{} at batch {}: time per stage (ms)", model, b.batch))
      << "</figure>";
}

void render_ops(const GpuBatchResult& b, std::ostream& out) {
  std::size_t n = 0;
  for (const auto& st : b.stages)
    n += st.ops.size();
  if (n == 0) return;
  const auto per_call_ms = [](double v) { return grouped(v, 4); };
  out << "<details><summary>" << n
      << " GEMM and attention calls of this batch</summary><div class=\"scroll\"><table "
         "class=\"sortable\"><thead><tr><th>Call<span class=\"sub\">stage · kind × calls per "
         "stage</span></th><th>Shape</th><th class=\"num\">GFLOP<span class=\"sub\">per call"
         "</span></th><th class=\"num\">MB<span class=\"sub\">per call</span></th><th "
         "class=\"num\">Bound ms<span class=\"sub\">per call</span></th><th "
         "class=\"num\">Measured ms<span class=\"sub\">per call</span></th><th "
         "class=\"num\">TFLOP/s</th><th class=\"num\">MFU</th><th class=\"num\">MBU</th><th "
         "class=\"num\">Spread<span class=\"sub\">timing runs</span></th><th "
         "class=\"num\">Check error<span class=\"sub\">tolerance</span></th></tr></thead><tbody>";
  for (const auto& st : b.stages) {
    for (const auto& op : st.ops) {
      std::string runs;
      if (op.runs) runs = fmt::format("{} runs", *op.runs);
      if (op.converged && !*op.converged)
        runs += runs.empty() ? "not converged" : ", not converged";
      out << "<tr><td><b>" << h(op.name) << "</b><span class=\"sub\">"
          << h(fmt::format("{} · {} × {}", st.name, op.kind, op.count))
          << "</span></td><td class=\"mono\">" << h(op.shape) << "</td>"
          << num_cell(op.flops, grouped(op.flops / 1e9, 3))
          << num_cell(op.bytes, grouped(op.bytes / 1e6, 2))
          << num_cell(op.bound_ms, per_call_ms(op.bound_ms))
          << opt_cell(op.measured_ms, per_call_ms)
          << opt_cell(op.achieved_tflops, [](double v) { return grouped(v, 1); })
          << opt_cell(op.mfu, percent) << opt_cell(op.mbu, percent)
          << num_cell(op.relative_spread,
                      op.relative_spread ? percent(*op.relative_spread) : std::string(), runs)
          << num_cell(op.max_error, op.max_error ? fmt::format("{:.1e}", *op.max_error) : "",
                      op.tolerance ? fmt::format("{:.1e}", *op.tolerance) : "")
          << "</tr>";
    }
  }
  out << "</tbody></table></div></details>";
}

void render_model(const GpuModelResult& m, std::ostream& out) {
  out << "<div class=\"category-block\"><h3>" << h(m.model) << "<span class=\"sub\">"
      << h(m.model_type) << " · " << h(m.spec_source) << "</span></h3>";
  out << "<table class=\"kv\"><tbody>";
  kv(out, "vision tower", m.vision);
  kv(out, "projector", m.projector);
  kv(out, "language model", m.language);
  kv(out, "request",
     fmt::format("{} image{} of {}×{} px → {} tokens each; {} text + {} image = {} prompt tokens; "
                 "{} output tokens (decode stage at context {})",
                 m.images_per_request, m.images_per_request == 1 ? "" : "s", m.image_width,
                 m.image_height, m.image_tokens, m.text_tokens, m.prompt_tokens - m.text_tokens,
                 m.prompt_tokens, m.output_tokens, m.decode_context));
  kv(out, "weights · KV cache",
     fmt::format("{:.2f} GB · {:.3f} MB per token of each sequence", m.weight_bytes / 1e9,
                 m.kv_bytes_per_token / 1e6));
  out << "</tbody></table>";
  for (const auto& b : m.batches) {
    out << "<h3>" << h(m.model) << " · batch " << b.batch << "<span class=\"sub\">"
        << h(fmt::format("prefill {} ms · decode step {} ms · {} output tokens/s{}",
                         ms(b.measured_prefill_ms.value_or(b.bound_prefill_ms)),
                         ms(b.measured_decode_step_ms.value_or(b.bound_decode_step_ms)),
                         grouped(b.measured_tokens_per_s.value_or(b.bound_tokens_per_s), 1),
                         b.measured_tokens_per_s ? " measured" : " (bound)"))
        << "</span></h3>";
    if (!b.fits_in_memory) {
      out << "<div class=\"banner warn\">"
          << h(fmt::format("Batch {} does not fit: weights and KV cache allow at most {}.", b.batch,
                           b.max_batch_kv_fit))
          << "</div>";
    }
    render_stage_table(b, out);
    render_stage_chart(b, m.model, out);
    render_ops(b, out);
  }
  out << "</div>";
}

}  // namespace

void render_gpu_html(const std::vector<LabelledGpuSection>& sections, std::ostream& out) {
  if (sections.empty()) return;
  out << "<section id=\"gpu\"><h2>GPU throughput and cost</h2><p class=\"lead\">Each model's "
         "workload built from its shapes (no weights loaded): the FLOPs and minimum bytes of every "
         "stage, the roofline bound max(FLOPs / peak, bytes / bandwidth) from the GPU's datasheet, "
         "and, where a GPU ran the same shapes, the measured time next to it. MFU and MBU are "
         "fractions of the dense tensor peak and of the memory bandwidth.</p>";
  for (const auto& [label, section] : sections) {
    if (section == nullptr) continue;
    if (sections.size() > 1) out << "<h3>" << h(label) << "</h3>";
    render_banner(*section, out);
    render_gpu_facts(*section, out);
    render_cost_table(*section, out);
    for (const auto& m : section->models)
      render_model(m, out);
  }
  out << "</section>\n";
}

std::string gpu_summary(const GpuSection& s) {
  std::vector<std::int64_t> batches;
  for (const auto& m : s.models) {
    for (const auto& b : m.batches) {
      if (std::find(batches.begin(), batches.end(), b.batch) == batches.end())
        batches.push_back(b.batch);
    }
  }
  return fmt::format("{} model{} × batch {} on {} × {} · {}", s.models.size(),
                     s.models.size() == 1 ? "" : "s", fmt::join(batches, ", "), s.gpu_count,
                     s.gpu_description.empty() ? s.gpu : s.gpu_description,
                     s.measured ? "measured" : "roofline bounds");
}

}  // namespace lmmbench::reports
