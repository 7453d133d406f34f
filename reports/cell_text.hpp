#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "reports/run_record.hpp"

namespace lmmbench::reports {

// The words every renderer uses for a cell's sample accounting, so that the HTML, Markdown,
// JUnit and stdout tables say the same thing.

/// What a score over no answered sample reads as: there is no number to show.
inline constexpr std::string_view kNoAnswers = "no answers";

/// The non-zero counts of a cell, in this order: "3 err" (errors other than timeouts),
/// "2 timeout", "1 empty", "4 unparsed".
std::vector<std::string> count_notes(const SampleCounts& counts);

/// Samples answered and samples selected, over every cell of `records`.
struct AnsweredCount {
  std::size_t answered = 0;
  std::size_t total = 0;
  std::size_t over_budget = 0;  ///< Cells whose outcome is too_many_errors.
};
AnsweredCount count_answered(const std::vector<const RunRecord*>& records);

/// "380 of 400 samples answered", plus " · 2 cells over the error budget" when there are any.
std::string answered_text(const AnsweredCount& count);

}  // namespace lmmbench::reports
