#include "reports/csv.hpp"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "reports/escape.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

constexpr const char* kColumns[] = {"run",       "model",          "task",
                                    "outcome",   "metric",         "variant",
                                    "statistic", "value",          "unit",
                                    "stderr",    "ci95_low",       "ci95_high",
                                    "n",         "n_missing",      "n_unparsed",
                                    "errors",    "timeouts",       "baseline",
                                    "delta",     "delta_ci95_low", "delta_ci95_high",
                                    "p_value",   "p_adjusted",     "verdict",
                                    "answered",  "empty",          "section",
                                    "row"};
constexpr std::size_t kColumnCount = std::size(kColumns);

std::string number(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : std::string();
}

/// One row, built by column name so the order lives only in kColumns.
class Row {
 public:
  Row() : fields_(kColumnCount) {}
  Row& text(std::string_view column, std::string_view value) {
    return set(column, csv_field(value, true));
  }
  Row& num(std::string_view column, double value) { return set(column, number(value)); }
  Row& count(std::string_view column, std::size_t value) {
    return set(column, std::to_string(value));
  }
  void write(std::ostream& out) const {
    for (std::size_t i = 0; i < fields_.size(); ++i)
      out << (i ? "," : "") << fields_[i];
    out << "\r\n";
  }

 private:
  Row& set(std::string_view column, std::string value) {
    for (std::size_t i = 0; i < kColumnCount; ++i) {
      if (column == kColumns[i]) {
        fields_[i] = std::move(value);
        return *this;
      }
    }
    return *this;  // unreachable for the literal column names used below
  }
  std::vector<std::string> fields_;
};

}  // namespace

void CsvRenderer::do_render(const Report& report, std::ostream& out) const {
  for (std::size_t i = 0; i < kColumnCount; ++i)
    out << (i ? "," : "") << kColumns[i];
  out << "\r\n";
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    const auto& entry = report.entries[e];
    for (const auto& task : report.tasks) {
      const Cell* cell = report.cell(e, task);
      if (cell == nullptr) continue;
      Row base;
      base.text("run", report.runs[entry.run].label)
          .text("model", entry.model)
          .text("task", task)
          .text("outcome", to_string(cell->outcome));
      if (!cell->scored() || cell->scores.empty()) {
        base.write(out);
        continue;
      }
      const auto timeouts = cell->counts.errors_by_kind.find("timeout");
      for (std::size_t m = 0; m < cell->scores.size(); ++m) {
        const auto& s = cell->scores[m];
        Row row = base;
        // Over no answered sample there is no score: the value is left empty, never 0.
        const auto if_scored = [&](double v) { return cell->has_score() ? v : std::nan(""); };
        row.text("metric", s.metric)
            .text("variant", s.variant)
            .text("statistic", "score")
            .num("value", if_scored(s.score))
            .text("unit", to_string(s.unit))
            .num("stderr", if_scored(s.standard_error))
            .num("ci95_low", if_scored(s.ci95[0]))
            .num("ci95_high", if_scored(s.ci95[1]))
            .count("n", s.n)
            .count("n_missing", s.n_missing)
            .count("n_unparsed", s.n_unparsed)
            .count("errors", cell->counts.error)
            .count("answered", cell->answered())
            .count("empty", cell->counts.empty)
            .count("timeouts",
                   timeouts == cell->counts.errors_by_kind.end() ? 0 : timeouts->second);
        if (const auto* c = report.comparison(e, task); c != nullptr && m == 0) {
          row.text("baseline", report.entries[c->baseline_entry].label)
              .text("verdict", to_string(c->verdict));
          if (c->verdict != Verdict::not_comparable && c->verdict != Verdict::failed) {
            row.num("delta", c->delta)
                .num("delta_ci95_low", c->ci95[0])
                .num("delta_ci95_high", c->ci95[1])
                .num("p_value", c->p_value)
                .num("p_adjusted", c->p_adjusted);
          }
        }
        row.write(out);
        for (const auto& v : s.metrics) {
          Row sub = base;
          sub.text("metric", s.metric)
              .text("variant", s.variant)
              .text("statistic", v.name)
              .num("value", v.value)
              .text("unit", to_string(v.unit));
          sub.write(out);
        }
      }
    }
  }
  // Every number of every section, detail tables included: one row per table cell, named by
  // section, table ("metric"), row and column ("statistic").
  for (const auto& run : report.runs) {
    for (const auto& section : sections_of(run)) {
      for (const auto& table : section.tables) {
        for (const auto& values : table.rows) {
          const std::string row_name =
              values.empty() ? "" : format_value(table.columns[0], values[0]);
          // The row's marked text (a perf level's "VALID · meets SLOs · best"), on every row.
          std::string verdict;
          for (std::size_t c = 0; c < table.columns.size() && c < values.size(); ++c) {
            if (!table.columns[c].unit && values[c].mark != Mark::none) {
              verdict = values[c].text;
              break;
            }
          }
          for (std::size_t c = 1; c < table.columns.size() && c < values.size(); ++c) {
            const auto& column = table.columns[c];
            if (!column.unit || !values[c].number) continue;
            Row row;
            row.text("run", run.label)
                .text("section", section.key)
                .text("metric", table.title)
                .text("row", row_name)
                .text("statistic", column.name)
                .num("value", *values[c].number)
                .text("unit", to_string(*column.unit));
            if (!verdict.empty()) row.text("verdict", verdict);
            if (values[c].ci95) {
              row.num("ci95_low", (*values[c].ci95)[0]).num("ci95_high", (*values[c].ci95)[1]);
            }
            row.write(out);
          }
        }
      }
    }
  }
}

}  // namespace lmmbench::reports
