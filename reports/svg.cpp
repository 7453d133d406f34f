#include "reports/svg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "reports/escape.hpp"
#include "reports/format.hpp"

namespace lmmbench::reports {

namespace {

constexpr double kWidth = 660;
constexpr double kLabelWidth = 150;
constexpr double kBarLeft = 160;
constexpr double kBarRight = 548;
constexpr double kValueLeft = 556;

/// Labels longer than `max` code points are cut with an ellipsis (the full text is in <title>).
std::string shorten(const std::string& text, std::size_t max) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++points > max) {
      return text.substr(0, i) + "…";
    }
  }
  return text;
}

double x_of(double value, double axis_max) {
  if (!std::isfinite(value) || axis_max <= 0) return kBarLeft;
  const double f = std::clamp(value / axis_max, 0.0, 1.0);
  return kBarLeft + f * (kBarRight - kBarLeft);
}

std::string open_svg(double height, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0:.0f} {1:.0f}\" width=\"{0:.0f}\" "
      "height=\"{1:.0f}\" role=\"img\" aria-label=\"{2}\"><title>{2}</title>",
      kWidth, height, html_escape(title));
}

/// Vertical grid lines with their values at the bottom of the plot.
std::string grid(double top, double bottom, double axis_max, Unit unit) {
  std::string out = "<g class=\"grid\">";
  std::string labels = "<g class=\"axis\">";
  for (int k = 0; k <= 4; ++k) {
    const double v = axis_max * k / 4.0;
    const double x = x_of(v, axis_max);
    out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>", x,
                       top, bottom);
    labels += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x, bottom + 13,
        html_escape(format_number(v, unit == Unit::percent ? Unit::count : unit)));
  }
  return out + "</g>" + labels + "</g>";
}

}  // namespace

double nice_axis_max(double value, Unit unit) {
  if (unit == Unit::percent && value <= 100.0) return 100.0;
  if (!std::isfinite(value) || value <= 0) return 1.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
  for (const double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (value <= step * magnitude * (1 + 1e-12)) return step * magnitude;
  }
  return 10.0 * magnitude;
}

std::string svg_bar_chart(const std::vector<Bar>& bars, double axis_max, Unit unit,
                          const std::string& title) {
  constexpr double kRow = 26;
  constexpr double kTop = 6;
  const double bottom = kTop + kRow * static_cast<double>(bars.size());
  std::string out = open_svg(bottom + 20, title);
  out += grid(kTop, bottom, axis_max, unit);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = kTop + kRow * static_cast<double>(i);
    const double mid = y + kRow / 2;
    out += fmt::format("<g><title>{}: {}</title>", html_escape(b.label), html_escape(b.value_text));
    out +=
        fmt::format("<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\" dy=\"0.35em\">{}</text>",
                    kLabelWidth, mid, html_escape(shorten(b.label, 24)));
    if (std::isfinite(b.value)) {
      const double x = x_of(b.value, axis_max);
      out += fmt::format(
          "<rect class=\"bar{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"14\" "
          "rx=\"2\"/>",
          b.css_class.empty() ? "" : " " + html_escape(b.css_class), kBarLeft, mid - 7,
          std::max(0.0, x - kBarLeft));
    }
    if (std::isfinite(b.interval[0]) && std::isfinite(b.interval[1]) &&
        b.interval[1] > b.interval[0]) {
      const double x0 = x_of(b.interval[0], axis_max);
      const double x1 = x_of(b.interval[1], axis_max);
      out += fmt::format(
          "<path class=\"whisker\" d=\"M{0:.1f} {2:.1f}H{1:.1f}M{0:.1f} {3:.1f}V{4:.1f}M{1:.1f} "
          "{3:.1f}V{4:.1f}\"/>",
          x0, x1, mid, mid - 5, mid + 5);
    }
    out +=
        fmt::format("<text class=\"value\" x=\"{:.0f}\" y=\"{:.1f}\" dy=\"0.35em\">{}</text></g>",
                    kValueLeft, mid, html_escape(b.value_text));
  }
  return out + "</svg>";
}

std::string svg_grouped_bars(const std::vector<std::string>& groups,
                             const std::vector<std::vector<double>>& series, double axis_max,
                             Unit unit, const std::string& title) {
  const double bar = 9;
  const double group_height = bar * static_cast<double>(series.size()) + 12;
  constexpr double kTop = 6;
  const double bottom = kTop + group_height * static_cast<double>(groups.size());
  std::string out = open_svg(bottom + 20, title);
  out += grid(kTop, bottom, axis_max, unit);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double y = kTop + group_height * static_cast<double>(g) + 6;
    out += fmt::format(
        "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\" dy=\"0.35em\">{}</text>", kLabelWidth,
        y + bar * static_cast<double>(series.size()) / 2, html_escape(shorten(groups[g], 24)));
    for (std::size_t s = 0; s < series.size(); ++s) {
      const double v =
          g < series[s].size() ? series[s][g] : std::numeric_limits<double>::quiet_NaN();
      if (!std::isfinite(v)) continue;
      out += fmt::format(
          "<rect class=\"series-{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
          "height=\"{:.0f}\"><title>{}: "
          "{}</title></rect>",
          s % 8, kBarLeft, y + bar * static_cast<double>(s),
          std::max(0.0, x_of(v, axis_max) - kBarLeft), bar - 1, html_escape(groups[g]),
          html_escape(format_with_unit(v, unit)));
    }
  }
  return out + "</svg>";
}

std::string svg_histogram(const std::vector<double>& values, Unit unit, const std::string& title) {
  std::vector<double> finite;
  for (const double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  constexpr double kHeight = 170;
  constexpr double kLeft = 40;
  constexpr double kRight = 640;
  constexpr double kTop = 8;
  constexpr double kBottom = 140;
  std::string out = open_svg(kHeight, title);
  if (finite.empty()) return out + "</svg>";
  const auto [lo_it, hi_it] = std::minmax_element(finite.begin(), finite.end());
  const double lo = *lo_it;
  const double hi = *hi_it > lo ? *hi_it : lo + 1;
  constexpr std::size_t kBins = 24;
  std::vector<std::size_t> counts(kBins, 0);
  for (const double v : finite) {
    const auto bin = std::min(kBins - 1, static_cast<std::size_t>((v - lo) / (hi - lo) * kBins));
    ++counts[bin];
  }
  const double top_count = static_cast<double>(*std::max_element(counts.begin(), counts.end()));
  const double w = (kRight - kLeft) / kBins;
  out += fmt::format("<g class=\"grid\"><line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/></g>",
                     kLeft, kRight, kBottom);
  for (std::size_t b = 0; b < kBins; ++b) {
    const double h =
        top_count > 0 ? (kBottom - kTop) * static_cast<double>(counts[b]) / top_count : 0;
    out += fmt::format(
        "<rect class=\"hist\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
        "height=\"{:.1f}\"><title>{} – {}: "
        "{}</title></rect>",
        kLeft + w * static_cast<double>(b) + 1, kBottom - h, w - 2, h,
        html_escape(format_with_unit(lo + (hi - lo) * static_cast<double>(b) / kBins, unit)),
        html_escape(format_with_unit(lo + (hi - lo) * static_cast<double>(b + 1) / kBins, unit)),
        counts[b]);
  }
  out += fmt::format(
      "<g class=\"axis\"><text x=\"{0}\" y=\"{3}\" text-anchor=\"start\">{4}</text><text x=\"{1}\" "
      "y=\"{3}\" text-anchor=\"middle\">{5}</text><text x=\"{2}\" y=\"{3}\" "
      "text-anchor=\"end\">{6}</text><text x=\"{0}\" y=\"{7}\">n = {8}, tallest bin {9}</text></g>",
      kLeft, (kLeft + kRight) / 2, kRight, kBottom + 14, html_escape(format_with_unit(lo, unit)),
      html_escape(format_with_unit((lo + hi) / 2, unit)), html_escape(format_with_unit(hi, unit)),
      kBottom + 28, finite.size(), static_cast<std::size_t>(top_count));
  return out + "</svg>";
}

std::string svg_line_chart(const std::vector<double>& x,
                           const std::vector<std::vector<double>>& series,
                           const std::string& x_label, const std::string& title,
                           const std::vector<ReferenceLine>& references, const PointMarks& marks) {
  constexpr double kHeight = 210;
  constexpr double kLeft = 56;
  constexpr double kRight = 640;
  constexpr double kTop = 10;
  constexpr double kBottom = 176;
  std::string out = open_svg(kHeight, title);
  double x_lo = std::numeric_limits<double>::infinity();
  double x_hi = -x_lo;
  double y_hi = 0;
  for (const double v : x) {
    if (std::isfinite(v)) {
      x_lo = std::min(x_lo, v);
      x_hi = std::max(x_hi, v);
    }
  }
  for (const auto& s : series) {
    for (const double v : s) {
      if (std::isfinite(v)) y_hi = std::max(y_hi, v);
    }
  }
  for (const auto& r : references) {
    if (std::isfinite(r.y)) y_hi = std::max(y_hi, r.y);
  }
  if (!std::isfinite(x_lo)) return out + "</svg>";
  if (x_hi <= x_lo) x_hi = x_lo + 1;
  y_hi = nice_axis_max(y_hi, Unit::ratio);
  auto px = [&](double v) { return kLeft + (v - x_lo) / (x_hi - x_lo) * (kRight - kLeft); };
  auto py = [&](double v) { return kBottom - v / y_hi * (kBottom - kTop); };
  out += "<g class=\"grid\">";
  std::string labels = "<g class=\"axis\">";
  for (int k = 0; k <= 4; ++k) {
    const double v = y_hi * k / 4.0;
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>", kLeft, kRight,
                       py(v), py(v));
    labels +=
        fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" dy=\"0.35em\">{:.4g}</text>",
                    kLeft - 6, py(v), v);
  }
  out += "</g>";
  labels += fmt::format(
      "<text x=\"{0}\" y=\"{2}\" text-anchor=\"start\">{3:.4g}</text><text x=\"{1}\" y=\"{2}\" "
      "text-anchor=\"end\">{4:.4g}</text><text x=\"{5}\" y=\"{2}\" "
      "text-anchor=\"middle\">{6}</text></g>",
      kLeft, kRight, kBottom + 16, x_lo, x_hi, (kLeft + kRight) / 2, html_escape(x_label));
  out += labels;
  for (const auto& r : references) {
    if (!std::isfinite(r.y)) continue;
    out += fmt::format(
        "<g class=\"reference\"><line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" "
        "stroke-dasharray=\"4 3\"/><text x=\"{1}\" y=\"{3:.1f}\" "
        "text-anchor=\"end\">{4}</text></g>",
        kLeft, kRight, py(r.y), py(r.y) - 3, html_escape(r.label));
  }
  if (!marks.identity_label.empty() && std::min(x_hi, y_hi) > x_lo) {
    const double end = std::min(x_hi, y_hi);
    out += fmt::format(
        "<g class=\"identity\"><path d=\"M{:.1f} {:.1f}L{:.1f} {:.1f}\" stroke-dasharray=\"3 3\" "
        "fill=\"none\"/><title>{}</title></g>",
        px(std::max(x_lo, 0.0)), py(std::max(x_lo, 0.0)), px(end), py(end),
        html_escape(marks.identity_label));
  }
  if (marks.highlight && *marks.highlight < x.size() && std::isfinite(x[*marks.highlight])) {
    const double at = px(x[*marks.highlight]);
    const bool left = at > kRight - 120;  // the label on the line's left near the right edge
    out += fmt::format(
        "<g class=\"highlight\"><line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><text "
        "x=\"{3:.1f}\" y=\"{4}\" text-anchor=\"{5}\">{6}</text></g>",
        at, kTop, kBottom, at + (left ? -4 : 4), kTop + 10, left ? "end" : "start",
        html_escape(marks.highlight_label));
  }
  for (std::size_t s = 0; s < series.size(); ++s) {
    std::string path;
    std::string markers;
    for (std::size_t i = 0; i < x.size() && i < series[s].size(); ++i) {
      if (!std::isfinite(x[i]) || !std::isfinite(series[s][i])) continue;
      path += fmt::format("{}{:.1f} {:.1f}", path.empty() ? "M" : "L", px(x[i]), py(series[s][i]));
      if (i < marks.hollow.size() && marks.hollow[i]) {
        markers += fmt::format(
            "<circle class=\"hollow\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"#fff\" "
            "stroke-width=\"1.5\"><title>{}</title></circle>",
            px(x[i]), py(series[s][i]), html_escape(marks.hollow_label));
      } else {
        markers += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\"/>", px(x[i]),
                               py(series[s][i]));
      }
    }
    out += fmt::format("<g class=\"series-{}\"><path class=\"line\" d=\"{}\"/>{}</g>", s % 8, path,
                       markers);
  }
  return out + "</svg>";
}

namespace {

/// The first band of a range chart solid, each later one lighter.
double band_opacity(std::size_t k) {
  return k == 1 ? 1.0 : 0.8 / static_cast<double>(k);
}

}  // namespace

std::string svg_range_chart(const std::vector<Range>& rows, const std::vector<std::string>& names,
                            double axis_max, Unit unit, const std::string& title) {
  constexpr double kRow = 26;
  constexpr double kTop = 6;
  const std::size_t n = names.size();
  const double bottom = kTop + kRow * static_cast<double>(rows.size());
  const double legend = bottom + 34;
  std::string out = open_svg(legend + 10, title);
  if (n < 4) return out + "</svg>";
  out += grid(kTop, bottom, axis_max, unit);
  const auto at = [](const Range& r, std::size_t k) {
    return k < r.values.size() ? r.values[k] : std::numeric_limits<double>::quiet_NaN();
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double mid = kTop + kRow * static_cast<double>(i) + kRow / 2;
    std::vector<std::string> parts;
    for (std::size_t k = 0; k < n; ++k) {
      parts.push_back(names[k] + " " +
                      (std::isfinite(at(r, k)) ? format_with_unit(at(r, k), unit) : "—"));
    }
    out += fmt::format(
        "<g class=\"range\"><title>{}: {}</title><text x=\"{:.0f}\" y=\"{:.1f}\" "
        "text-anchor=\"end\" dy=\"0.35em\">{}</text>",
        html_escape(r.label), html_escape(fmt::format("{}", fmt::join(parts, " · "))), kLabelWidth,
        mid, html_escape(shorten(r.label, 24)));
    if (!std::isfinite(at(r, 1))) {
      out += fmt::format(
          "<text class=\"value\" x=\"{:.0f}\" y=\"{:.1f}\" dy=\"0.35em\">not measured</text></g>",
          kValueLeft, mid);
      continue;
    }
    if (std::isfinite(at(r, 0)) && std::isfinite(at(r, n - 1))) {
      const double x0 = x_of(at(r, 0), axis_max);
      const double x1 = x_of(at(r, n - 1), axis_max);
      out += fmt::format(
          "<path class=\"whisker\" d=\"M{0:.1f} {2:.1f}H{1:.1f}M{0:.1f} {3:.1f}V{4:.1f}M{1:.1f} "
          "{3:.1f}V{4:.1f}\"/>",
          x0, x1, mid, mid - 4, mid + 4);
    }
    for (std::size_t k = 1; k + 4 <= n; ++k) {
      if (!std::isfinite(at(r, k)) || !std::isfinite(at(r, k + 1))) continue;
      const double x0 = x_of(at(r, k), axis_max);
      const double x1 = x_of(at(r, k + 1), axis_max);
      out += fmt::format(
          "<rect class=\"bar band-{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
          "height=\"12\" fill-opacity=\"{:.2f}\"/>",
          k, x0, mid - 6, std::max(1.0, x1 - x0), band_opacity(k));
    }
    out += fmt::format("<path class=\"tick\" d=\"M{0:.1f} {1:.1f}V{2:.1f}\"/>",
                       x_of(at(r, 1), axis_max), mid - 8, mid + 8);
    if (std::isfinite(at(r, n - 2))) {
      out += fmt::format("<path class=\"tick high\" d=\"M{0:.1f} {1:.1f}V{2:.1f}\"/>",
                         x_of(at(r, n - 2), axis_max), mid - 7, mid + 7);
    }
    out += fmt::format(
        "<text class=\"value\" x=\"{:.0f}\" y=\"{:.1f}\" dy=\"0.35em\">{} {} · {} {}</text></g>",
        kValueLeft, mid, html_escape(names[1]), html_escape(format_with_unit(at(r, 1), unit)),
        html_escape(names[n - 3]),
        std::isfinite(at(r, n - 3)) ? html_escape(format_with_unit(at(r, n - 3), unit)) : "—");
  }
  // The legend: the bands, the two ticks and the whisker, named by their values.
  std::string keys = "<g class=\"legend\">";
  double lx = kBarLeft;
  const auto key = [&](const std::string& swatch, const std::string& name) {
    keys += fmt::format(
        "<g transform=\"translate({:.1f} {:.1f})\">{}<text x=\"20\" "
        "dy=\"0.35em\">{}</text></g>",
        lx, legend, swatch, html_escape(name));
    lx += 28 + 6.5 * static_cast<double>(name.size());
  };
  for (std::size_t k = 1; k + 4 <= n; ++k) {
    key(fmt::format("<rect class=\"bar band-{}\" x=\"0\" y=\"-5\" width=\"16\" height=\"10\" "
                    "fill-opacity=\"{:.2f}\"/>",
                    k, band_opacity(k)),
        names[k] + "–" + names[k + 1]);
  }
  key("<path class=\"tick\" d=\"M8 -7V7\"/>", names[1]);
  key("<path class=\"tick high\" d=\"M8 -7V7\"/>", names[n - 2]);
  key("<path class=\"whisker\" d=\"M0 0H16M0 -4V4M16 -4V4\"/>", names[0] + "–" + names[n - 1]);
  return out + keys + "</g></svg>";
}

}  // namespace lmmbench::reports
