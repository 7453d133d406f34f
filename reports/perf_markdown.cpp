#include "reports/perf_markdown.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace lmmbench::reports {

namespace {

std::string num(const std::optional<double>& v, const char* spec = "{:.2f}") {
  return v ? fmt::format(fmt::runtime(spec), *v) : "—";
}

std::string money(const std::optional<double>& v) {
  if (!v) return "—";
  return *v >= 1 ? fmt::format("${:.2f}", *v) : fmt::format("${:.4g}", *v);
}

/// Table cells are pipes-separated: a label value holding '|' must not split its cell.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

void render_token_cost(const PerfSection& s, std::ostream& out) {
  const auto priced = std::find_if(s.levels.begin(), s.levels.end(),
                                   [](const PerfLevel& L) { return L.token_cost.has_value(); });
  if (priced == s.levels.end()) return;
  const auto& p = *priced->token_cost;
  out << fmt::format(
      "\nAPI token prices: {} at ${:g} per 1M input and ${:g} per 1M output tokens (table of {}); "
      "the level's measured tokens at these rates:\n\n",
      p.price_model, p.usd_per_1m_input_tokens, p.usd_per_1m_output_tokens_rate, p.prices_as_of);
  out << "| level | input tok | output tok | $ | $/1M output tok | $/1k images | $/1k requests | "
         "$/1k good requests | $/day at this load |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& L : s.levels) {
    if (!L.token_cost) continue;
    const auto& c = *L.token_cost;
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", perf_level_label(L),
                       L.prompt_tokens, L.output_tokens, money(c.usd),
                       money(c.usd_per_1m_output_tokens), money(c.usd_per_1k_images),
                       money(c.usd_per_1k_requests), money(c.usd_per_1k_good_requests),
                       money(c.usd_per_day));
  }
  for (const auto& L : s.levels) {
    if (L.token_cost && !L.token_cost->note.empty())
      out << fmt::format("\nNote ({}): {}.\n", perf_level_label(L), L.token_cost->note);
  }
}

std::string value_text(const std::optional<double>& v) {
  return v ? fmt::format("{:.6g}", *v) : "—";
}

void render_server_metrics(const PerfSection& s, std::ostream& out) {
  for (const auto& L : s.levels) {
    if (!L.server_metrics) continue;
    const auto& m = *L.server_metrics;
    out << fmt::format("\n### Server metrics, {} ({})\n\n", perf_level_label(L), m.url);
    for (const auto& note : m.notes)
      out << "- note: " << note << '\n';
    if (!m.scraped) continue;
    if (!m.notes.empty()) out << '\n';
    out << "| series | kind | value |\n|---|---|---:|\n";
    for (const auto& hist : m.histograms) {
      out << fmt::format("| {} | histogram: count, mean | {} · {} |\n",
                         cell(perf_series_label(hist.name, hist.labels)), value_text(hist.count),
                         value_text(hist.mean));
    }
    for (const auto& c : m.counters) {
      out << fmt::format("| {} | counter: increase | {} |\n",
                         cell(perf_series_label(c.name, c.labels)), value_text(c.value));
    }
    for (const auto& g : m.gauges) {
      out << fmt::format("| {} | gauge: after | {} |\n", cell(perf_series_label(g.name, g.labels)),
                         value_text(g.value));
    }
  }
}

void render_gpu_telemetry(const PerfSection& s, std::ostream& out) {
  if (std::none_of(s.levels.begin(), s.levels.end(),
                   [](const PerfLevel& L) { return L.gpu_telemetry.has_value(); })) {
    return;
  }
  out << "\n### GPU telemetry (NVML)\n\n";
  bool table = false;
  for (const auto& L : s.levels) {
    if (!L.gpu_telemetry) continue;
    const auto& t = *L.gpu_telemetry;
    if (!t.note.empty()) out << fmt::format("- {}: {}\n", perf_level_label(L), t.note);
    table = table || !t.gpus.empty();
  }
  if (!table) return;
  out << "\n| level | GPU | samples | power W mean | power W max | energy J | SM MHz | mem MHz | "
         "mem used GiB max | util % |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& L : s.levels) {
    if (!L.gpu_telemetry) continue;
    for (const auto& g : L.gpu_telemetry->gpus) {
      const std::optional<double> gib =
          g.memory_used_bytes_max ? std::optional<double>(*g.memory_used_bytes_max / (1 << 30))
                                  : std::nullopt;
      out << fmt::format("| {} | {} {} | {} | {} | {} | {}{} | {} | {} | {} | {} |\n",
                         perf_level_label(L), g.index, cell(g.name), g.samples,
                         num(g.power_w_mean, "{:.1f}"), num(g.power_w_max, "{:.1f}"),
                         num(g.energy_j, "{:.1f}"),
                         g.energy_source == "integrated_power" ? " (integrated)" : "",
                         num(g.sm_clock_mhz_mean, "{:.0f}"), num(g.memory_clock_mhz_mean, "{:.0f}"),
                         num(gib, "{:.2f}"), num(g.gpu_utilization_pct_mean, "{:.0f}"));
    }
  }
}

}  // namespace

std::string perf_level_label(const PerfLevel& L) {
  if (L.scenario == "rate") {
    return fmt::format("rate {:g}/s{}", L.request_rate.value_or(0),
                       L.concurrency ? fmt::format(" (max {})", *L.concurrency) : "");
  }
  if (L.scenario == "concurrency") return fmt::format("concurrency {}", L.concurrency.value_or(0));
  return L.concurrency ? fmt::format("offline (max {})", *L.concurrency) : "offline";
}

std::string perf_series_label(const std::string& name,
                              const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return name;
  std::string out = name + "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    std::string escaped;
    for (const char c : v) {
      if (c == '\\' || c == '"') escaped += '\\';
      escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    out += fmt::format("{}{}=\"{}\"", first ? "" : ",", k, escaped);
    first = false;
  }
  return out + "}";
}

std::string perf_level_line(const PerfLevel& L) {
  return fmt::format(
      "{}: {}, {:.4g} req/s, {:.4g} output tok/s, goodput {:.4g} req/s, {} of {} "
      "failed",
      perf_level_label(L), L.valid ? "VALID" : "INVALID", L.request_throughput, L.output_throughput,
      L.goodput, L.failed, L.requests);
}

void render_perf_markdown(const PerfSection& s, std::ostream& out) {
  out << fmt::format("## Serving performance: {} ({})\n\n", s.model.empty() ? "model" : s.model,
                     s.scenario);
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    out << "- " << perf_level_line(s.levels[i]) << (s.best_level == i ? " **(best)**" : "") << '\n';
    for (const auto& why : s.levels[i].invalid_reasons)
      out << "  - " << why << '\n';
  }
  if (s.scenario == "sweep" && !s.best_level) {
    out << "- no level is valid and meets the SLOs\n";
  }
  out << "\n| level | requests | failed | duration s | req/s | images/s | output tok/s | total "
         "tok/s | goodput req/s | SLO attained |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& L : s.levels) {
    out << fmt::format(
        "| {} | {} | {} | {:.2f} | {:.4g} | {:.4g} | {:.4g} | {:.4g} | {:.4g} | {} |\n",
        perf_level_label(L), L.requests, L.failed, L.duration_s, L.request_throughput,
        L.image_throughput, L.output_throughput, L.total_token_throughput, L.goodput,
        L.slo_attainment ? fmt::format("{:.1f}%", 100 * *L.slo_attainment) : "—");
  }
  out << "\n| level | metric (ms) | mean | std | p50 | p90 | p95 | p99 | p99.9 |\n";
  out << "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& L : s.levels) {
    const std::pair<const char*, const LatencyStats*> rows[] = {{"TTFT", &L.ttft_ms},
                                                                {"TPOT", &L.tpot_ms},
                                                                {"ITL", &L.itl_ms},
                                                                {"E2E", &L.e2e_ms},
                                                                {"send delay", &L.send_delay_ms}};
    for (const auto& [name, st] : rows) {
      out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", perf_level_label(L),
                         name, num(st->mean), num(st->std), num(st->p50), num(st->p90),
                         num(st->p95), num(st->p99), num(st->p999));
    }
  }
  bool priced = false;
  for (const auto& L : s.levels)
    priced = priced || L.cost.has_value();
  if (priced) {
    out << "\n| level | GPUs | $/GPU-h | $/day | $/1M output tok | $/1k images | $/1k requests | "
           "$/1M good output tok | $/1k good images | $/1k good requests | kWh/day |\n";
    out << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& L : s.levels) {
      if (!L.cost) continue;
      const auto& c = *L.cost;
      out << fmt::format("| {} | {} × {} | {:.2f} | {:.2f} | {} | {} | {} | {} | {} | {} | {} |\n",
                         perf_level_label(L), c.gpu_count, c.gpu.empty() ? "GPU" : c.gpu,
                         c.usd_per_gpu_hour, c.usd_per_day, money(c.usd_per_1m_output_tokens),
                         money(c.usd_per_1k_images), money(c.usd_per_1k_requests),
                         money(c.usd_per_1m_good_output_tokens), money(c.usd_per_1k_good_images),
                         money(c.usd_per_1k_good_requests), num(c.kwh_per_day, "{:.1f}"));
    }
    for (const auto& L : s.levels) {
      if (!L.cost) continue;
      out << fmt::format("\nPrice: {}.{}\n", L.cost->price_source,
                         L.cost->power_w ? fmt::format(" Power: {:g} W per GPU ({}).",
                                                       *L.cost->power_w, L.cost->power_source)
                                         : "");
      break;
    }
  }
  render_token_cost(s, out);
  render_server_metrics(s, out);
  render_gpu_telemetry(s, out);
}

}  // namespace lmmbench::reports
