// The serving-performance section as a self-describing Section (reports/views.hpp). docs/perf.md
// defines every figure.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

using Row = std::vector<Value>;

std::string json_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return json_text(*it);
}

std::string workload_text(const nlohmann::json& w) {
  const auto kind = field(w, "kind");
  std::string out;
  if (kind == "synthetic") {
    const auto images = field(w, "images").value_or("?");
    out = fmt::format(
        "synthetic: {} random-noise image{} of {}×{} {}, {} prompt words, max_tokens {}", images,
        images == "1" ? "" : "s", field(w, "image_width").value_or("?"),
        field(w, "image_height").value_or("?"), field(w, "image_format").value_or("?"),
        field(w, "prompt_tokens").value_or("?"), field(w, "output_tokens").value_or("?"));
  } else if (kind == "task") {
    out = fmt::format("task samples: {} ({}), max_tokens {}", field(w, "task").value_or("?"),
                      field(w, "task_config").value_or("?"),
                      field(w, "max_tokens").value_or("the task's"));
    if (const auto skipped = field(w, "skipped_samples"); skipped && *skipped != "0") {
      out += fmt::format(", {} samples skipped (image unreadable or too large)", *skipped);
    }
  } else {
    return w.is_null() ? "not recorded" : json_text(w);
  }
  if (field(w, "ignore_eos") == "true") out += ", ignore_eos";
  return out;
}

std::string schedule_text(const PerfSection& s) {
  const auto& j = s.schedule;
  std::vector<std::string> parts;
  if (const auto arrival = field(j, "arrival");
      arrival && s.scenario != "offline" && s.scenario != "concurrency") {
    std::string a = *arrival + " arrivals";
    if (*arrival == "gamma") a += " (burstiness " + field(j, "burstiness").value_or("?") + ")";
    if (const auto trace = field(j, "trace")) a += " from " + *trace;
    parts.push_back(a);
  }
  if (const auto n = field(j, "requests_per_level")) parts.push_back(*n + " requests per level");
  parts.push_back(fmt::format("{} warm-up request{} first", s.warmup_requests,
                              s.warmup_requests == 1 ? "" : "s"));
  parts.push_back(fmt::format("seed {}", s.seed));
  return fmt::format("{}", fmt::join(parts, " · "));
}

bool has_slos(const PerfSlos& s) {
  return s.ttft_ms || s.tpot_ms || s.e2e_ms;
}

std::string slos_text(const PerfSlos& s) {
  std::vector<std::string> parts;
  if (s.ttft_ms) parts.push_back(fmt::format("TTFT ≤ {:g} ms", *s.ttft_ms));
  if (s.tpot_ms) parts.push_back(fmt::format("TPOT ≤ {:g} ms", *s.tpot_ms));
  if (s.e2e_ms) parts.push_back(fmt::format("E2E ≤ {:g} ms", *s.e2e_ms));
  if (parts.empty()) return "none: every completed request counts as good";
  return fmt::format("{}, met by ≥ {:g} % of the requests", fmt::join(parts, " · "),
                     100.0 * s.attainment);
}

std::string validity_text(const PerfValidity& v) {
  return fmt::format(
      "≥ {:g} s and ≥ {} requests per level · ≤ {:g} % failed · achieved rate within {:g} % of "
      "the target · steady state: {} windows within {:g} % of their mean",
      v.min_duration_s, v.min_requests, 100.0 * v.max_failed_fraction, 100.0 * v.max_rate_error,
      v.windows, 100.0 * v.stability);
}

/// Where a level sits on the load axis: its target rate (rate) or in-flight cap (concurrency).
std::optional<double> load_of(const PerfLevel& L) {
  if (L.scenario == "rate" && L.request_rate) return *L.request_rate;
  if (L.scenario == "concurrency" && L.concurrency) return static_cast<double>(*L.concurrency);
  return std::nullopt;
}

/// The name of the load axis when every level has a place on one: "offered rate" or
/// "concurrency"; empty otherwise (one level, or mixed scenarios).
std::string load_axis(const std::vector<PerfLevel>& levels) {
  if (levels.size() < 2) return {};
  for (const auto& L : levels) {
    if (L.scenario != levels.front().scenario || !load_of(L)) return {};
  }
  return levels.front().scenario == "rate" ? "offered rate" : "concurrency";
}

std::string verdict_text(const PerfSection& s, std::size_t i) {
  const auto& L = s.levels[i];
  std::string out = L.valid ? "VALID" : "INVALID";
  if (has_slos(s.slos)) out += L.meets_slos ? " · meets SLOs" : " · misses SLOs";
  if (s.best_level == i) out += " · best";
  return out;
}

/// A chart against the load: INVALID levels as hollow points, the best level as a line.
void mark_levels(const PerfSection& s, Chart& chart) {
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    if (!s.levels[i].valid) chart.hollow.push_back(i);
  }
  chart.hollow_label = "INVALID level";
  if (s.best_level && *s.best_level < s.levels.size()) {
    chart.highlight = *s.best_level;
    chart.highlight_label = "best: " + perf_level_label(s.levels[*s.best_level]);
  }
}

Table levels_table(const PerfSection& s) {
  const std::string axis = load_axis(s.levels);
  Table t;
  t.title = "Load levels";
  t.note =
      "Rates count completed requests over the level's duration; goodput only those that met "
      "every SLO; sent/s is the rate the client achieved (rate scenario).";
  t.columns = {text_column("level"),
               text_column("verdict"),
               number_column("requests", Unit::count),
               number_column("failed", Unit::count, Better::lower),
               number_column("duration", Unit::seconds),
               number_column("requests/s", Unit::items_per_second, Better::higher),
               number_column("images/s", Unit::items_per_second, Better::higher),
               number_column("output tok/s", Unit::items_per_second, Better::higher),
               number_column("total tok/s", Unit::items_per_second, Better::higher),
               number_column("goodput req/s", Unit::items_per_second, Better::higher),
               number_column("SLO attained", Unit::percent, Better::higher),
               number_column("sent/s", Unit::items_per_second)};
  if (!axis.empty()) t.columns.push_back(number_column(axis, Unit::count));
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    const auto& L = s.levels[i];
    // The failures by kind and where the token counts came from, beside their numbers.
    Value failed = Value::count(L.failed);
    for (const auto& [kind, n] : L.failures_by_kind)
      failed.text += fmt::format("{}{} {}", failed.text.empty() ? "(" : ", ", n, kind);
    if (!failed.text.empty()) failed.text += ")";
    Value output = Value::of(L.output_throughput);
    if (!L.token_source.empty() && L.token_source != "usage")
      output.text = "(counted: " + L.token_source + ")";
    Row row = {
        Value::words(perf_level_label(L)),
        Value::words(verdict_text(s, i), L.valid && L.meets_slos ? Mark::good : Mark::bad),
        Value::count(L.requests),
        failed,
        Value::of(L.duration_s),
        Value::of(L.request_throughput),
        Value::of(L.image_throughput),
        output,
        Value::of(L.total_token_throughput),
        Value::of(L.goodput),
        Value::of(L.slo_attainment ? std::optional<double>(100 * *L.slo_attainment) : std::nullopt),
        Value::of(L.achieved_rate)};
    if (!axis.empty()) row.push_back(Value::of(load_of(L)));
    t.rows.push_back(std::move(row));
  }
  if (!axis.empty()) {
    Chart chart =
        chart_of(Chart::Kind::line, t.columns.size() - 1, {5, 9}, "Throughput against " + axis);
    mark_levels(s, chart);
    // Rates: a server that keeps up completes what is offered.
    if (s.levels.front().scenario == "rate") chart.identity_label = "achieved = offered";
    t.charts.push_back(std::move(chart));
  }
  return t;
}

struct NamedStats {
  const char* name;
  const LatencyStats PerfLevel::*stats;
};
constexpr NamedStats kLatencies[] = {{"TTFT", &PerfLevel::ttft_ms},
                                     {"TPOT", &PerfLevel::tpot_ms},
                                     {"ITL", &PerfLevel::itl_ms},
                                     {"E2E", &PerfLevel::e2e_ms},
                                     {"send delay", &PerfLevel::send_delay_ms}};

Table latency_table(const PerfSection& s) {
  Table t;
  t.title = "Latency";
  t.note =
      "TTFT: sent → first token; TPOT: (E2E − TTFT) ÷ (output tokens − 1); ITL: every gap "
      "between token events; E2E: sent → last token; send delay: how late the client sent "
      "against the schedule. Percentiles are NumPy's linear interpolation.";
  t.columns = {text_column("level · latency"), number_column("n", Unit::count)};
  for (const char* p : {"mean", "std", "min", "p50", "p90", "p95", "p99", "p99.9", "max"})
    t.columns.push_back(number_column(p, Unit::milliseconds, Better::lower));
  for (const auto& L : s.levels) {
    for (const auto& [name, member] : kLatencies) {
      const LatencyStats& st = L.*member;
      t.rows.push_back({Value::words(perf_level_label(L) + " · " + name), Value::count(st.count),
                        Value::of(st.mean), Value::of(st.std), Value::of(st.min), Value::of(st.p50),
                        Value::of(st.p90), Value::of(st.p95), Value::of(st.p99), Value::of(st.p999),
                        Value::of(st.max)});
    }
  }
  // Several levels: each latency's percentiles per level as bars (min–max whisker, p50–p90 and
  // p90–p99 bands, the median and p99.9 as ticks).
  constexpr std::size_t kLatencyCount = std::size(kLatencies);
  for (std::size_t m = 0; s.levels.size() > 1 && m < kLatencyCount; ++m) {
    Chart chart = chart_of(Chart::Kind::ranges, 0, {4, 5, 6, 8, 9, 10},
                           fmt::format("{} percentiles per level", kLatencies[m].name));
    for (std::size_t i = 0; i < s.levels.size(); ++i)
      chart.rows.push_back(i * kLatencyCount + m);
    t.charts.push_back(std::move(chart));
  }
  return t;
}

/// Sweeps: the tail latencies against the load, one line each.
Table latency_against_load(const PerfSection& s, const std::string& axis) {
  Table t;
  t.title = "Latency against " + axis;
  t.columns = {text_column("level"),
               number_column(axis, Unit::count),
               number_column("TTFT p50", Unit::milliseconds, Better::lower),
               number_column("TTFT p99", Unit::milliseconds, Better::lower),
               number_column("TPOT p99", Unit::milliseconds, Better::lower),
               number_column("E2E p50", Unit::milliseconds, Better::lower),
               number_column("E2E p99", Unit::milliseconds, Better::lower)};
  for (const auto& L : s.levels) {
    t.rows.push_back({Value::words(perf_level_label(L)), Value::of(load_of(L)),
                      Value::of(L.ttft_ms.p50), Value::of(L.ttft_ms.p99), Value::of(L.tpot_ms.p99),
                      Value::of(L.e2e_ms.p50), Value::of(L.e2e_ms.p99)});
  }
  Chart chart = chart_of(Chart::Kind::line, 1, {2, 3, 5, 6}, "Latency against " + axis);
  mark_levels(s, chart);
  if (s.slos.ttft_ms)
    chart.references.emplace_back(fmt::format("SLO TTFT {:g} ms", *s.slos.ttft_ms),
                                  *s.slos.ttft_ms);
  if (s.slos.e2e_ms)
    chart.references.emplace_back(fmt::format("SLO E2E {:g} ms", *s.slos.e2e_ms), *s.slos.e2e_ms);
  t.charts.push_back(std::move(chart));
  return t;
}

/// One histogram per level and latency: equal-width bins over [min, max].
void add_distributions(const PerfSection& s, std::vector<Table>& tables) {
  for (const auto& L : s.levels) {
    for (const auto& [name, member] : kLatencies) {
      const LatencyStats& st = L.*member;
      if (st.histogram.empty() || !st.min || !st.max) continue;
      Table t;
      t.title = fmt::format("{} distribution · {}", name, perf_level_label(L));
      t.columns = {text_column("bin (ms)"), number_column("requests", Unit::count)};
      const double width = (*st.max - *st.min) / static_cast<double>(st.histogram.size());
      const std::size_t bins = st.histogram.size();
      const auto bin_of = [&](double v) {
        if (width <= 0) return std::size_t{0};
        return std::min(bins - 1, static_cast<std::size_t>(std::max(0.0, (v - *st.min) / width)));
      };
      for (std::size_t b = 0; b < bins; ++b) {
        const double lo = *st.min + width * static_cast<double>(b);
        // The bins holding the median and the tail percentiles say so.
        std::string label = fmt::format("{:.4g}–{:.4g}", lo, lo + width);
        std::string marks;
        for (const auto& [tail, p] : {std::pair{"p50", st.p50}, {"p90", st.p90}, {"p99", st.p99}}) {
          if (p && bin_of(*p) == b) marks += (marks.empty() ? " · " : ", ") + std::string(tail);
        }
        t.rows.push_back({Value::words(label + marks), Value::count(st.histogram[b])});
      }
      t.charts.push_back(chart_of(Chart::Kind::bars, 0, {1}, t.title));
      t.detail = true;
      tables.push_back(std::move(t));
    }
  }
}

Table windows_table(const PerfSection& s) {
  Table t;
  t.title = "Steady-state windows";
  t.note =
      "Each level's measurement split into equal windows; a level is steady when every "
      "window's rate is within the validity rule of their mean.";
  t.columns = {text_column("level · window"),
               number_column("start", Unit::seconds),
               number_column("end", Unit::seconds),
               number_column("sent", Unit::count),
               number_column("completed", Unit::count),
               number_column("requests/s", Unit::items_per_second, Better::higher),
               number_column("median E2E", Unit::milliseconds, Better::lower)};
  for (const auto& L : s.levels) {
    for (std::size_t w = 0; w < L.windows.size(); ++w) {
      const auto& W = L.windows[w];
      t.rows.push_back({Value::words(fmt::format("{} · {}", perf_level_label(L), w + 1)),
                        Value::of(W.start_s), Value::of(W.end_s), Value::count(W.sent),
                        Value::count(W.completed), Value::of(W.request_throughput),
                        Value::of(W.median_e2e_ms)});
    }
  }
  t.detail = true;
  return t;
}

Table cost_table(const PerfSection& s) {
  Table t;
  t.title = "GPU-hour cost";
  t.note =
      "What serving this load costs at the level's measured rates; \"good\" counts only the "
      "requests that met every SLO.";
  t.columns = {text_column("level"),
               text_column("GPUs"),
               number_column("$/GPU-hour", Unit::usd),
               number_column("$/day", Unit::usd, Better::lower),
               number_column("$/1M output tok", Unit::usd, Better::lower),
               number_column("$/1k images", Unit::usd, Better::lower),
               number_column("$/1k requests", Unit::usd, Better::lower),
               number_column("$/1M good output tok", Unit::usd, Better::lower),
               number_column("$/1k good images", Unit::usd, Better::lower),
               number_column("$/1k good requests", Unit::usd, Better::lower),
               number_column("power per GPU", Unit::watts),
               number_column("energy per day", Unit::kilowatt_hours, Better::lower)};
  for (const auto& L : s.levels) {
    if (!L.cost) continue;
    const auto& c = *L.cost;
    t.rows.push_back(
        {Value::words(perf_level_label(L)),
         Value::words(fmt::format("{} × {}", c.gpu_count, c.gpu.empty() ? "GPU" : c.gpu)),
         Value::of(c.usd_per_gpu_hour), Value::of(c.usd_per_day),
         Value::of(c.usd_per_1m_output_tokens), Value::of(c.usd_per_1k_images),
         Value::of(c.usd_per_1k_requests), Value::of(c.usd_per_1m_good_output_tokens),
         Value::of(c.usd_per_1k_good_images), Value::of(c.usd_per_1k_good_requests),
         Value::of(c.power_w), Value::of(c.kwh_per_day)});
  }
  return t;
}

Table token_cost_table(const PerfSection& s) {
  Table t;
  t.title = "API token cost";
  t.note = "The level's measured prompt and output tokens at the price table's per-token rates.";
  t.columns = {text_column("level"),
               number_column("input tok", Unit::count),
               number_column("output tok", Unit::count),
               number_column("cost", Unit::usd, Better::lower),
               number_column("$/1M output tok", Unit::usd, Better::lower),
               number_column("$/1k images", Unit::usd, Better::lower),
               number_column("$/1k requests", Unit::usd, Better::lower),
               number_column("$/1k good requests", Unit::usd, Better::lower),
               number_column("$/day at this load", Unit::usd, Better::lower)};
  for (const auto& L : s.levels) {
    if (!L.token_cost) continue;
    const auto& c = *L.token_cost;
    t.rows.push_back({Value::words(perf_level_label(L)),
                      Value::of(static_cast<double>(L.prompt_tokens)),
                      Value::of(static_cast<double>(L.output_tokens)), Value::of(c.usd),
                      Value::of(c.usd_per_1m_output_tokens), Value::of(c.usd_per_1k_images),
                      Value::of(c.usd_per_1k_requests), Value::of(c.usd_per_1k_good_requests),
                      Value::of(c.usd_per_day)});
  }
  return t;
}

Table server_metrics_table(const PerfLevel& L) {
  const auto& m = *L.server_metrics;
  Table t;
  t.title = "Server metrics · " + perf_level_label(L);
  t.note =
      "Prometheus exposition scraped before the level's first request and after its last "
      "completion: counters are increases, gauges the value after, histograms their count "
      "and mean over the level (other clients' work included).";
  t.columns = {text_column("series"), text_column("kind"), number_column("value", Unit::count),
               number_column("mean", Unit::ratio)};
  for (const auto& hist : m.histograms) {
    t.rows.push_back({Value::words(perf_series_label(hist.name, hist.labels)),
                      Value::words("histogram: count"), Value::of(hist.count),
                      Value::of(hist.mean)});
  }
  for (const auto& c : m.counters) {
    t.rows.push_back({Value::words(perf_series_label(c.name, c.labels)),
                      Value::words("counter: increase"), Value::of(c.value),
                      Value::of(std::nullopt)});
  }
  for (const auto& g : m.gauges) {
    t.rows.push_back({Value::words(perf_series_label(g.name, g.labels)),
                      Value::words("gauge: after"), Value::of(g.value), Value::of(std::nullopt)});
  }
  return t;
}

Table telemetry_table(const PerfSection& s) {
  Table t;
  t.title = "GPU telemetry (NVML)";
  t.note = "Sampled from just before each level's first request to just after its last completion.";
  t.columns = {text_column("level · GPU"),
               number_column("samples", Unit::count),
               number_column("power mean", Unit::watts),
               number_column("power max", Unit::watts),
               number_column("energy", Unit::joules),
               text_column("energy from"),
               number_column("SM clock MHz", Unit::count),
               number_column("memory clock MHz", Unit::count),
               number_column("memory used max", Unit::bytes),
               number_column("GPU busy", Unit::percent),
               number_column("memory busy", Unit::percent)};
  for (const auto& L : s.levels) {
    if (!L.gpu_telemetry) continue;
    for (const auto& g : L.gpu_telemetry->gpus) {
      t.rows.push_back(
          {Value::words(fmt::format("{} · {} {}", perf_level_label(L), g.index, g.name)),
           Value::count(g.samples), Value::of(g.power_w_mean), Value::of(g.power_w_max),
           Value::of(g.energy_j), Value::words(g.energy_source), Value::of(g.sm_clock_mhz_mean),
           Value::of(g.memory_clock_mhz_mean), Value::of(g.memory_used_bytes_max),
           Value::of(g.gpu_utilization_pct_mean), Value::of(g.memory_utilization_pct_mean)});
    }
  }
  return t;
}

/// Models served by several replicas: what each did in each level.
Table replicas_table(const PerfSection& s) {
  Table t;
  t.title = "Replicas";
  t.note =
      "Each replica's share of the level's requests (least in flight first; docs/scale.md): "
      "requests sent to it, those it answered (any HTTP status), those that failed to connect "
      "(it was then backed off), and its mean latency over the answered ones.";
  t.columns = {text_column("level · replica"), number_column("requests", Unit::count),
               number_column("answered", Unit::count),
               number_column("connection failures", Unit::count, Better::lower),
               number_column("mean latency", Unit::milliseconds, Better::lower)};
  for (const auto& L : s.levels) {
    for (const auto& r : L.replicas) {
      t.rows.push_back(
          {Value::words(fmt::format("{} · {}", perf_level_label(L), public_url(r.base_url))),
           Value::count(r.requests), Value::count(r.answered), Value::count(r.connection_failures),
           Value::of(r.latency_mean_ms)});
    }
  }
  return t;
}

std::string summary_of(const PerfSection& s) {
  const std::string model = s.model.empty() ? "model" : s.model;
  if (s.levels.empty()) return model + " · " + s.scenario + " · no level ran";
  if (s.levels.size() == 1 && s.scenario != "sweep") {
    const auto& L = s.levels.front();
    return fmt::format("{} · {} · {}{} · {:.4g} req/s, {:.4g} output tok/s, {} of {} failed", model,
                       perf_level_label(L), L.valid ? "VALID" : "INVALID",
                       has_slos(s.slos) && !L.meets_slos ? ", misses the SLOs" : "",
                       L.request_throughput, L.output_throughput, L.failed, L.requests);
  }
  std::string levels = fmt::format("{} levels", s.levels.size());
  if (const auto axis = load_axis(s.levels); !axis.empty()) {
    std::vector<double> x;
    for (const auto& L : s.levels)
      x.push_back(*load_of(L));
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    levels = s.levels.front().scenario == "rate"
                 ? fmt::format("{} rates, {:g}–{:g}/s", s.levels.size(), *lo, *hi)
                 : fmt::format("{} concurrencies, {:g}–{:g}", s.levels.size(), *lo, *hi);
  }
  return fmt::format("{} · sweep of {} · {}", model, levels,
                     s.best_level && *s.best_level < s.levels.size()
                         ? "best: " + perf_level_label(s.levels[*s.best_level])
                         : "no level is VALID and meets the SLOs");
}

}  // namespace

std::string public_url(std::string url) {
  if (const auto q = url.find_first_of("?#"); q != std::string::npos) url.erase(q);
  const auto scheme = url.find("://");
  const auto start = scheme == std::string::npos ? 0 : scheme + 3;
  const auto slash = url.find('/', start);
  const auto at = url.rfind('@', slash == std::string::npos ? url.size() : slash);
  if (at != std::string::npos && at >= start) url.erase(start, at + 1 - start);
  return url;
}

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

Section perf_view(const PerfSection& s, const std::string& server) {
  Section out;
  out.key = "perf";
  out.title = "Serving performance";
  out.summary = summary_of(s);
  out.facts = {{"model", s.model.empty() ? "not recorded" : s.model}};
  if (!server.empty()) out.facts.emplace_back("server", server);
  if (!s.backend_fingerprint.empty())
    out.facts.emplace_back("backend fingerprint", s.backend_fingerprint);
  out.facts.emplace_back("scenario", s.scenario);
  out.facts.emplace_back("schedule", schedule_text(s));
  out.facts.emplace_back("workload", workload_text(s.workload));
  out.facts.emplace_back("SLOs", slos_text(s.slos));
  out.facts.emplace_back("validity rules", validity_text(s.validity));
  if (s.scenario == "sweep") {
    out.facts.emplace_back("best level", s.best_level && *s.best_level < s.levels.size()
                                             ? perf_level_label(s.levels[*s.best_level]) +
                                                   ": the highest load that is VALID" +
                                                   (has_slos(s.slos) ? " and meets the SLOs" : "")
                                             : std::string("none: no level is VALID") +
                                                   (has_slos(s.slos) ? " and meets the SLOs" : ""));
  }
  const auto first = [&](auto has) {
    const auto it = std::find_if(s.levels.begin(), s.levels.end(), has);
    return it == s.levels.end() ? nullptr : &*it;
  };
  if (const auto* L = first([](const PerfLevel& l) { return l.cost.has_value(); })) {
    const auto& c = *L->cost;
    out.facts.emplace_back(
        "price", fmt::format("{} × {} at ${:g} per GPU-hour · {}", c.gpu_count,
                             c.gpu.empty() ? "GPU" : c.gpu, c.usd_per_gpu_hour, c.price_source));
    if (c.power_w)
      out.facts.emplace_back("power",
                             fmt::format("{:g} W per GPU · {}", *c.power_w, c.power_source));
  }
  if (const auto* L = first([](const PerfLevel& l) { return l.token_cost.has_value(); })) {
    const auto& c = *L->token_cost;
    out.facts.emplace_back("token prices",
                           fmt::format("{}: ${:g} per 1M input, ${:g} per 1M output tokens · "
                                       "table of {}",
                                       c.price_model, c.usd_per_1m_input_tokens,
                                       c.usd_per_1m_output_tokens_rate, c.prices_as_of));
  }
  if (const auto* L = first([](const PerfLevel& l) { return l.server_metrics.has_value(); }))
    out.facts.emplace_back("server metrics", "Prometheus, " + public_url(L->server_metrics->url));
  if (const auto* L = first([](const PerfLevel& l) { return l.gpu_telemetry.has_value(); })) {
    const auto& g = *L->gpu_telemetry;
    out.facts.emplace_back("GPU telemetry", g.available
                                                ? fmt::format("NVML, every {:g} ms", g.interval_ms)
                                                : "NVML " + g.note);
  }
  out.facts.emplace_back("per-request records",
                         s.requests_file.empty() ? "not written" : s.requests_file);

  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    const auto& L = s.levels[i];
    const std::string label = perf_level_label(L);
    std::string reasons;
    for (const auto& why : L.invalid_reasons) {
      reasons += (reasons.empty() ? "" : "; ") + why;
      out.notes.push_back(label + ": " + why);
    }
    // The checks are what `lmmbench perf`'s exit code judges: every level valid, or for a sweep
    // one level that is valid and meets the SLOs (levels past the knee are expected to fail).
    if (s.scenario != "sweep") out.checks.push_back({label + ": valid", L.valid, reasons});
    if (has_slos(s.slos) && !L.meets_slos) {
      out.notes.push_back(fmt::format("{}: misses the SLOs (attainment {:.1f} % < {:g} %)", label,
                                      100 * L.slo_attainment.value_or(0), 100 * s.slos.attainment));
    }
    if (L.token_cost && !L.token_cost->note.empty())
      out.notes.push_back(label + ": " + L.token_cost->note);
    if (L.server_metrics) {
      for (const auto& note : L.server_metrics->notes)
        out.notes.push_back(label + ": server metrics: " + note);
    }
    if (L.gpu_telemetry && !L.gpu_telemetry->note.empty())
      out.notes.push_back(label + ": GPU telemetry " + L.gpu_telemetry->note);
    for (const auto& o : L.objectives)
      out.objectives.push_back(o);
  }
  if (s.scenario == "sweep") {
    out.checks.push_back({"sweep: a level is valid and meets the SLOs", s.best_level.has_value(),
                          s.best_level ? "" : "no level is valid and meets the SLOs"});
  }

  out.tables.push_back(levels_table(s));
  out.tables.push_back(latency_table(s));
  if (const auto axis = load_axis(s.levels); !axis.empty())
    out.tables.push_back(latency_against_load(s, axis));
  if (auto t = cost_table(s); !t.rows.empty()) out.tables.push_back(std::move(t));
  if (auto t = token_cost_table(s); !t.rows.empty()) out.tables.push_back(std::move(t));
  for (const auto& L : s.levels) {
    if (L.server_metrics && L.server_metrics->scraped)
      out.tables.push_back(server_metrics_table(L));
  }
  if (auto t = replicas_table(s); !t.rows.empty()) out.tables.push_back(std::move(t));
  if (auto t = telemetry_table(s); !t.rows.empty()) out.tables.push_back(std::move(t));
  if (auto t = windows_table(s); !t.rows.empty()) out.tables.push_back(std::move(t));
  add_distributions(s, out.tables);
  return out;
}

}  // namespace lmmbench::reports
