#include "reports/svg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

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
                           const std::vector<ReferenceLine>& references) {
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
  for (std::size_t s = 0; s < series.size(); ++s) {
    std::string path;
    std::string markers;
    for (std::size_t i = 0; i < x.size() && i < series[s].size(); ++i) {
      if (!std::isfinite(x[i]) || !std::isfinite(series[s][i])) continue;
      path += fmt::format("{}{:.1f} {:.1f}", path.empty() ? "M" : "L", px(x[i]), py(series[s][i]));
      markers +=
          fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\"/>", px(x[i]), py(series[s][i]));
    }
    out += fmt::format("<g class=\"series-{}\"><path class=\"line\" d=\"{}\"/>{}</g>", s % 8, path,
                       markers);
  }
  return out + "</svg>";
}

}  // namespace lmmbench::reports
