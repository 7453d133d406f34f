#include "reports/perf_html.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "reports/escape.hpp"
#include "reports/format.hpp"
#include "reports/perf_markdown.hpp"
#include "reports/svg.hpp"

namespace lmmbench::reports {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::array<double, 2> kNoInterval = {kNaN, kNaN};

// Colours the charts set as SVG presentation attributes where report.css has no class (reference
// lines); the palette is report.css's (--good, --bad, --faint, --ink).
constexpr const char* kGood = "#1a7f4b";
constexpr const char* kBad = "#b42318";
constexpr const char* kFaint = "#8a94a4";
constexpr const char* kInk = "#1b2330";

std::string h(std::string_view text) {
  return html_escape(text);
}

/// About four significant digits without an exponent: 4.999, 19.03, 304.5, 12,490.
std::string rate(double value) {
  const double a = std::fabs(value);
  return grouped(value, a < 10 ? 3 : a < 100 ? 2 : a < 1000 ? 1 : 0);
}

/// Milliseconds in tables: two decimals (the harness's clock resolves microseconds).
std::string ms(double value) {
  return grouped(value, 2);
}

/// Milliseconds in charts: three significant digits.
std::string short_ms(double value) {
  const double a = std::fabs(value);
  if (a >= 100) return fmt::format("{:.0f} ms", value);
  if (a >= 10) return fmt::format("{:.1f} ms", value);
  if (a >= 1) return fmt::format("{:.2f} ms", value);
  return fmt::format("{:.3f} ms", value);
}

std::string money(double usd) {
  return usd >= 100 ? "$" + grouped(usd, 0) : fmt::format("${:#.4g}", usd);
}

std::string percent(double fraction) {
  return fmt::format("{:.1f} %", 100.0 * fraction);
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
  return num_cell(value, value ? format(*value) : std::string());
}

void kv(std::ostream& out, std::string_view key, std::string_view value) {
  out << "<tr><th>" << h(key) << "</th><td>" << h(value) << "</td></tr>";
}

// ---------------------------------------------------------------------------------------------
// The record's free-form parts (workload, schedule) read defensively: a value of another type
// than expected is shown as JSON, never thrown on.

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
  std::string text;
  if (kind == "synthetic") {
    const auto images = field(w, "images").value_or("?");
    text = fmt::format(
        "synthetic: {} random-noise image{} of {}×{} {}, {} prompt words, "
        "max_tokens {}",
        images, images == "1" ? "" : "s", field(w, "image_width").value_or("?"),
        field(w, "image_height").value_or("?"), field(w, "image_format").value_or("?"),
        field(w, "prompt_tokens").value_or("?"), field(w, "output_tokens").value_or("?"));
  } else if (kind == "task") {
    text = fmt::format("task samples: {} ({}), max_tokens {}", field(w, "task").value_or("?"),
                       field(w, "task_config").value_or("?"),
                       field(w, "max_tokens").value_or("the task's"));
    if (const auto skipped = field(w, "skipped_samples"); skipped && *skipped != "0") {
      text += fmt::format(", {} samples skipped (image unreadable or too large)", *skipped);
    }
  } else {
    return w.is_null() ? "not recorded" : json_text(w);
  }
  if (field(w, "ignore_eos") == "true") text += ", ignore_eos";
  return text;
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

/// "http://user:secret@host:8000/v1?key=x" -> "http://host:8000/v1": credentials and query
/// parameters never reach a report.
std::string public_url(std::string url) {
  if (const auto q = url.find_first_of("?#"); q != std::string::npos) url.erase(q);
  const auto scheme = url.find("://");
  const auto start = scheme == std::string::npos ? 0 : scheme + 3;
  const auto slash = url.find('/', start);
  const auto at = url.rfind('@', slash == std::string::npos ? url.size() : slash);
  if (at != std::string::npos && at >= start) url.erase(start, at + 1 - start);
  return url;
}

// ---------------------------------------------------------------------------------------------
// Levels

/// Where a level sits on the load axis: its target rate (rate) or in-flight cap (concurrency).
std::optional<double> load_of(const PerfLevel& L) {
  if (L.scenario == "rate" && L.request_rate) return *L.request_rate;
  if (L.scenario == "concurrency" && L.concurrency) return static_cast<double>(*L.concurrency);
  return std::nullopt;
}

/// The load axis of a sweep, when every level has a place on one axis.
struct LoadAxis {
  std::vector<double> x;
  std::string label;  ///< "offered rate (requests/s)", "concurrency (requests in flight)".
  bool rate = false;  ///< Rates: the achieved throughput can be set against the offered rate.
};

std::optional<LoadAxis> load_axis(const std::vector<PerfLevel>& levels) {
  if (levels.size() < 2) return std::nullopt;
  LoadAxis axis;
  const std::string scenario = levels.front().scenario;
  for (const auto& L : levels) {
    const auto x = load_of(L);
    if (L.scenario != scenario || !x) return std::nullopt;
    axis.x.push_back(*x);
  }
  axis.rate = scenario == "rate";
  axis.label = axis.rate ? "offered rate (requests/s)" : "concurrency (requests in flight)";
  return axis;
}

/// Escaped text whose spaces do not break (a table cell's label).
std::string nowrap(std::string_view text) {
  std::string out;
  for (const char c : h(text))
    out += c == ' ' ? std::string("&nbsp;") : std::string(1, c);
  return out;
}

/// VALID / INVALID (the reasons as its tooltip), whether the SLOs are met, and the best mark.
std::string verdict_chips(const PerfLevel& L, bool has_slos, bool best) {
  std::string reasons;
  for (const auto& why : L.invalid_reasons)
    reasons += (reasons.empty() ? "" : "; ") + why;
  std::string out = L.valid
                        ? "<span class=\"chip pass\">VALID</span>"
                        : "<span class=\"chip failed\" title=\"" + h(reasons) + "\">INVALID</span>";
  if (has_slos) {
    out += L.meets_slos ? " <span class=\"chip pass\">meets&nbsp;SLOs</span>"
                        : " <span class=\"chip not_comparable\">misses&nbsp;SLOs</span>";
  }
  if (best) out += " <span class=\"chip\">★&nbsp;best</span>";
  return out;
}

bool has_slos(const PerfSlos& s) {
  return s.ttft_ms || s.tpot_ms || s.e2e_ms;
}

// ---------------------------------------------------------------------------------------------
// Charts (inline SVG in report.css's classes: grid, axis, series-N, line, bar, hist, value)

/// Round tick positions covering [lo, hi]: about `target` steps of 1, 2, 2.5 or 5 × 10^k.
std::vector<double> nice_ticks(double lo, double hi, int target = 4) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (hi <= lo) hi = lo + (lo == 0 ? 1 : std::fabs(lo) * 0.1);
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (const double m : {1.0, 2.0, 2.5, 5.0}) {
    if (raw <= m * magnitude * (1 + 1e-9)) {
      step = m * magnitude;
      break;
    }
  }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9) * step;
  for (double t = first; t <= hi + step * (1 - 1e-9); t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    if (t >= hi - step * 1e-9) break;
  }
  return ticks;
}

std::string tick_text(double v) {
  return fmt::format("{:.4g}", v);
}

std::string open_svg(double width, double height, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0:.0f} {1:.0f}\" width=\"{0:.0f}\" "
      "height=\"{1:.0f}\" role=\"img\" aria-label=\"{2}\"><title>{2}</title>",
      width, height, h(title));
}

/// One curve of a load chart.
struct Curve {
  std::string name;
  std::vector<double> y;  ///< One per level; NaN leaves a gap.
  int series = 0;         ///< report.css colour series-N.
  bool dashed = false;
};

/// A horizontal reference line (an SLO).
struct Reference {
  double y = 0;
  std::string label;
};

/// y against the load axis, one curve per entry, with markers (hollow for INVALID levels), the
/// best level as a vertical line, SLOs as horizontal lines, and for rates the line where the
/// achieved throughput equals the offered rate.
std::string load_chart(const LoadAxis& axis, const std::vector<Curve>& curves,
                       const std::vector<bool>& valid, std::optional<std::size_t> best,
                       const std::vector<Reference>& references, bool diagonal,
                       const std::string& y_label, const std::string& title) {
  constexpr double kWidth = 620;
  constexpr double kLeft = 58;
  constexpr double kRight = 600;
  constexpr double kTop = 22;
  constexpr double kBottom = 196;
  double x_hi = 0;
  double y_hi = 0;
  for (const double x : axis.x)
    x_hi = std::max(x_hi, x);
  for (const auto& c : curves) {
    for (const double y : c.y) {
      if (std::isfinite(y)) y_hi = std::max(y_hi, y);
    }
  }
  for (const auto& r : references)
    y_hi = std::max(y_hi, r.y);
  if (diagonal) y_hi = std::max(y_hi, 0.0);
  const auto x_ticks = nice_ticks(0, x_hi);
  const auto y_ticks = nice_ticks(0, y_hi * 1.05);
  const double x_max = x_ticks.back();
  const double y_max = y_ticks.back();
  const auto px = [&](double v) { return kLeft + v / x_max * (kRight - kLeft); };
  const auto py = [&](double v) { return kBottom - v / y_max * (kBottom - kTop); };

  // Legend entries: the curves, then the reference lines' kinds.
  struct Key {
    std::string name;
    std::string swatch;  ///< SVG for a 18 px sample at (0, 0).
    double width;
  };
  std::vector<Key> keys;
  const auto text_width = [](const std::string& text) {
    std::size_t points = 0;
    for (const char c : text)
      points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return 6.2 * static_cast<double>(points);
  };
  for (const auto& c : curves) {
    keys.push_back({c.name,
                    fmt::format("<g class=\"series-{}\"><path class=\"line\" d=\"M0 0H18\"{}/>"
                                "<circle cx=\"9\" cy=\"0\" r=\"3\"/></g>",
                                c.series % 8, c.dashed ? " stroke-dasharray=\"5 3\"" : ""),
                    0});
  }
  if (diagonal) {
    keys.push_back({"achieved = offered",
                    fmt::format("<path d=\"M0 0H18\" stroke=\"{}\" stroke-dasharray=\"3 3\" "
                                "fill=\"none\"/>",
                                kFaint),
                    0});
  }
  if (!references.empty()) {
    keys.push_back(
        {"SLO",
         fmt::format("<path d=\"M0 0H18\" stroke=\"{}\" stroke-dasharray=\"6 3\" fill=\"none\"/>",
                     kBad),
         0});
  }
  if (best) {
    keys.push_back(
        {"best level",
         fmt::format("<path d=\"M9 -6V6\" stroke=\"{}\" stroke-width=\"2\" fill=\"none\"/>", kGood),
         0});
  }
  if (std::find(valid.begin(), valid.end(), false) != valid.end()) {
    keys.push_back({"INVALID level",
                    fmt::format("<circle cx=\"9\" cy=\"0\" r=\"3.5\" fill=\"#fff\" stroke=\"{}\" "
                                "stroke-width=\"1.5\"/>",
                                kInk),
                    0});
  }
  // Lay the legend out in rows under the axis label.
  std::vector<std::pair<double, double>> positions;
  double lx = kLeft;
  double ly = kBottom + 44;
  for (auto& k : keys) {
    k.width = 24 + text_width(k.name) + 16;
    if (lx + k.width > kRight + 10 && lx > kLeft) {
      lx = kLeft;
      ly += 16;
    }
    positions.emplace_back(lx, ly);
    lx += k.width;
  }
  const double height = ly + 12;

  std::string out = open_svg(kWidth, height, title);
  out += "<g class=\"grid\">";
  std::string labels = "<g class=\"axis\">";
  for (const double v : y_ticks) {
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>", kLeft, kRight,
                       py(v), py(v));
    labels += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" dy=\"0.35em\">{}</text>",
                          kLeft - 6, py(v), h(tick_text(v)));
  }
  for (const double v : x_ticks) {
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/>", px(v), kTop,
                       kBottom);
    labels += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(v),
                          kBottom + 14, h(tick_text(v)));
  }
  out += "</g>";
  labels += fmt::format(
      "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"{}\" y=\"{}\" "
      "text-anchor=\"start\">{}</text></g>",
      (kLeft + kRight) / 2, kBottom + 30, h(axis.label), kLeft - 50, kTop - 10, h(y_label));
  out += labels;
  if (diagonal) {
    const double end = std::min(x_max, y_max);
    out += fmt::format(
        "<path class=\"ideal\" d=\"M{:.1f} {:.1f}L{:.1f} {:.1f}\" stroke=\"{}\" "
        "stroke-dasharray=\"3 3\" fill=\"none\"><title>achieved = offered</title></path>",
        px(0), py(0), px(end), py(end), kFaint);
  }
  for (const auto& r : references) {
    out += fmt::format(
        "<g class=\"slo\"><path d=\"M{0} {1:.1f}H{2}\" stroke=\"{3}\" stroke-dasharray=\"6 3\" "
        "fill=\"none\"/><text x=\"{4}\" y=\"{5:.1f}\" text-anchor=\"start\">{6}</text></g>",
        kLeft, py(r.y), kRight, kBad, kLeft + 4, py(r.y) - 4, h(r.label));
  }
  if (best && *best < axis.x.size()) {
    const double x = px(axis.x[*best]);
    out += fmt::format(
        "<g class=\"best\"><path d=\"M{0:.1f} {1}V{2}\" stroke=\"{3}\" stroke-width=\"2\" "
        "fill=\"none\"/><text x=\"{4:.1f}\" y=\"{5}\" text-anchor=\"{6}\">best: {7}</text></g>",
        x, kTop, kBottom, kGood, x + (x > kRight - 80 ? -4 : 4), kTop + 10,
        x > kRight - 80 ? "end" : "start", h(tick_text(axis.x[*best])));
  }
  for (const auto& c : curves) {
    std::string path;
    std::string markers;
    for (std::size_t i = 0; i < axis.x.size() && i < c.y.size(); ++i) {
      if (!std::isfinite(c.y[i])) continue;
      const double x = px(axis.x[i]);
      const double y = py(c.y[i]);
      path += fmt::format("{}{:.1f} {:.1f}", path.empty() ? "M" : "L", x, y);
      const bool ok = i >= valid.size() || valid[i];
      markers += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\"{}><title>{}</title>"
          "</circle>",
          x, y, ok ? "3" : "3.5", ok ? "" : " fill=\"#fff\" stroke-width=\"1.5\"",
          h(fmt::format("{} at {}: {}{}", c.name, tick_text(axis.x[i]), tick_text(c.y[i]),
                        ok ? "" : " (INVALID level)")));
    }
    out += fmt::format("<g class=\"series-{}\"><path class=\"line\" d=\"{}\"{}/>{}</g>",
                       c.series % 8, path, c.dashed ? " stroke-dasharray=\"5 3\"" : "", markers);
  }
  out += "<g class=\"legend\">";
  for (std::size_t k = 0; k < keys.size(); ++k) {
    out += fmt::format(
        "<g transform=\"translate({:.1f} {:.1f})\">{}<text x=\"24\" "
        "dy=\"0.35em\">{}</text></g>",
        positions[k].first, positions[k].second, keys[k].swatch, h(keys[k].name));
  }
  return out + "</g></svg>";
}

/// Percentile bars of one latency across levels: per level a whisker from min to max, a dark
/// bar p50–p90, a light bar p90–p99, the median as a heavy tick and p99.9 as a red tick.
std::string percentile_bars(const std::vector<std::string>& labels,
                            const std::vector<const LatencyStats*>& stats,
                            const std::string& title) {
  constexpr double kWidth = 620;
  constexpr double kLabelRight = 112;
  constexpr double kLeft = 120;
  constexpr double kRight = 428;
  constexpr double kValueLeft = 440;
  constexpr double kRow = 28;
  constexpr double kTop = 6;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const auto* s : stats) {
    if (s->count == 0 || !s->min || !s->max) continue;
    lo = std::min(lo, *s->min);
    hi = std::max(hi, *s->max);
  }
  if (!std::isfinite(lo)) return "";
  const double pad = hi > lo ? (hi - lo) * 0.04 : std::max(std::fabs(hi) * 0.05, 0.01);
  const auto ticks = nice_ticks(std::max(0.0, lo - pad), hi + pad);
  const double a = ticks.front();
  const double b = ticks.back();
  const auto px = [&](double v) { return kLeft + (v - a) / (b - a) * (kRight - kLeft); };
  const double bottom = kTop + kRow * static_cast<double>(stats.size());
  const double legend_y = bottom + 34;
  std::string out = open_svg(kWidth, legend_y + 10, title);
  out += "<g class=\"grid\">";
  std::string axis = "<g class=\"axis\">";
  for (const double t : ticks) {
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2:.1f}\"/>", px(t),
                       kTop, bottom);
    axis += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", px(t),
                        bottom + 13, h(tick_text(t)));
  }
  out += "</g>" + axis + "</g>";
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const auto& s = *stats[i];
    const double mid = kTop + kRow * static_cast<double>(i) + kRow / 2;
    out += fmt::format("<g><text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" dy=\"0.35em\">{}</text>",
                       kLabelRight, mid, h(labels[i]));
    if (s.count == 0 || !s.p50 || !s.min || !s.max) {
      out += fmt::format(
          "<text class=\"value\" x=\"{}\" y=\"{:.1f}\" dy=\"0.35em\">no values"
          "</text></g>",
          kValueLeft, mid);
      continue;
    }
    const double p90 = s.p90.value_or(*s.p50);
    const double p99 = s.p99.value_or(p90);
    out += fmt::format("<title>{}</title>",
                       h(fmt::format("{}: min {} · p50 {} · p90 {} · p99 {} · p99.9 {} · max {} "
                                     "(n = {})",
                                     labels[i], ms(*s.min), ms(*s.p50), ms(p90), ms(p99),
                                     s.p999 ? ms(*s.p999) : "—", ms(*s.max), s.count)));
    out += fmt::format(
        "<path d=\"M{0:.1f} {2:.1f}H{1:.1f}M{0:.1f} {3:.1f}V{4:.1f}M{1:.1f} {3:.1f}V{4:.1f}\" "
        "stroke=\"{5}\" fill=\"none\"/>",
        px(*s.min), px(*s.max), mid, mid - 4, mid + 4, kFaint);
    out += fmt::format(
        "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"12\"/>"
        "<rect class=\"bar\" fill-opacity=\"0.4\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
        "height=\"12\"/>",
        px(*s.p50), mid - 6, std::max(1.0, px(p90) - px(*s.p50)), px(p90), mid - 6,
        std::max(0.0, px(p99) - px(p90)));
    out += fmt::format(
        "<path d=\"M{0:.1f} {1:.1f}V{2:.1f}\" stroke=\"{3}\" stroke-width=\"2.5\" "
        "fill=\"none\"/>",
        px(*s.p50), mid - 8, mid + 8, kInk);
    if (s.p999) {
      out += fmt::format(
          "<path d=\"M{0:.1f} {1:.1f}V{2:.1f}\" stroke=\"{3}\" stroke-width=\"2\" "
          "fill=\"none\"/>",
          px(*s.p999), mid - 7, mid + 7, kBad);
    }
    out += fmt::format(
        "<text class=\"value\" x=\"{}\" y=\"{:.1f}\" dy=\"0.35em\">p50 {} · p99 {}</text></g>",
        kValueLeft, mid, h(short_ms(*s.p50)), h(short_ms(p99)));
  }
  // Legend.
  const double y = legend_y;
  out += fmt::format(
      "<g class=\"legend\"><rect class=\"bar\" x=\"{0}\" y=\"{1:.1f}\" width=\"16\" height=\"10\"/>"
      "<text x=\"{2}\" y=\"{3:.1f}\" dy=\"0.35em\">p50–p90</text>"
      "<rect class=\"bar\" fill-opacity=\"0.4\" x=\"{4}\" y=\"{1:.1f}\" width=\"16\" "
      "height=\"10\"/><text x=\"{5}\" y=\"{3:.1f}\" dy=\"0.35em\">p90–p99</text>"
      "<path d=\"M{6} {7:.1f}V{8:.1f}\" stroke=\"{9}\" stroke-width=\"2.5\"/><text x=\"{10}\" "
      "y=\"{3:.1f}\" dy=\"0.35em\">median</text>"
      "<path d=\"M{11} {7:.1f}V{8:.1f}\" stroke=\"{12}\" stroke-width=\"2\"/><text x=\"{13}\" "
      "y=\"{3:.1f}\" dy=\"0.35em\">p99.9</text>"
      "<path d=\"M{14} {3:.1f}H{15}M{14} {16:.1f}V{17:.1f}M{15} {16:.1f}V{17:.1f}\" "
      "stroke=\"{18}\" fill=\"none\"/><text x=\"{19}\" y=\"{3:.1f}\" dy=\"0.35em\">min–max</text>"
      "</g>",
      kLeft, y - 5, kLeft + 22, y, kLeft + 90, kLeft + 112, kLeft + 186, y - 7, y + 7, kInk,
      kLeft + 194, kLeft + 250, kBad, kLeft + 258, kLeft + 310, kLeft + 334, y - 4, y + 4, kFaint,
      kLeft + 340);
  return out + "</svg>";
}

/// A level's recorded histogram of one latency (equal bins over [min, max]) with its p50, p90
/// and p99 marked.
std::string histogram_chart(const LatencyStats& s, const std::string& title) {
  constexpr double kWidth = 620;
  constexpr double kLeft = 40;
  constexpr double kRight = 600;
  constexpr double kTop = 30;
  constexpr double kBottom = 150;
  if (s.histogram.empty() || !s.min || !s.max) return "";
  const double lo = *s.min;
  const double hi = *s.max > lo ? *s.max : lo + 1e-3;
  const auto px = [&](double v) { return kLeft + (v - lo) / (hi - lo) * (kRight - kLeft); };
  const std::size_t tallest = *std::max_element(s.histogram.begin(), s.histogram.end());
  const double w = (kRight - kLeft) / static_cast<double>(s.histogram.size());
  std::string out = open_svg(kWidth, kBottom + 36, title);
  out += fmt::format("<g class=\"grid\"><line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/></g>",
                     kLeft, kRight, kBottom);
  for (std::size_t b = 0; b < s.histogram.size(); ++b) {
    const double height =
        tallest > 0 ? (kBottom - kTop) * static_cast<double>(s.histogram[b]) / tallest : 0;
    const double from = lo + (hi - lo) * static_cast<double>(b) / s.histogram.size();
    const double to = lo + (hi - lo) * static_cast<double>(b + 1) / s.histogram.size();
    out += fmt::format(
        "<rect class=\"hist\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\">"
        "<title>{} – {} ms: {}</title></rect>",
        kLeft + w * static_cast<double>(b) + 0.5, kBottom - height, std::max(0.5, w - 1), height,
        h(ms(from)), h(ms(to)), s.histogram[b]);
  }
  const std::array<std::pair<const char*, std::optional<double>>, 3> marks = {
      {{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}}};
  for (std::size_t k = 0; k < marks.size(); ++k) {
    if (!marks[k].second) continue;
    const double x = px(*marks[k].second);
    const bool right = x > kRight - 90;
    out += fmt::format(
        "<g><path d=\"M{0:.1f} {1}V{2}\" stroke=\"{3}\" stroke-dasharray=\"{4}\" "
        "fill=\"none\"/><text x=\"{5:.1f}\" y=\"{6}\" text-anchor=\"{7}\">{8} {9}</text></g>",
        x, kTop - 22 + 11 * static_cast<double>(k) + 2, kBottom, k == 2 ? kBad : kInk,
        k == 0 ? "none" : "4 3", x + (right ? -3 : 3), kTop - 14 + 11 * static_cast<double>(k),
        right ? "end" : "start", marks[k].first, h(short_ms(*marks[k].second)));
  }
  out += fmt::format(
      "<g class=\"axis\"><text x=\"{0}\" y=\"{3}\" text-anchor=\"start\">{4}</text><text x=\"{1}\" "
      "y=\"{3}\" text-anchor=\"middle\">{5}</text><text x=\"{2}\" y=\"{3}\" "
      "text-anchor=\"end\">{6}</text><text x=\"{1}\" y=\"{7}\" text-anchor=\"middle\">n = {8}, "
      "{9} bins, tallest {10}</text></g>",
      kLeft, (kLeft + kRight) / 2, kRight, kBottom + 14, h(short_ms(lo)),
      h(short_ms((lo + hi) / 2)), h(short_ms(hi)), kBottom + 30, s.count, s.histogram.size(),
      tallest);
  return out + "</svg>";
}

// ---------------------------------------------------------------------------------------------
// The parts of one perf section

struct Metric {
  const char* name;
  const char* what;
  LatencyStats PerfLevel::*stats;
};

constexpr std::array<Metric, 5> kMetrics = {{
    {"TTFT", "time to first token", &PerfLevel::ttft_ms},
    {"TPOT", "time per output token after the first", &PerfLevel::tpot_ms},
    {"ITL", "gaps between token events, pooled", &PerfLevel::itl_ms},
    {"E2E", "sent to last token", &PerfLevel::e2e_ms},
    {"send delay", "sent − scheduled (client queueing)", &PerfLevel::send_delay_ms},
}};

void render_verdict(const PerfSection& s, std::ostream& out) {
  const bool sweep = s.levels.size() > 1 || s.scenario == "sweep";
  if (s.levels.empty()) {
    out << "<div class=\"banner error\"><span class=\"verdict\">No load level ran.</span></div>";
    return;
  }
  if (sweep) {
    if (s.best_level && *s.best_level < s.levels.size()) {
      const auto& best = s.levels[*s.best_level];
      out << "<div class=\"banner ok\"><span class=\"verdict\">Best: " << h(perf_level_label(best))
          << "</span> — the highest load that is VALID"
          << (has_slos(s.slos) ? " and meets the SLOs" : "") << ": "
          << h(fmt::format("{} req/s, {} output tok/s, goodput {} req/s",
                           rate(best.request_throughput), rate(best.output_throughput),
                           rate(best.goodput)))
          << ".</div>";
    } else {
      const PerfLevel* closest = nullptr;  // the VALID level with the highest SLO attainment
      for (const auto& L : s.levels) {
        if (L.valid && L.slo_attainment &&
            (closest == nullptr || *L.slo_attainment > closest->slo_attainment.value_or(0)))
          closest = &L;
      }
      out << "<div class=\"banner error\"><span class=\"verdict\">No level is VALID"
          << (has_slos(s.slos) ? " and meets the SLOs" : "") << ".</span> "
          << h(fmt::format("{} of {} levels are VALID",
                           std::count_if(s.levels.begin(), s.levels.end(),
                                         [](const PerfLevel& L) { return L.valid; }),
                           s.levels.size()));
      if (closest != nullptr && has_slos(s.slos)) {
        out << h(
            fmt::format("; the closest, {}, has {} of its requests within the SLOs ({} "
                        "required)",
                        perf_level_label(*closest), percent(*closest->slo_attainment),
                        percent(s.slos.attainment)));
      }
      out << ". No load can be reported as this model's capacity.</div>";
    }
  } else {
    const auto& L = s.levels.front();
    out << "<div class=\"banner " << (L.valid ? "ok" : "error") << "\"><span class=\"verdict\">"
        << (L.valid ? "VALID" : "INVALID") << "</span> "
        << h(fmt::format("{}: {} of {} requests completed in {:.2f} s", perf_level_label(L),
                         L.completed, L.requests, L.duration_s))
        << (L.valid ? ": every validity rule holds." : ".") << "</div>";
    if (L.valid && has_slos(s.slos) && !L.meets_slos) {
      out << "<div class=\"banner warn\"><b>Misses the SLOs:</b> "
          << h(fmt::format("{} of the requests met them; {} required.",
                           L.slo_attainment ? percent(*L.slo_attainment) : "—",
                           percent(s.slos.attainment)))
          << "</div>";
    }
  }
  // Every INVALID level with every reason, so a number is never read without its caveats.
  std::vector<const PerfLevel*> invalid;
  for (const auto& L : s.levels) {
    if (!L.valid) invalid.push_back(&L);
  }
  if (invalid.empty()) return;
  out << "<div class=\"banner " << (sweep ? "warn" : "error") << "\"><b>"
      << (sweep ? h(fmt::format("{} INVALID level{}:", invalid.size(),
                                invalid.size() == 1 ? "" : "s"))
                : "Why INVALID:")
      << "</b><ul>";
  for (const auto* L : invalid) {
    if (L->invalid_reasons.empty()) {
      out << "<li>" << (sweep ? h(perf_level_label(*L)) + ": " : "") << "no reason recorded</li>";
    }
    for (const auto& why : L->invalid_reasons) {
      out << "<li>" << (sweep ? "<b>" + h(perf_level_label(*L)) + "</b>: " : "") << h(why)
          << "</li>";
    }
  }
  out << "</ul></div>";
}

void render_facts(const LabelledPerfSection& labelled, std::ostream& out) {
  const auto& s = *labelled.section;
  out << "<table class=\"kv\"><tbody>";
  kv(out, "model", s.model.empty() ? "not recorded" : s.model);
  kv(out, "server", labelled.server.empty() ? "not recorded" : labelled.server);
  if (!s.backend_fingerprint.empty()) kv(out, "backend fingerprint", s.backend_fingerprint);
  kv(out, "scenario", s.scenario);
  kv(out, "schedule", schedule_text(s));
  kv(out, "workload", workload_text(s.workload));
  kv(out, "SLOs", slos_text(s.slos));
  kv(out, "validity rules", validity_text(s.validity));
  const PerfCost* cost = nullptr;
  for (const auto& L : s.levels) {
    if (L.cost) {
      cost = &*L.cost;
      break;
    }
  }
  if (cost != nullptr) {
    kv(out, "price",
       fmt::format("{} × {} at ${:g} per GPU-hour · {}", cost->gpu_count,
                   cost->gpu.empty() ? "GPU" : cost->gpu, cost->usd_per_gpu_hour,
                   cost->price_source));
    if (cost->power_w) {
      kv(out, "power", fmt::format("{:g} W per GPU · {}", *cost->power_w, cost->power_source));
    }
  } else if (std::none_of(s.levels.begin(), s.levels.end(),
                          [](const PerfLevel& L) { return L.token_cost.has_value(); })) {
    kv(out, "price", "none given (--gpu, --price or --prices): no costs");
  }
  for (const auto& L : s.levels) {
    if (!L.token_cost) continue;
    const auto& t = *L.token_cost;
    kv(out, "token prices",
       fmt::format("{}: ${:g} per 1M input, ${:g} per 1M output tokens · table of {}",
                   t.price_model, t.usd_per_1m_input_tokens, t.usd_per_1m_output_tokens_rate,
                   t.prices_as_of));
    break;
  }
  for (const auto& L : s.levels) {
    if (!L.server_metrics) continue;
    kv(out, "server metrics", "Prometheus, " + public_url(L.server_metrics->url));
    break;
  }
  for (const auto& L : s.levels) {
    if (!L.gpu_telemetry) continue;
    kv(out, "GPU telemetry",
       L.gpu_telemetry->available ? fmt::format("NVML, every {:g} ms", L.gpu_telemetry->interval_ms)
                                  : "NVML " + L.gpu_telemetry->note);
    break;
  }
  kv(out, "per-request records", s.requests_file.empty() ? "not written" : s.requests_file);
  out << "</tbody></table>";
}

void render_levels(const PerfSection& s, std::ostream& out) {
  const bool slos = has_slos(s.slos);
  out << "<h3>Load levels</h3><div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
         "<th>Level<span class=\"sub\">verdict</span></th><th class=\"num\">Requests<span "
         "class=\"sub\">in duration</span></th><th class=\"num\">Failed</th><th "
         "class=\"num\">Requests/s</th><th class=\"num\">Images/s</th><th class=\"num\">Output "
         "tok/s</th><th class=\"num\">Total tok/s</th><th class=\"num\">Goodput<span "
         "class=\"sub\">req/s</span></th><th class=\"num\">SLO attained</th><th "
         "class=\"num\">TTFT p99<span class=\"sub\">ms</span></th><th class=\"num\">E2E p99<span "
         "class=\"sub\">ms</span></th></tr></thead><tbody>";
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    const auto& L = s.levels[i];
    const bool best = s.best_level == i;
    std::string failures;
    for (const auto& [kind, n] : L.failures_by_kind)
      failures += (failures.empty() ? "" : ", ") + fmt::format("{} {}", n, kind);
    out << "<tr><td" << (load_of(L) ? fmt::format(" data-v=\"{}\"", *load_of(L)) : "") << "><b>"
        << nowrap(perf_level_label(L)) << "</b>";
    if (L.achieved_rate) {
      out << "<span class=\"sub\">" << nowrap("sent " + rate(*L.achieved_rate) + "/s") << "</span>";
    }
    out << "<div>" << verdict_chips(L, slos, best) << "</div></td>"
        << num_cell(static_cast<double>(L.requests), std::to_string(L.requests),
                    fmt::format("in {:.2f} s", L.duration_s))
        << "<td class=\"num\" data-v=\"" << L.failed << "\">" << L.failed
        << (failures.empty() ? "" : "<span class=\"sub\">" + h(failures) + "</span>") << "</td>"
        << num_cell(L.request_throughput, rate(L.request_throughput))
        << num_cell(L.image_throughput, rate(L.image_throughput))
        << num_cell(L.output_throughput, rate(L.output_throughput),
                    L.token_source == "usage" ? "" : "counted: " + L.token_source)
        << num_cell(L.total_token_throughput, rate(L.total_token_throughput))
        << num_cell(L.goodput, rate(L.goodput)) << opt_cell(L.slo_attainment, percent)
        << opt_cell(L.ttft_ms.p99, ms) << opt_cell(L.e2e_ms.p99, ms) << "</tr>";
  }
  out << "</tbody></table></div><p class=\"legend\">Rates are per second of the level's duration "
         "(first request due → last request ended), counting completed requests; goodput counts "
         "those that met every SLO"
      << (has_slos(s.slos) ? "" : " (no SLOs given: goodput = requests/s)")
      << ". A level is VALID when every validity rule above holds"
      << (s.scenario == "sweep" ? "; ★ marks the highest load that is VALID and meets the SLOs"
                                : "")
      << ".</p>";
}

void render_load_curves(const PerfSection& s, std::ostream& out) {
  const auto axis = load_axis(s.levels);
  if (!axis) return;
  std::vector<bool> valid;
  for (const auto& L : s.levels)
    valid.push_back(L.valid);
  const auto series = [&](auto get) {
    std::vector<double> y;
    for (const auto& L : s.levels)
      y.push_back(get(L));
    return y;
  };
  const auto stat = [&](LatencyStats PerfLevel::*m, std::optional<double> LatencyStats::*p) {
    return series([&](const PerfLevel& L) { return ((L.*m).*p).value_or(kNaN); });
  };
  out << "<h3>Throughput and latency against load</h3><p class=\"lead\">Each point is one level "
         "of the sweep"
      << (axis->rate ? "; a server that keeps up follows the dotted line (achieved = offered)" : "")
      << ". Hollow points are INVALID levels, the green line the best level.</p>"
         "<div class=\"charts\">";
  out << "<figure><figcaption>Requests per second<span class=\"sub\">higher is better</span>"
         "</figcaption>"
      << load_chart(*axis,
                    {{"completed", series([](const PerfLevel& L) { return L.request_throughput; }),
                      0, false},
                     {"goodput", series([](const PerfLevel& L) { return L.goodput; }), 3, true}},
                    valid, s.best_level, {}, axis->rate, "requests/s",
                    s.model + ": requests per second against load")
      << "</figure>";
  out << "<figure><figcaption>Output tokens per second<span class=\"sub\">higher is better"
         "</span></figcaption>"
      << load_chart(
             *axis,
             {{"output tok/s", series([](const PerfLevel& L) { return L.output_throughput; }), 1,
               false},
              {"good output tok/s",
               series([](const PerfLevel& L) { return L.good_output_throughput; }), 3, true}},
             valid, s.best_level, {}, false, "tokens/s",
             s.model + ": output tokens per second against load")
      << "</figure>";
  const struct {
    const char* name;
    LatencyStats PerfLevel::*m;
    std::optional<double> slo;
    int series;
  } latencies[] = {{"TTFT", &PerfLevel::ttft_ms, s.slos.ttft_ms, 0},
                   {"TPOT", &PerfLevel::tpot_ms, s.slos.tpot_ms, 3},
                   {"E2E", &PerfLevel::e2e_ms, s.slos.e2e_ms, 5}};
  for (const auto& lat : latencies) {
    const auto p50 = stat(lat.m, &LatencyStats::p50);
    const auto p99 = stat(lat.m, &LatencyStats::p99);
    if (std::none_of(p99.begin(), p99.end(), [](double v) { return std::isfinite(v); })) continue;
    std::vector<Reference> refs;
    if (lat.slo) refs.push_back({*lat.slo, fmt::format("SLO {:g} ms", *lat.slo)});
    out << "<figure><figcaption>" << lat.name
        << " p50 and p99<span class=\"sub\">ms, lower is better</span></figcaption>"
        << load_chart(*axis,
                      {{std::string(lat.name) + " p50", p50, lat.series, false},
                       {std::string(lat.name) + " p99", p99, lat.series, true}},
                      valid, s.best_level, refs, false, "ms",
                      s.model + ": " + lat.name + " p50 and p99 against load")
        << "</figure>";
  }
  out << "</div>";
}

void render_percentile_table(const PerfSection& s, std::ostream& out) {
  const bool several = s.levels.size() > 1;
  out << "<div class=\"scroll\"><table><thead><tr><th>Latency</th>"
      << (several ? "<th>Level</th>" : "")
      << "<th class=\"num\">n</th><th class=\"num\">mean</th><th class=\"num\">std</th><th "
         "class=\"num\">min</th><th class=\"num\">p50</th><th class=\"num\">p90</th><th "
         "class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">p99.9</th><th "
         "class=\"num\">max</th></tr></thead>";
  for (const auto& metric : kMetrics) {
    out << "<tbody>";
    for (std::size_t i = 0; i < s.levels.size(); ++i) {
      const auto& L = s.levels[i];
      const auto& st = L.*metric.stats;
      out << "<tr><td>";
      if (i == 0) {
        out << "<b>" << metric.name << "</b><span class=\"sub\">" << metric.what << "</span>";
      }
      out << "</td>" << (several ? "<td>" + h(perf_level_label(L)) + "</td>" : "")
          << num_cell(static_cast<double>(st.count), std::to_string(st.count));
      for (const auto& v :
           {st.mean, st.std, st.min, st.p50, st.p90, st.p95, st.p99, st.p999, st.max})
        out << opt_cell(v, ms);
      out << "</tr>";
    }
    out << "</tbody>";
  }
  out << "</table></div><p class=\"legend\">Milliseconds. Percentiles interpolate linearly "
         "between closest ranks (NumPy's default); std divides by n. TPOT needs replies of more "
         "than one token and TTFT, TPOT and ITL a streaming backend: without them n is 0 and the "
         "figures are —.</p>";
}

void render_distributions(const PerfSection& s, std::ostream& out) {
  out << "<h3>Latency distributions</h3><p class=\"lead\">TTFT, TPOT, ITL, E2E and the client's "
         "send delay"
      << (s.levels.size() > 1 ? " at every level" : "") << ": the percentile table, "
      << (s.levels.size() > 1 ? "percentile bars per level, " : "")
      << "and the histogram each level recorded.</p>";
  render_percentile_table(s, out);
  if (s.levels.size() > 1) {
    std::vector<std::string> labels;
    for (const auto& L : s.levels)
      labels.push_back(perf_level_label(L));
    out << "<div class=\"charts\">";
    for (const auto& metric : kMetrics) {
      std::vector<const LatencyStats*> stats;
      for (const auto& L : s.levels)
        stats.push_back(&(L.*metric.stats));
      const auto chart =
          percentile_bars(labels, stats, s.model + ": " + metric.name + " percentiles per level");
      if (chart.empty()) continue;
      out << "<figure><figcaption>" << metric.name << " per level<span class=\"sub\">ms, "
          << metric.what << "</span></figcaption>" << chart << "</figure>";
    }
    out << "</div>";
  }
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    const auto& L = s.levels[i];
    // The best level's histograms open, or the highest load's when no level is best.
    const bool open = s.best_level ? *s.best_level == i : i + 1 == s.levels.size();
    out << "<details" << (open ? " open" : "") << "><summary>Histograms at "
        << h(perf_level_label(L)) << (s.best_level == i ? " (best)" : "")
        << "</summary><div class=\"charts\">";
    for (const auto& metric : kMetrics) {
      const auto& st = L.*metric.stats;
      const auto chart = histogram_chart(
          st, fmt::format("{}: {} at {} (histogram)", s.model, metric.name, perf_level_label(L)));
      if (chart.empty()) continue;
      out << "<figure><figcaption>" << metric.name << "<span class=\"sub\">" << metric.what
          << "</span></figcaption>" << chart << "</figure>";
    }
    out << "</div>";
    if (!L.windows.empty()) {
      out << "<div class=\"scroll\"><table class=\"breakdown\"><thead><tr><th>Steady-state "
             "window</th><th "
             "class=\"num\">Sent</th><th class=\"num\">Completed</th><th "
             "class=\"num\">Requests/s</th><th class=\"num\">Median E2E<span "
             "class=\"sub\">ms, of those sent</span></th></tr></thead><tbody>";
      for (const auto& w : L.windows) {
        out << "<tr><td>" << h(fmt::format("{:.2f} – {:.2f} s", w.start_s, w.end_s)) << "</td>"
            << num_cell(static_cast<double>(w.sent), std::to_string(w.sent))
            << num_cell(static_cast<double>(w.completed), std::to_string(w.completed))
            << num_cell(w.request_throughput, rate(w.request_throughput))
            << opt_cell(w.median_e2e_ms, ms) << "</tr>";
      }
      out << "</tbody></table></div>";
    }
    out << "</details>";
  }
}

/// An API model's cost from its token prices (--prices): what each level's tokens cost.
void render_token_cost(const PerfSection& s, std::ostream& out) {
  out << "<h3>Cost at API token prices</h3><p class=\"lead\">Each level's completed requests "
         "priced per token (prompt tokens, images included, at the input rate; output tokens at "
         "the output rate); $/1M output tokens includes the input tokens it took.</p><div "
         "class=\"scroll\"><table class=\"sortable\"><thead><tr><th>Level</th><th "
         "class=\"num\">Input tok</th><th class=\"num\">Output tok</th><th "
         "class=\"num\">$<span class=\"sub\">the level</span></th><th class=\"num\">$/1M output "
         "tok</th><th class=\"num\">$/1k images</th><th class=\"num\">$/1k requests</th><th "
         "class=\"num\">$/1k good requests</th><th class=\"num\">$/day<span class=\"sub\">at "
         "this load</span></th></tr></thead><tbody>";
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    const auto& L = s.levels[i];
    if (!L.token_cost) continue;
    const auto& c = *L.token_cost;
    out << "<tr><td><b>" << nowrap(perf_level_label(L)) << "</b>"
        << (s.best_level == i ? " <span class=\"chip\">★&nbsp;best</span>" : "")
        << (c.note.empty() ? "" : "<span class=\"sub\">" + h(c.note) + "</span>") << "</td>"
        << num_cell(static_cast<double>(L.prompt_tokens), grouped(L.prompt_tokens, 0))
        << num_cell(static_cast<double>(L.output_tokens), grouped(L.output_tokens, 0))
        << num_cell(c.usd, money(c.usd)) << opt_cell(c.usd_per_1m_output_tokens, money)
        << opt_cell(c.usd_per_1k_images, money) << opt_cell(c.usd_per_1k_requests, money)
        << opt_cell(c.usd_per_1k_good_requests, money) << opt_cell(c.usd_per_day, money) << "</tr>";
  }
  out << "</tbody></table></div>";
}

/// The server's own figures (--prometheus): per level, histogram means and counts, counter
/// increases and gauge values after the level.
void render_server_metrics(const PerfSection& s, std::ostream& out) {
  if (std::none_of(s.levels.begin(), s.levels.end(),
                   [](const PerfLevel& L) { return L.server_metrics.has_value(); })) {
    return;
  }
  out << "<h3>Server metrics</h3><p class=\"lead\">From the server's Prometheus endpoint, "
         "scraped just before and just after each level: histogram and summary means (Δsum ÷ "
         "Δcount), counter increases, gauge values after the level. Counters count everything "
         "the server did meanwhile, other clients included.</p>";
  const auto value = [](double v) { return grouped(v, std::fabs(v) < 100 ? 4 : 1); };
  for (const auto& L : s.levels) {
    if (!L.server_metrics) continue;
    const auto& m = *L.server_metrics;
    out << "<details open><summary>" << h(perf_level_label(L)) << "</summary>";
    if (!m.notes.empty()) {
      out << "<ul>";
      for (const auto& note : m.notes)
        out << "<li>" << h(note) << "</li>";
      out << "</ul>";
    }
    if (m.scraped) {
      out << "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>Series</th><th>Kind"
             "</th><th class=\"num\">Count<span class=\"sub\">histograms</span></th><th "
             "class=\"num\">Value<span class=\"sub\">mean, increase or after</span></th></tr>"
             "</thead><tbody>";
      for (const auto& x : m.histograms) {
        out << "<tr><td><code>" << h(perf_series_label(x.name, x.labels))
            << "</code></td><td>histogram</td>" << opt_cell(x.count, value)
            << opt_cell(x.mean, value) << "</tr>";
      }
      const std::pair<const char*, const std::vector<PerfServerSeries>*> lists[] = {
          {"counter", &m.counters}, {"gauge", &m.gauges}};
      for (const auto& [kind, list] : lists) {
        for (const auto& x : *list) {
          out << "<tr><td><code>" << h(perf_series_label(x.name, x.labels)) << "</code></td><td>"
              << kind << "</td><td class=\"num\" data-v=\"\"></td>" << opt_cell(x.value, value)
              << "</tr>";
        }
      }
      out << "</tbody></table></div>";
    }
    out << "</details>";
  }
}

/// NVML telemetry (--nvml): per level and GPU, power, energy, clocks, memory and utilisation.
void render_gpu_telemetry(const PerfSection& s, std::ostream& out) {
  if (std::none_of(s.levels.begin(), s.levels.end(),
                   [](const PerfLevel& L) { return L.gpu_telemetry.has_value(); })) {
    return;
  }
  out << "<h3>GPU telemetry</h3><p class=\"lead\">Sampled through NVML on the machine that ran "
         "lmmbench, from just before each level's first request to just after its last "
         "completion: sample means (power, clocks, utilisation), maxima (power, memory used) and "
         "the energy counter's increase (or the power integrated over time).</p>";
  std::vector<std::string> notes;
  for (const auto& L : s.levels) {
    if (L.gpu_telemetry && !L.gpu_telemetry->note.empty())
      notes.push_back(perf_level_label(L) + ": " + L.gpu_telemetry->note);
  }
  if (!notes.empty()) {
    out << "<ul>";
    for (const auto& note : notes)
      out << "<li>" << h(note) << "</li>";
    out << "</ul>";
  }
  const auto one = [](double v) { return grouped(v, 1); };
  const auto whole = [](double v) { return grouped(v, 0); };
  const auto gib = [](double v) { return grouped(v / (1 << 30), 2); };
  bool header = false;
  for (const auto& L : s.levels) {
    if (!L.gpu_telemetry) continue;
    for (const auto& g : L.gpu_telemetry->gpus) {
      if (!header) {
        out << "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>Level</th>"
               "<th>GPU</th><th class=\"num\">Samples</th><th class=\"num\">Power W<span "
               "class=\"sub\">mean</span></th><th class=\"num\">Power W<span "
               "class=\"sub\">max</span></th><th class=\"num\">Energy J</th><th "
               "class=\"num\">SM MHz<span class=\"sub\">mean</span></th><th "
               "class=\"num\">Memory MHz<span class=\"sub\">mean</span></th><th "
               "class=\"num\">Memory used GiB<span class=\"sub\">max</span></th><th "
               "class=\"num\">GPU util %<span class=\"sub\">mean</span></th><th "
               "class=\"num\">Memory util %<span class=\"sub\">mean</span></th></tr></thead>"
               "<tbody>";
        header = true;
      }
      out << "<tr><td>" << nowrap(perf_level_label(L)) << "</td><td>"
          << h(fmt::format("{} {}", g.index, g.name)) << "</td>"
          << num_cell(static_cast<double>(g.samples), grouped(static_cast<double>(g.samples), 0))
          << opt_cell(g.power_w_mean, one) << opt_cell(g.power_w_max, one)
          << num_cell(g.energy_j, g.energy_j ? one(*g.energy_j) : "",
                      g.energy_source == "integrated_power" ? "integrated power" : "")
          << opt_cell(g.sm_clock_mhz_mean, whole) << opt_cell(g.memory_clock_mhz_mean, whole)
          << opt_cell(g.memory_used_bytes_max, gib) << opt_cell(g.gpu_utilization_pct_mean, whole)
          << opt_cell(g.memory_utilization_pct_mean, whole) << "</tr>";
    }
  }
  if (header) out << "</tbody></table></div>";
}

void render_cost(const PerfSection& s, std::ostream& out) {
  if (std::any_of(s.levels.begin(), s.levels.end(),
                  [](const PerfLevel& L) { return L.token_cost.has_value(); })) {
    render_token_cost(s, out);
  }
  if (std::none_of(s.levels.begin(), s.levels.end(),
                   [](const PerfLevel& L) { return L.cost.has_value(); })) {
    out << "<h3>Cost</h3><p class=\"empty\">Not priced: give --gpu KIND (the GPU table's price) or "
           "--price USD per GPU-hour.</p>";
    return;
  }
  const auto& priced = *std::find_if(s.levels.begin(), s.levels.end(), [](const PerfLevel& L) {
                          return L.cost.has_value();
                        })->cost;
  out << "<h3>Cost</h3><p class=\"lead\">"
      << h(fmt::format("What serving at each level's measured rate costs on {} × {} at ${:g} per "
                       "GPU-hour, the GPUs busy all day",
                       priced.gpu_count, priced.gpu.empty() ? "GPU" : priced.gpu,
                       priced.usd_per_gpu_hour))
      << "; the goodput columns count only requests that met every SLO (and their tokens and "
         "images).</p><div class=\"scroll\"><table "
         "class=\"sortable\"><thead><tr><th>Level</th><th class=\"num\">$/day<span "
         "class=\"sub\">all GPUs</span></th><th class=\"num\">$/1M output tok<span "
         "class=\"sub\">at "
         "throughput</span></th><th class=\"num\">$/1M output tok<span class=\"sub\">at "
         "goodput</span></th><th class=\"num\">$/1k images<span class=\"sub\">at "
         "throughput</span></th><th class=\"num\">$/1k images<span class=\"sub\">at "
         "goodput</span></th><th class=\"num\">$/1k requests<span class=\"sub\">at "
         "throughput</span></th><th class=\"num\">$/1k requests<span class=\"sub\">at "
         "goodput</span></th><th class=\"num\">kWh/day</th></tr></thead><tbody>";
  std::vector<Bar> bars;
  double top = 0;
  for (std::size_t i = 0; i < s.levels.size(); ++i) {
    const auto& L = s.levels[i];
    if (!L.cost) continue;
    const auto& c = *L.cost;
    out << "<tr><td><b>" << nowrap(perf_level_label(L)) << "</b>"
        << (s.best_level == i ? " <span class=\"chip\">★&nbsp;best</span>" : "")
        << (L.valid ? "" : " <span class=\"chip failed\">INVALID</span>") << "</td>"
        << num_cell(c.usd_per_day, money(c.usd_per_day))
        << opt_cell(c.usd_per_1m_output_tokens, money)
        << opt_cell(c.usd_per_1m_good_output_tokens, money) << opt_cell(c.usd_per_1k_images, money)
        << opt_cell(c.usd_per_1k_good_images, money) << opt_cell(c.usd_per_1k_requests, money)
        << opt_cell(c.usd_per_1k_good_requests, money)
        << opt_cell(c.kwh_per_day, [](double v) { return grouped(v, 1); }) << "</tr>";
    if (c.usd_per_1m_output_tokens) {
      bars.push_back(Bar{perf_level_label(L), *c.usd_per_1m_output_tokens, kNoInterval,
                         money(*c.usd_per_1m_output_tokens),
                         s.best_level == i ? "improvement" : ""});
      top = std::max(top, *c.usd_per_1m_output_tokens);
    }
    if (c.usd_per_1m_good_output_tokens) {
      bars.push_back(Bar{"at goodput", *c.usd_per_1m_good_output_tokens, kNoInterval,
                         money(*c.usd_per_1m_good_output_tokens), "baseline"});
      top = std::max(top, *c.usd_per_1m_good_output_tokens);
    }
  }
  out << "</tbody></table></div><p class=\"legend\">$/day = GPUs × $/GPU-h × 24; $/1M output "
         "tokens = $/day ÷ (output tok/s × 86,400) × 10⁶, likewise per image and request; kWh/day "
         "from the power per GPU above. — : nothing was served at that rate (never $0).</p>";
  if (!bars.empty()) {
    out << "<figure><figcaption>$ per 1M output tokens<span class=\"sub\">lower is better; light "
           "bars at throughput, dark bars at goodput"
        << (s.best_level ? ", green the best level" : "") << "</span></figcaption>"
        << svg_bar_chart(bars, nice_axis_max(top, Unit::usd), Unit::usd,
                         s.model + ": US dollars per million output tokens per level")
        << "</figure>";
  }
}

/// With several runs: every level of every run side by side.
void render_comparison(const std::vector<LabelledPerfSection>& sections, std::ostream& out) {
  out << "<h3>All runs</h3><div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>Model"
         "<span class=\"sub\">run</span></th><th>Level<span class=\"sub\">verdict</span></th>"
         "<th class=\"num\">Requests/s</th><th class=\"num\">Output tok/s</th><th "
         "class=\"num\">Goodput<span class=\"sub\">req/s</span></th><th class=\"num\">TTFT "
         "p50<span class=\"sub\">ms</span></th><th class=\"num\">TTFT p99<span "
         "class=\"sub\">ms</span></th><th class=\"num\">TPOT p99<span class=\"sub\">ms</span>"
         "</th><th class=\"num\">E2E p99<span class=\"sub\">ms</span></th><th "
         "class=\"num\">$/1M output tok</th><th class=\"num\">$/1k images</th></tr></thead>"
         "<tbody>";
  for (const auto& [label, section, server] : sections) {
    if (section == nullptr) continue;
    for (std::size_t i = 0; i < section->levels.size(); ++i) {
      const auto& L = section->levels[i];
      const auto cost = [&](std::optional<double> PerfCost::*f) {
        return L.cost ? (*L.cost).*f : std::nullopt;
      };
      out << "<tr><td><b>" << nowrap(section->model) << "</b><span class=\"sub\">" << h(label)
          << "</span></td><td><b>" << nowrap(perf_level_label(L)) << "</b><div>"
          << verdict_chips(L, has_slos(section->slos), section->best_level == i) << "</div></td>"
          << num_cell(L.request_throughput, rate(L.request_throughput))
          << num_cell(L.output_throughput, rate(L.output_throughput))
          << num_cell(L.goodput, rate(L.goodput)) << opt_cell(L.ttft_ms.p50, ms)
          << opt_cell(L.ttft_ms.p99, ms) << opt_cell(L.tpot_ms.p99, ms)
          << opt_cell(L.e2e_ms.p99, ms)
          << opt_cell(cost(&PerfCost::usd_per_1m_output_tokens), money)
          << opt_cell(cost(&PerfCost::usd_per_1k_images), money) << "</tr>";
    }
  }
  out << "</tbody></table></div><p class=\"legend\">Each run's own SLOs, validity rules and "
         "prices apply (see its facts above). Click a column to sort.</p>";
}

}  // namespace

std::vector<LabelledPerfSection> perf_sections(const std::vector<LoadedRun>& runs) {
  std::vector<LabelledPerfSection> out;
  for (const auto& run : runs) {
    if (!run.record.perf) continue;
    LabelledPerfSection s{run.label, &*run.record.perf, ""};
    const auto& config = run.record.resolved_config;
    if (config.is_object() && config.contains("model") && config["model"].is_object()) {
      const auto& model = config["model"];
      std::vector<std::string> parts;
      if (const auto backend = field(model, "backend")) parts.push_back(*backend);
      if (model.contains("options") && model["options"].is_object()) {
        if (const auto url = field(model["options"], "base_url")) parts.push_back(public_url(*url));
        if (const auto id = field(model["options"], "model")) parts.push_back(*id);
      }
      s.server = fmt::format("{}", fmt::join(parts, " · "));
    }
    out.push_back(std::move(s));
  }
  return out;
}

void render_perf_html(const std::vector<LabelledPerfSection>& sections, std::ostream& out) {
  if (sections.empty()) return;
  out << "<section id=\"perf\"><h2>Serving performance</h2><p class=\"lead\">Latency, throughput, "
         "goodput and cost of a served model under the recorded load (<code>lmmbench perf</code>, "
         "docs/perf.md). TTFT: sent → first token event; TPOT: (E2E − TTFT) ÷ (output tokens − "
         "1); ITL: every gap between token events; E2E: sent → last token; send delay: how late "
         "the client sent against the schedule.</p>";
  for (const auto& labelled : sections) {
    if (labelled.section == nullptr) continue;
    const auto& s = *labelled.section;
    out << "<div class=\"category-block\"><h3>" << h(s.model.empty() ? "model" : s.model)
        << "<span class=\"sub\">"
        << h(fmt::format("{}{}", s.scenario,
                         sections.size() > 1 ? " · run " + labelled.run_label : ""))
        << "</span></h3>";
    render_verdict(s, out);
    render_facts(labelled, out);
    render_levels(s, out);
    render_load_curves(s, out);
    render_distributions(s, out);
    render_cost(s, out);
    render_server_metrics(s, out);
    render_gpu_telemetry(s, out);
    out << "</div>";
  }
  if (sections.size() > 1) render_comparison(sections, out);
  out << "</section>\n";
}

std::string perf_summary(const PerfSection& s) {
  const std::string model = s.model.empty() ? "model" : s.model;
  if (s.levels.empty()) return model + " · " + s.scenario + " · no level ran";
  if (s.levels.size() == 1 && s.scenario != "sweep") {
    const auto& L = s.levels.front();
    return fmt::format("{} · {} · {}{}", model, perf_level_label(L), L.valid ? "VALID" : "INVALID",
                       L.valid && has_slos(s.slos) && !L.meets_slos ? ", misses the SLOs" : "");
  }
  std::string levels = fmt::format("{} levels", s.levels.size());
  if (const auto axis = load_axis(s.levels)) {
    const auto [lo, hi] = std::minmax_element(axis->x.begin(), axis->x.end());
    levels = axis->rate ? fmt::format("{} rates, {:g}–{:g}/s", s.levels.size(), *lo, *hi)
                        : fmt::format("{} concurrencies, {:g}–{:g}", s.levels.size(), *lo, *hi);
  }
  return fmt::format("{} · sweep of {} · {}", model, levels,
                     s.best_level && *s.best_level < s.levels.size()
                         ? "best: " + perf_level_label(s.levels[*s.best_level])
                         : "no level is VALID and meets the SLOs");
}

}  // namespace lmmbench::reports
