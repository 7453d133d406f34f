#include "reports/junit.hpp"

#include <cmath>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "reports/cell_text.hpp"
#include "reports/escape.hpp"
#include "reports/format.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

/// One <testcase>, collected first so the suite's counts can precede it.
struct Case {
  std::string classname;
  std::string name;
  double seconds = 0.0;
  enum class Status { passed, failure, error, skipped } status = Status::passed;
  std::string type;     ///< Of the failure/error element.
  std::string message;  ///< One line.
  std::string details;  ///< The element's text / system-out.
};

std::string score_line(const Cell& cell) {
  const auto* h = cell.headline();
  if (h == nullptr) return std::string(to_string(cell.outcome));
  const std::string score =
      cell.has_score() ? fmt::format("{} {} (95 % interval {})", format_number(h->score, h->unit),
                                     unit_label(h->unit), format_interval(h->ci95, h->unit))
                       : std::string(kNoAnswers);
  return fmt::format("{} {}, n = {}, answered {}, errors {}, empty {}, unparsed {}",
                     h->metric + (h->variant.empty() ? "" : "/" + h->variant), score, h->n,
                     cell.answered(), cell.counts.error, cell.counts.empty, cell.counts.unparsed);
}

std::string comparison_line(const ScoreComparison& c) {
  std::string text = fmt::format(
      "baseline {} → new {} {}: Δ {}", format_number(c.baseline_score, c.unit),
      format_number(c.candidate_score, c.unit), unit_label(c.unit), format_delta(c.delta, c.unit));
  if (std::isfinite(c.ci95[0])) text += " " + format_interval(c.ci95, c.unit);
  text += fmt::format(", p = {} (adjusted {}; {}), shared samples {}", format_p_value(c.p_value),
                      format_p_value(c.p_adjusted), c.method, coverage_text(c));
  return text;
}

Case cell_case(const Report& report, std::size_t entry, const std::string& task, const Cell& cell) {
  Case k;
  k.classname = "lmmbench." + task;
  k.name = report.entries[entry].label;
  k.seconds = cell.wall_seconds;
  if (cell.scored()) k.details = score_line(cell);
  if (cell.outcome == CellOutcome::failed) {
    k.status = Case::Status::failure;
    k.type = "failed";
    k.message = "the cell failed: " + cell.message;
  } else if (cell.outcome == CellOutcome::too_many_errors) {
    k.status = Case::Status::failure;
    k.type = "too_many_errors";
    k.message = "over the error budget: " + cell.message;
  } else if (cell.outcome != CellOutcome::ok) {
    k.status = Case::Status::skipped;
    k.message =
        std::string(to_string(cell.outcome)) + (cell.message.empty() ? "" : ": " + cell.message);
  }
  return k;
}

Case gate_case(const Report& report, const ScoreComparison& c) {
  Case k;
  k.classname = "lmmbench." + c.task;
  k.name = report.entries[c.candidate_entry].model;
  if (const Cell* cell = report.cell(c.candidate_entry, c.task);
      cell != nullptr && c.candidate_entry != c.baseline_entry) {
    k.seconds = cell->wall_seconds;
  }
  switch (c.verdict) {
    case Verdict::pass:
    case Verdict::improvement:
      k.details = std::string(to_string(c.verdict)) + ": " + comparison_line(c);
      break;
    case Verdict::regression:
      k.status = Case::Status::failure;
      k.type = "regression";
      k.message = fmt::format("regression: {} {} (p = {})", format_delta(c.delta, c.unit),
                              unit_label(c.unit), format_p_value(c.p_adjusted));
      k.details = comparison_line(c);
      break;
    case Verdict::failed:
      k.status = Case::Status::failure;
      k.type = "failed";
      k.message = "the new cell failed: " + c.reason;
      break;
    case Verdict::not_comparable:
      k.status = Case::Status::error;
      k.type = "not_comparable";
      k.message = "not comparable: " + c.reason;
      break;
  }
  return k;
}

Case objective_case(const ObjectiveComparison& o) {
  Case k;
  k.classname = "lmmbench.perf";
  k.name = o.scope + " " + o.name;
  k.details =
      fmt::format("baseline {} → new {} ({:+.1f} % worse; tolerance {:.0f} %, noise {})",
                  format_with_unit(o.baseline, o.unit), format_with_unit(o.candidate, o.unit),
                  100 * o.worse_by, 100 * o.tolerance,
                  std::isfinite(o.noise) ? fmt::format("{:.1f} %", 100 * o.noise) : "unknown");
  if (o.verdict == Verdict::regression) {
    k.status = Case::Status::failure;
    k.type = "regression";
    k.message = "performance regression: " + k.details;
  }
  return k;
}

/// A section's checks, one case each, then one passing case per table (not detail) whose output
/// lists its rows: the numbers are in the JUnit file, the verdicts in the checks.
std::vector<Case> section_cases(const Section& section) {
  std::vector<Case> cases;
  const std::string classname = "lmmbench." + section.key;
  for (const auto& check : section.checks) {
    Case k;
    k.classname = classname;
    k.name = check.name;
    if (!check.passed) {
      k.status = Case::Status::failure;
      k.type = "check";
      k.message = check.name + ": " + check.message;
    }
    cases.push_back(std::move(k));
  }
  for (const auto& table : section.tables) {
    if (table.detail) continue;
    Case k;
    k.classname = classname;
    k.name = table.title;
    for (const auto& row : table.rows) {
      std::string line;
      for (std::size_t c = 0; c < table.columns.size() && c < row.size(); ++c) {
        const std::string value = format_value(table.columns[c], row[c]);
        if (c == 0) {
          line = value + ":";
        } else if (!value.empty() && value != "—") {
          line += " " + column_header(table.columns[c]) + " " + value + ";";
        }
      }
      if (!line.empty() && line.back() == ';') line.pop_back();
      k.details += (k.details.empty() ? "" : "\n") + line;
    }
    cases.push_back(std::move(k));
  }
  return cases;
}

void write_suite(std::ostream& out, const std::string& name, const std::vector<Case>& cases) {
  std::size_t failures = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;
  double seconds = 0.0;
  for (const auto& k : cases) {
    failures += k.status == Case::Status::failure ? 1 : 0;
    errors += k.status == Case::Status::error ? 1 : 0;
    skipped += k.status == Case::Status::skipped ? 1 : 0;
    seconds += k.seconds;
  }
  out << fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
      "time=\"{:.3f}\">\n",
      html_escape(name), cases.size(), failures, errors, skipped, seconds);
  for (const auto& k : cases) {
    out << fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n",
                       html_escape(k.classname), html_escape(k.name), k.seconds);
    switch (k.status) {
      case Case::Status::passed:
        break;
      case Case::Status::failure:
      case Case::Status::error:
        out << fmt::format("      <{0} type=\"{1}\" message=\"{2}\">{3}</{0}>\n",
                           k.status == Case::Status::failure ? "failure" : "error",
                           html_escape(k.type), html_escape(k.message), html_escape(k.details));
        break;
      case Case::Status::skipped:
        out << fmt::format("      <skipped message=\"{}\"/>\n", html_escape(k.message));
        break;
    }
    const bool details_written =
        k.status == Case::Status::failure || k.status == Case::Status::error;
    if (!k.details.empty() && !details_written) {
      out << "      <system-out>" << html_escape(k.details) << "</system-out>\n";
    }
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n";
}

}  // namespace

void JunitRenderer::do_render(const Report& report, std::ostream& out) const {
  std::ostringstream suites;
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;
  auto add_suite = [&](const std::string& name, const std::vector<Case>& cases) {
    for (const auto& k : cases) {
      ++tests;
      failures += k.status == Case::Status::failure ? 1 : 0;
      errors += k.status == Case::Status::error ? 1 : 0;
      skipped += k.status == Case::Status::skipped ? 1 : 0;
    }
    write_suite(suites, name, cases);
  };
  if (report.gate) {
    std::vector<Case> cases;
    for (const auto& c : report.comparisons)
      cases.push_back(gate_case(report, c));
    for (const auto& o : report.objectives)
      cases.push_back(objective_case(o));
    add_suite("lmmbench compare " + report.runs[0].label + " → " + report.runs[1].label, cases);
  } else {
    for (std::size_t r = 0; r < report.runs.size(); ++r) {
      std::vector<Case> cases;
      for (std::size_t e = 0; e < report.entries.size(); ++e) {
        if (report.entries[e].run != r) continue;
        for (const auto& task : report.tasks) {
          if (const Cell* cell = report.cell(e, task)) {
            auto k = cell_case(report, e, task, *cell);
            if (const auto* c = report.comparison(e, task);
                c != nullptr && c->verdict != Verdict::not_comparable) {
              k.details +=
                  "\nvs " + report.entries[c->baseline_entry].label + ": " + comparison_line(*c);
            }
            cases.push_back(std::move(k));
          }
        }
      }
      const auto& record = report.runs[r].record;
      const auto sections = sections_of(report.runs[r]);
      if (!cases.empty() || sections.empty()) {
        add_suite("lmmbench " + (record.run_name.empty() ? report.runs[r].label : record.run_name) +
                      " (" + report.runs[r].label + ")",
                  cases);
      }
      for (const auto& section : sections) {
        add_suite("lmmbench " + section.key + " (" + report.runs[r].label + ")",
                  section_cases(section));
      }
    }
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << fmt::format(
             "<testsuites name=\"lmmbench\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
             "skipped=\"{}\">\n",
             tests, failures, errors, skipped)
      << suites.str() << "</testsuites>\n";
}

}  // namespace lmmbench::reports
