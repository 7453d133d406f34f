#include "reports/html_section.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "reports/escape.hpp"
#include "reports/format.hpp"
#include "reports/svg.hpp"

namespace lmmbench::reports {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string h(std::string_view text) {
  return html_escape(text);
}

double number_or_nan(const std::vector<Value>& row, std::size_t c) {
  return c < row.size() && row[c].number ? *row[c].number : kNaN;
}

/// The series' swatches, then `extra` (the marks' keys).
std::string legend(const Table& table, const std::vector<std::size_t>& columns,
                   const std::string& extra = "") {
  std::string out = "<p class=\"legend\">";
  for (std::size_t s = 0; s < columns.size(); ++s) {
    out += fmt::format("<span class=\"swatch series-{}\"></span>{} ", s % 8,
                       h(column_header(table.columns[columns[s]])));
  }
  return out + extra + "</p>";
}

std::string chart_svg(const Table& table, const Chart& chart) {
  std::vector<std::size_t> ys;
  for (const auto c : chart.y) {
    if (c < table.columns.size() && table.columns[c].unit) ys.push_back(c);
  }
  if (ys.empty()) return {};
  std::vector<std::size_t> rows = chart.rows;
  if (rows.empty()) {
    for (std::size_t r = 0; r < table.rows.size(); ++r)
      rows.push_back(r);
  }
  std::erase_if(rows, [&](std::size_t r) { return r >= table.rows.size(); });
  const auto label_of = [&](std::size_t r) {
    const auto& row = table.rows[r];
    return row.empty() ? std::string() : format_value(table.columns[0], row[0]);
  };
  std::vector<std::vector<double>> series(ys.size());
  double top = 0;
  for (std::size_t s = 0; s < ys.size(); ++s) {
    for (const auto r : rows) {
      const double v = number_or_nan(table.rows[r], ys[s]);
      series[s].push_back(v);
      if (std::isfinite(v)) top = std::max(top, v);
    }
  }
  if (top <= 0) return {};  // nothing measured to draw
  const Unit unit = *table.columns[ys.front()].unit;
  if (chart.kind == Chart::Kind::line) {
    std::vector<double> x;
    PointMarks marks;
    marks.hollow_label = chart.hollow_label;
    marks.highlight_label = chart.highlight_label;
    marks.identity_label = chart.identity_label;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      x.push_back(number_or_nan(table.rows[rows[i]], chart.x));
      marks.hollow.push_back(std::find(chart.hollow.begin(), chart.hollow.end(), rows[i]) !=
                             chart.hollow.end());
      if (chart.highlight == rows[i]) marks.highlight = i;
    }
    const std::string x_label =
        chart.x < table.columns.size() ? column_header(table.columns[chart.x]) : "";
    std::vector<ReferenceLine> references;
    for (const auto& [label, y] : chart.references)
      references.push_back({label, y});
    std::string keys;
    if (std::find(marks.hollow.begin(), marks.hollow.end(), true) != marks.hollow.end())
      keys += "<span class=\"swatch hollow\"></span>" + h(chart.hollow_label) + " ";
    if (!chart.identity_label.empty())
      keys += "<span class=\"swatch identity\"></span>" + h(chart.identity_label) + " ";
    if (marks.highlight)
      keys += "<span class=\"swatch highlight\"></span>" + h(chart.highlight_label) + " ";
    return "<figure>" + svg_line_chart(x, series, x_label, chart.title, references, marks) +
           legend(table, ys, keys) + "</figure>";
  }
  if (chart.kind == Chart::Kind::ranges) {
    std::vector<Range> ranges;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      Range range{label_of(rows[i]), {}};
      for (const auto& s : series)
        range.values.push_back(s[i]);
      ranges.push_back(std::move(range));
    }
    std::vector<std::string> names;
    for (const auto c : ys)
      names.push_back(table.columns[c].name);
    return "<figure>" +
           svg_range_chart(ranges, names, nice_axis_max(top, unit), unit, chart.title) +
           "</figure>";
  }
  std::vector<std::string> groups;
  for (const auto r : rows)
    groups.push_back(label_of(r));
  return "<figure>" +
         svg_grouped_bars(groups, series, nice_axis_max(top, unit), unit, chart.title) +
         (ys.size() > 1 ? legend(table, ys) : "") + "</figure>";
}

void render_table(const Table& table, std::ostream& out) {
  if (table.detail)
    out << "<details><summary>" << h(table.title) << "</summary>";
  else
    out << "<h4>" << h(table.title) << "</h4>";
  if (!table.note.empty()) out << "<p class=\"legend\">" << h(table.note) << "</p>";
  out << "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>";
  for (const auto& column : table.columns) {
    out << "<th" << (column.unit ? " class=\"num\"" : "") << ">" << h(column.name);
    if (!unit_in_name(column))
      out << "<span class=\"sub\">" << h(unit_label(*column.unit)) << "</span>";
    if (column.better != Better::neither)
      out << "<span class=\"sub\">" << (column.better == Better::higher ? "higher" : "lower")
          << " is better</span>";
    out << "</th>";
  }
  out << "</tr></thead><tbody>";
  for (const auto& row : table.rows) {
    out << "<tr>";
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const Value empty;
      const Value& v = c < row.size() ? row[c] : empty;
      const auto& column = table.columns[c];
      const std::string text = h(format_value(column, v));
      const std::string shown = v.mark == Mark::none
                                    ? text
                                    : fmt::format("<span class=\"chip {}\">{}</span>",
                                                  v.mark == Mark::good ? "pass" : "failed", text);
      if (column.unit) {
        out << "<td class=\"num\" data-v=\""
            << (v.number && std::isfinite(*v.number) ? fmt::format("{}", *v.number) : "") << "\">"
            << shown << "</td>";
      } else {
        out << "<td>" << shown << "</td>";
      }
    }
    out << "</tr>";
  }
  out << "</tbody></table></div>";
  for (const auto& chart : table.charts)
    out << chart_svg(table, chart);
  if (table.detail) out << "</details>";
}

}  // namespace

void render_sections_side_by_side(const std::vector<std::pair<std::string, Section>>& sections,
                                  std::ostream& out) {
  if (sections.size() < 2 || sections.front().second.tables.empty()) return;
  const Table& first = sections.front().second.tables.front();
  Table all;
  all.title = "All runs · " + first.title;
  all.note =
      "The first table of every run's section, one after another; each run's own facts "
      "(SLOs, prices, rules) apply to its rows.";
  all.columns.push_back(text_column("run"));
  // Columns joined by name, in the order they first appear (a sweep has a load column a single
  // level lacks); a run without a column shows "—" there.
  const auto column_of = [&](const Column& c) {
    for (std::size_t i = 1; i < all.columns.size(); ++i) {
      if (all.columns[i].name == c.name) return i;
    }
    all.columns.push_back(c);
    return all.columns.size() - 1;
  };
  for (const auto& [label, section] : sections) {
    if (section.tables.empty() || section.tables.front().title != first.title) continue;
    const Table& t = section.tables.front();
    std::vector<std::size_t> at;
    for (const auto& c : t.columns)
      at.push_back(column_of(c));
    for (const auto& row : t.rows) {
      std::vector<Value> joined(all.columns.size());
      joined[0] = Value::words(label);
      for (std::size_t c = 0; c < row.size() && c < at.size(); ++c)
        joined[at[c]] = row[c];
      all.rows.push_back(std::move(joined));
    }
  }
  out << "<div class=\"category-block\"><h3>All runs</h3>";
  render_table(all, out);
  out << "</div>";
}

void render_section_html(const Section& section, const std::string& run_label, std::ostream& out) {
  out << "<div class=\"category-block\"><h3>" << h(section.title);
  if (!run_label.empty()) out << "<span class=\"sub\">run " << h(run_label) << "</span>";
  out << "</h3><p class=\"lead\">" << h(section.summary) << "</p>";
  std::vector<std::string> failed;
  for (const auto& check : section.checks) {
    if (!check.passed) failed.push_back(check.name + ": " + check.message);
  }
  if (!failed.empty()) {
    out << "<div class=\"banner error\"><b>" << failed.size()
        << (failed.size() == 1 ? " check failed" : " checks failed") << ".</b><ul>";
    for (const auto& f : failed)
      out << "<li>" << h(f) << "</li>";
    out << "</ul></div>";
  }
  if (!section.notes.empty()) {
    out << "<div class=\"banner warn\"><ul>";
    for (const auto& note : section.notes)
      out << "<li>" << h(note) << "</li>";
    out << "</ul></div>";
  }
  out << "<table class=\"kv\"><tbody>";
  for (const auto& [key, value] : section.facts)
    out << "<tr><th>" << h(key) << "</th><td>" << h(value) << "</td></tr>";
  out << "</tbody></table>";
  for (const auto& table : section.tables)
    render_table(table, out);
  out << "</div>";
}

}  // namespace lmmbench::reports
