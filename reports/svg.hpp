#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/metric_value.hpp"

namespace lmmbench::reports {

// Inline SVG charts for the HTML report. Every label goes through html_escape; sizes are in CSS
// pixels and the charts scale down with their container (viewBox). Classes (bar, whisker,
// series-N ...) are styled by html_assets/report.css.

/// One bar of a horizontal bar chart.
struct Bar {
  std::string label;
  double value = 0.0;
  std::array<double, 2> interval{};  ///< Whisker; NaN ends are not drawn.
  std::string value_text;            ///< Written at the bar's end.
  std::string css_class;             ///< Extra class: "baseline", "regression", "improvement".
};

/// Horizontal bars from 0 to `axis_max` with interval whiskers and grid lines.
std::string svg_bar_chart(const std::vector<Bar>& bars, double axis_max, Unit unit,
                          const std::string& title);

/// Grouped horizontal bars: one group per `groups` entry, one bar per series (series[s][g]; NaN
/// leaves a gap), coloured series-0..7.
std::string svg_grouped_bars(const std::vector<std::string>& groups,
                             const std::vector<std::vector<double>>& series, double axis_max,
                             Unit unit, const std::string& title);

/// A histogram of `values` (e.g. latencies) with about 24 bins.
std::string svg_histogram(const std::vector<double>& values, Unit unit, const std::string& title);

/// A labelled horizontal reference line of a line chart (e.g. an SLO).
struct ReferenceLine {
  std::string label;
  double y = 0.0;
};

/// Lines of y against x (e.g. throughput against concurrency), one per series, with markers, and
/// dashed reference lines (the y axis reaches the highest of them).
std::string svg_line_chart(const std::vector<double>& x,
                           const std::vector<std::vector<double>>& series,
                           const std::string& x_label, const std::string& title,
                           const std::vector<ReferenceLine>& references = {});

/// A round axis maximum at or above `value` (1, 2, 2.5, 5 × 10^k), 100 for percentages up to 100.
double nice_axis_max(double value, Unit unit);

}  // namespace lmmbench::reports
