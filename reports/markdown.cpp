#include "reports/markdown.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace lmmbench::reports {

namespace {

std::string format_value(double value, Unit unit) {
  if (!std::isfinite(value)) return "n/a";
  switch (unit) {
    case Unit::percent:
      return fmt::format("{:.2f}", value);
    case Unit::points:
      return fmt::format("{:.1f}", value);
    case Unit::ratio:
      return fmt::format("{:.4f}", value);
    default:
      return fmt::format("{:.4g}", value);
  }
}

std::string cell_text(const Cell& cell) {
  const auto* score = cell.headline();
  if (cell.outcome != CellOutcome::ok || score == nullptr) {
    return std::string(to_string(cell.outcome));
  }
  std::string text = format_value(score->score, score->unit);
  if (std::isfinite(score->standard_error)) {
    text += " ± " + format_value(score->standard_error, score->unit);
  }
  std::vector<std::string> notes;
  if (cell.counts.error > 0) notes.push_back(fmt::format("{} err", cell.counts.error));
  if (cell.counts.unparsed > 0) notes.push_back(fmt::format("{} unparsed", cell.counts.unparsed));
  if (!notes.empty()) text += " (" + fmt::format("{}", fmt::join(notes, ", ")) + ")";
  return text;
}

/// Markdown table cells cannot contain '|' or line breaks.
std::string escape_cell(std::string text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void render_markdown_table(const RunRecord& record, std::ostream& out) {
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
    std::string header = task;
    for (const auto& cell : record.cells) {
      if (cell.task == task && cell.headline() != nullptr) {
        const auto* s = cell.headline();
        header += fmt::format(" ({}{}, {})", s->metric,
                              s->variant.empty() || s->variant == "default" ? "" : "/" + s->variant,
                              to_string(s->unit));
        break;
      }
    }
    out << ' ' << escape_cell(header) << " |";
  }
  out << "\n|---|";
  for (std::size_t i = 0; i < tasks.size(); ++i)
    out << "---:|";
  out << '\n';
  for (const auto& model : models) {
    out << "| " << escape_cell(model) << " |";
    for (const auto& task : tasks) {
      const Cell* cell = find(model, task);
      out << ' ' << (cell ? escape_cell(cell_text(*cell)) : std::string("—")) << " |";
    }
    out << '\n';
  }
}

}  // namespace lmmbench::reports
