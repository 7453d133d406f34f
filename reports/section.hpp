#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/metric_value.hpp"

namespace lmmbench::reports {

// A section of a run record as every renderer sees it: self-describing tables, facts, checks and
// objectives. The record's typed sections (perf, gpu) each have one small formatter that turns them
// into a Section (reports/perf_view.cpp, reports/gpu_view.cpp); Markdown, CSV, JUnit and HTML then
// render any Section the same way, and `lmmbench compare` gates its objectives. Nothing here knows
// what a section measures.

/// Which way a column's numbers are better.
enum class Better { neither, higher, lower };

/// A table column: its name, how its numbers read, and which way is better. A column without a
/// unit holds text.
struct Column {
  std::string name;
  std::optional<Unit> unit;
  Better better = Better::neither;
};

/// How a value is marked beside its number (a failed check, a best level).
enum class Mark { none, good, bad };

/// One table cell. A number that was not measured is nullopt and shows as "—", never as 0.
struct Value {
  std::optional<double> number;
  std::string text;  ///< Text columns; for numbers, an optional annotation shown after them.
  std::optional<std::array<double, 2>> ci95;
  Mark mark = Mark::none;

  static Value of(std::optional<double> n) { return Value{n, {}, std::nullopt, Mark::none}; }
  static Value words(std::string t, Mark m = Mark::none) {
    return Value{std::nullopt, std::move(t), std::nullopt, m};
  }
  static Value count(std::size_t n) { return of(static_cast<double>(n)); }
};

/// A column of text.
inline Column text_column(std::string name) {
  return Column{std::move(name), std::nullopt, Better::neither};
}

/// A column of numbers in `unit`.
inline Column number_column(std::string name, Unit unit, Better better = Better::neither) {
  return Column{std::move(name), unit, better};
}

/// A chart of a table's columns, drawn by the HTML report with reports/svg.hpp.
struct Chart {
  enum class Kind {
    line,  ///< One line per y column against the numbers of column `x`.
    bars,  ///< Grouped horizontal bars: one group per row (its first column), one bar per y column.
    /// One range per row (its first column) over the y columns, whose values rise along the row
    /// (min, p50, p90, p99, p99.9, max; four or more): a whisker from the first to the last, bands
    /// from the second to the third-last, ticks at the second and the second-last.
    ranges,
  };
  Kind kind = Kind::bars;
  std::size_t x = 0;
  std::vector<std::size_t> y;
  std::string title;
  /// Line charts: labelled horizontal lines in the y columns' unit (e.g. "SLO TTFT 250 ms").
  std::vector<std::pair<std::string, double>> references;
  /// The rows drawn, as indices into the table's rows; empty: every row.
  std::vector<std::size_t> rows;
  /// Line charts: rows whose points are drawn hollow (e.g. levels that failed their validity
  /// checks), named in the legend and the points' tooltips by `hollow_label`.
  std::vector<std::size_t> hollow;
  std::string hollow_label;
  /// Line charts: a row marked by a vertical line labelled `highlight_label` (e.g. the best level
  /// of a sweep).
  std::optional<std::size_t> highlight;
  std::string highlight_label;
  /// Line charts whose x and y share a unit: when set, a dotted y = x line so labelled (e.g.
  /// "achieved = offered", where a server that keeps up lies).
  std::string identity_label;
};

/// A chart of the y columns against column x; the marks are set afterwards.
[[nodiscard]] inline Chart chart_of(Chart::Kind kind, std::size_t x, std::vector<std::size_t> y,
                                    std::string title) {
  Chart chart;
  chart.kind = kind;
  chart.x = x;
  chart.y = std::move(y);
  chart.title = std::move(title);
  return chart;
}

/// A table: the first column names the row.
struct Table {
  std::string title;
  std::string note;  ///< One sentence under the title: what the rows are.
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;
  std::vector<Chart> charts;
  /// Detail (per-bin histograms, per-window figures, per-op times): the HTML report and the CSV
  /// show it, Markdown leaves it out and says so.
  bool detail = false;
};

/// A pass/fail outcome of the section (a load level's validity, a stage that failed to measure):
/// one JUnit test case each.
struct Check {
  std::string name;
  bool passed = true;
  std::string message;  ///< Why it failed; empty when it passed.
};

struct Section {
  std::string key;      ///< The record's key: "perf", "gpu".
  std::string title;    ///< "Serving performance", "GPU roofline and measurements".
  std::string summary;  ///< One line: what was measured and the verdict.
  std::vector<std::pair<std::string, std::string>> facts;  ///< Key, value: how it was measured.
  std::vector<std::string> notes;                          ///< Warnings a reader must see.
  std::vector<Table> tables;
  std::vector<Check> checks;
  /// The figures `lmmbench compare` gates on, each named uniquely within the section.
  std::vector<MetricValue> objectives;
};

/// A fraction as a percentage (0.25 → 25), absent when absent.
[[nodiscard]] inline std::optional<double> pct(const std::optional<double>& fraction) {
  return fraction ? std::optional<double>(100 * *fraction) : std::nullopt;
}

/// Appends `value` to the section's objectives under `name` when it is known.
void add_objective(Section& out, const std::string& name, const std::optional<double>& value,
                   Unit unit, bool higher_is_better);

/// A number formatted for a table cell of `column` (its unit, without the unit label), "—" when
/// absent, followed by the value's text annotation.
std::string format_value(const Column& column, const Value& value);

/// Whether the column's name already says its unit ("$/day", "requests/s", counts, text), so
/// headers need no unit label.
bool unit_in_name(const Column& column);

/// "name (unit)" for a table header; the name alone where unit_in_name.
std::string column_header(const Column& column);

}  // namespace lmmbench::reports
