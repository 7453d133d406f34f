#include "reports/markdown.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "reports/cell_text.hpp"
#include "reports/escape.hpp"
#include "reports/format.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

std::string counts_note(const Cell& cell) {
  const auto notes = count_notes(cell.counts);
  return notes.empty() ? "" : " (" + fmt::format("{}", fmt::join(notes, ", ")) + ")";
}

std::string cell_text(const Cell& cell) {
  const auto* score = cell.headline();
  if (!cell.scored() || score == nullptr) return std::string(to_string(cell.outcome));
  std::string text(kNoAnswers);
  if (cell.has_score()) {
    text = format_number(score->score, score->unit);
    if (std::isfinite(score->standard_error)) {
      text += " ± " + format_number(score->standard_error, score->unit);
    }
  }
  text += counts_note(cell);
  if (cell.outcome == CellOutcome::too_many_errors) text += " ✗ over error budget";
  return text;
}

/// " · 297 of 300 samples answered" (with the cells over budget), or "" for runs without cells
/// (`perf`, `gpu`).
std::string answered_part(const Report& report) {
  std::vector<const RunRecord*> records;
  for (const auto& run : report.runs)
    records.push_back(&run.record);
  const auto count = count_answered(records);
  return count.total == 0 ? "" : " · " + answered_text(count);
}

std::string header_text(const std::string& task, const Cell* sample) {
  if (sample == nullptr || sample->headline() == nullptr) return task;
  const auto* s = sample->headline();
  return fmt::format("{} ({}{}, {})", task, s->metric,
                     s->variant.empty() || s->variant == "default" ? "" : "/" + s->variant,
                     to_string(s->unit));
}

const Cell* first_scored(const Report& report, const std::string& task) {
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    const Cell* c = report.cell(e, task);
    if (c != nullptr && c->headline() != nullptr) return c;
  }
  return nullptr;
}

std::string mark(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "✓";
    case Verdict::improvement:
      return "▲";
    case Verdict::regression:
    case Verdict::failed:
      return "✗";
    case Verdict::not_comparable:
      return "⚠️";
  }
  return "";
}

std::string provenance_line(const Report& report) {
  std::vector<std::string> parts;
  for (const auto& run : report.runs) {
    const auto& t = run.record.tool;
    parts.push_back(fmt::format("`{}` {} · lmmbench {} `{}`{} {}", markdown_cell(run.label),
                                markdown_cell(run.record.status), markdown_cell(t.version),
                                markdown_cell(t.git_revision.substr(0, 8)),
                                t.git_dirty ? " (modified)" : "", markdown_cell(t.build_type)));
  }
  return fmt::format("{}", fmt::join(parts, " → "));
}

/// One quoted line per warning, then a blank line; nothing when there is none.
void render_warnings(const Report& report, std::ostream& out) {
  bool any = false;
  for (const auto& run : report.runs) {
    const auto& t = run.record.tool;
    if (t.build_type != "Release" || !t.sanitizers.empty()) {
      out << "> ⚠️ `" << markdown_cell(run.label) << "` was made by a "
          << markdown_cell(t.build_type) << (t.sanitizers.empty() ? "" : " + sanitizer")
          << " build: scores are valid, timings are not.\n";
      any = true;
    }
    if (run.record.status != "complete") {
      out << "> ⚠️ `" << markdown_cell(run.label) << "` is " << markdown_cell(run.record.status)
          << ": not every cell ran.\n";
      any = true;
    }
  }
  if (any) out << '\n';
}

void render_grid(const Report& report, std::ostream& out) {
  out << "| model |";
  for (const auto& task : report.tasks)
    out << ' ' << markdown_cell(header_text(task, first_scored(report, task))) << " |";
  out << "\n|---|";
  for (std::size_t i = 0; i < report.tasks.size(); ++i)
    out << "---:|";
  out << '\n';
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    out << "| " << markdown_cell(report.entries[e].label)
        << (report.is_baseline(e) ? " *(baseline)*" : "") << " |";
    for (const auto& task : report.tasks) {
      const Cell* cell = report.cell(e, task);
      std::string text = cell ? markdown_cell(cell_text(*cell)) : std::string("—");
      if (const auto* c = report.comparison(e, task)) {
        if (c->verdict == Verdict::not_comparable) {
          text += " · " + mark(c->verdict) + " not comparable";
        } else if (c->verdict != Verdict::failed) {
          text += " · " + format_delta(c->delta, c->unit) + ' ' + mark(c->verdict);
        }
      }
      out << ' ' << text << " |";
    }
    out << '\n';
  }
}

void render_score_comparisons(const Report& report, std::ostream& out) {
  out << "| | model | task | baseline | new | Δ [95 % CI] | "
      << (report.options.gate.holm ? "p (Holm)" : "p") << " | shared samples (coverage) |\n"
      << "|---|---|---|---:|---:|---:|---:|---:|\n";
  for (const auto& c : report.comparisons) {
    const auto& model = report.entries[c.candidate_entry].model;
    const std::string task =
        markdown_cell(c.task) + (c.metric.empty() ? "" : " (" + markdown_cell(c.metric) + ")");
    out << "| " << mark(c.verdict) << " | " << markdown_cell(model) << " | " << task << " | "
        << format_number(c.baseline_score, c.unit) << " | ";
    if (c.verdict == Verdict::not_comparable || c.verdict == Verdict::failed) {
      out << "— | " << (c.verdict == Verdict::failed ? "failed: " : "not comparable: ")
          << markdown_cell(c.reason) << " | | |\n";
      continue;
    }
    std::string delta = format_delta(c.delta, c.unit);
    if (std::isfinite(c.ci95[0])) delta += " " + format_interval(c.ci95, c.unit);
    out << format_number(c.candidate_score, c.unit) << " | " << delta << " | "
        << format_p_value(c.p_adjusted) << " | " << coverage_text(c) << " |\n";
  }
}

void render_objectives(const Report& report, std::ostream& out) {
  out << "| | scope | objective | baseline | new | worse by | tolerance | noise |\n"
         "|---|---|---|---:|---:|---:|---:|---:|\n";
  for (const auto& o : report.objectives) {
    out << "| " << mark(o.verdict) << " | " << markdown_cell(o.scope) << " | "
        << markdown_cell(o.name) << " | " << format_with_unit(o.baseline, o.unit) << " | "
        << format_with_unit(o.candidate, o.unit) << " | "
        << (std::isfinite(o.worse_by) ? fmt::format("{:+.1f} %", 100 * o.worse_by) : "n/a") << " | "
        << fmt::format("{:.0f} %", 100 * o.tolerance) << " | "
        << (std::isfinite(o.noise) ? fmt::format("{:.1f} %", 100 * o.noise) : "—") << " |\n";
  }
}

void render_gate(const Report& report, std::ostream& out) {
  const auto summary = summarize(report);
  out << "## lmmbench compare: ";
  if (summary.regressions > 0) {
    out << "✗ " << summary.regressions
        << (summary.regressions == 1 ? " regression" : " regressions");
    if (summary.not_comparable > 0)
      out << ", ⚠️ " << summary.not_comparable << " not comparable";
  } else if (summary.not_comparable > 0) {
    out << "⚠️ " << summary.not_comparable << " not comparable";
  } else {
    out << "✓ no regression";
  }
  out << "\n\n"
      << provenance_line(report) << answered_part(report) << " · " << summary.compared
      << (summary.compared == 1 ? " comparison\n\n" : " comparisons\n\n");
  render_warnings(report, out);
  // Two `perf` runs have objectives and no scores.
  if (!report.comparisons.empty()) render_score_comparisons(report, out);
  if (!report.objectives.empty()) {
    if (!report.comparisons.empty()) out << '\n';
    render_objectives(report, out);
  }
  out << '\n';
  if (!report.comparisons.empty()) {
    out << "Baseline and new: scores on the samples both runs have (mean headlines; others as "
           "recorded). ✗ regression: "
        << describe_rule(report.options.gate)
        << " · ▲ significant gain of that size · ✓ neither · ⚠️ not comparable (data, "
           "prompt, "
           "parameters or metric changed, or coverage below "
        << fmt::format("{:g} %", 100 * report.options.gate.min_coverage) << ")";
  }
  if (!report.objectives.empty()) {
    out << (report.comparisons.empty() ? "" : " · ")
        << "performance objectives: ✗ worse than their tolerance and their noise (the two "
           "runs' 95 % intervals combined; — none recorded), ▲ better by as much, ✓ neither";
  }
  out << ".\n";
}

}  // namespace

void render_markdown_table(const RunRecord& record, std::ostream& out) {
  out << answered_text(count_answered({&record})) << "\n\n";
  std::vector<std::string> models;
  std::vector<std::string> tasks;
  for (const auto& cell : record.cells) {
    if (std::find(models.begin(), models.end(), cell.model) == models.end())
      models.push_back(cell.model);
    if (std::find(tasks.begin(), tasks.end(), cell.task) == tasks.end()) tasks.push_back(cell.task);
  }
  auto find = [&](const std::string& model, const std::string& task) -> const Cell* {
    for (const auto& cell : record.cells) {
      if (cell.model == model && cell.task == task) return &cell;
    }
    return nullptr;
  };

  out << "| model |";
  for (const auto& task : tasks) {
    const Cell* sample = nullptr;
    for (const auto& cell : record.cells) {
      if (cell.task == task && cell.headline() != nullptr) {
        sample = &cell;
        break;
      }
    }
    out << ' ' << markdown_cell(header_text(task, sample)) << " |";
  }
  out << "\n|---|";
  for (std::size_t i = 0; i < tasks.size(); ++i)
    out << "---:|";
  out << '\n';
  for (const auto& model : models) {
    out << "| " << markdown_cell(model) << " |";
    for (const auto& task : tasks) {
      const Cell* cell = find(model, task);
      out << ' ' << (cell ? markdown_cell(cell_text(*cell)) : std::string("—")) << " |";
    }
    out << '\n';
  }
}

void render_section_markdown(const Section& section, std::ostream& out,
                             const std::string& run_label) {
  out << "## " << markdown_cell(section.title) << (run_label.empty() ? "" : " · ")
      << markdown_cell(run_label) << "\n\n"
      << markdown_cell(section.summary) << "\n\n";
  for (const auto& [key, value] : section.facts)
    out << "- " << markdown_cell(key) << ": " << markdown_cell(value) << '\n';
  for (const auto& check : section.checks) {
    if (!check.passed)
      out << "- ✗ " << markdown_cell(check.name) << ": " << markdown_cell(check.message) << '\n';
  }
  for (const auto& note : section.notes)
    out << "- note: " << markdown_cell(note) << '\n';
  std::size_t details = 0;
  for (const auto& table : section.tables) {
    if (table.detail) {
      ++details;
      continue;
    }
    out << "\n### " << markdown_cell(table.title) << "\n\n";
    if (!table.note.empty()) out << markdown_cell(table.note) << "\n\n";
    out << '|';
    for (const auto& column : table.columns)
      out << ' ' << markdown_cell(column_header(column)) << " |";
    out << "\n|";
    for (const auto& column : table.columns)
      out << (column.unit ? "---:|" : "---|");
    out << '\n';
    for (const auto& row : table.rows) {
      out << '|';
      for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const Value empty;
        const Value& v = c < row.size() ? row[c] : empty;
        const char* mark = v.mark == Mark::bad ? " ✗" : "";
        out << ' ' << markdown_cell(format_value(table.columns[c], v)) << mark << " |";
      }
      out << '\n';
    }
  }
  if (details > 0) {
    out << fmt::format(
        "\n{} detail table{} (distributions, windows, operations) in report.html "
        "and results.csv.\n",
        details, details == 1 ? "" : "s");
  }
}

void MarkdownRenderer::do_render(const Report& report, std::ostream& out) const {
  if (report.gate) {
    render_gate(report, out);
    return;
  }
  out << "## lmmbench: " << markdown_cell(report.title()) << "\n\n";
  if (!report.entries.empty() || !report.tasks.empty()) {
    out << report.entries.size() << " models × " << report.tasks.size() << " tasks · ";
  }
  out << provenance_line(report) << answered_part(report) << "\n\n";
  render_warnings(report, out);
  if (!report.entries.empty()) {
    render_grid(report, out);
    out << "\nScore ± standard error over the answered samples, with errored, timed-out, empty "
           "and unparsed samples counted; a cell over its error budget (max_error_rate) is marked "
           "✗.";
    if (report.baseline && !report.comparisons.empty()) {
      out << " Δ: difference from **" << markdown_cell(report.entries[*report.baseline].label)
          << "**; ✗ " << describe_rule(report.options.gate)
          << "; ▲ a significant gain of that size; ✓ neither.";
    }
    out << '\n';
  }
  bool first = report.entries.empty();
  for (const auto& run : report.runs) {
    for (const auto& section : sections_of(run)) {
      if (!first) out << '\n';
      first = false;
      render_section_markdown(section, out, report.runs.size() > 1 ? run.label : "");
    }
  }
}

}  // namespace lmmbench::reports
