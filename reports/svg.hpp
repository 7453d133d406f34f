#pragma once

#include <array>
#include <cstddef>
#include <optional>
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

/// Points of a line chart drawn apart from the rest.
struct PointMarks {
  std::vector<bool> hollow;  ///< Per x: a hollow marker (e.g. a level that failed its checks).
  std::string hollow_label;  ///< In the hollow markers' tooltips ("INVALID level").
  std::optional<std::size_t> highlight;  ///< An x index marked by a labelled vertical line.
  std::string highlight_label;           ///< Its label ("best: rate 10/s").
  std::string
      identity_label;  ///< When set, a dotted y = x line so labelled ("achieved = offered").
};

/// Lines of y against x (e.g. throughput against concurrency), one per series, with markers, and
/// dashed reference lines (the y axis reaches the highest of them).
std::string svg_line_chart(const std::vector<double>& x,
                           const std::vector<std::vector<double>>& series,
                           const std::string& x_label, const std::string& title,
                           const std::vector<ReferenceLine>& references = {},
                           const PointMarks& marks = {});

/// One row of a range chart: its label and its values in rising order (NaN: not measured).
struct Range {
  std::string label;
  std::vector<double> values;
};

/// Ranges on one axis from 0 to `axis_max`, one row each; `names` name the values (e.g. min, p50,
/// p90, p99, p99.9, max; four or more). A thin whisker runs from the first value to the last,
/// solid bands from the second value to the third-last (each band lighter than the one before), a
/// heavy tick marks the second and a red tick the second-last; the row's <title> lists every value.
std::string svg_range_chart(const std::vector<Range>& rows, const std::vector<std::string>& names,
                            double axis_max, Unit unit, const std::string& title);

/// A round axis maximum at or above `value` (1, 2, 2.5, 5 × 10^k), 100 for percentages up to 100.
double nice_axis_max(double value, Unit unit);

}  // namespace lmmbench::reports
