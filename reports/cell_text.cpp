#include "reports/cell_text.hpp"

#include <fmt/format.h>

namespace lmmbench::reports {

std::vector<std::string> count_notes(const SampleCounts& counts) {
  std::vector<std::string> notes;
  const auto timeouts = counts.errors_by_kind.find("timeout");
  const std::size_t n_timeouts = timeouts == counts.errors_by_kind.end() ? 0 : timeouts->second;
  if (counts.error > n_timeouts) notes.push_back(fmt::format("{} err", counts.error - n_timeouts));
  if (n_timeouts > 0) notes.push_back(fmt::format("{} timeout", n_timeouts));
  if (counts.empty > 0) notes.push_back(fmt::format("{} empty", counts.empty));
  if (counts.unparsed > 0) notes.push_back(fmt::format("{} unparsed", counts.unparsed));
  return notes;
}

AnsweredCount count_answered(const std::vector<const RunRecord*>& records) {
  AnsweredCount count;
  for (const auto* record : records) {
    for (const auto& cell : record->cells) {
      count.answered += cell.answered();
      count.total += cell.counts.total;
      if (cell.outcome == CellOutcome::too_many_errors) ++count.over_budget;
    }
  }
  return count;
}

std::string answered_text(const AnsweredCount& count) {
  std::string text = fmt::format("{} of {} samples answered", count.answered, count.total);
  if (count.over_budget > 0) {
    text += fmt::format(" · {} cell{} over the error budget", count.over_budget,
                        count.over_budget == 1 ? "" : "s");
  }
  return text;
}

}  // namespace lmmbench::reports
