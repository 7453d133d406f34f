#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace lmmbench {

/// MME's 14 subtasks in the official tool's order (calculation.py eval_type_dict, branch
/// Evaluation of BradyFU/Awesome-Multimodal-Large-Language-Models): ten perception, then four
/// cognition subtasks. Shared by the MME loaders (datasets) and the MME metric (metrics).
// clang-format off
inline const std::array<std::string, 14> kMmeSubtasks = {
    "existence", "count", "position", "color", "posters", "celebrity", "scene", "landmark",
    "artwork", "OCR",
    "commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning"};
// clang-format on

/// The first kMmePerceptionCount subtasks are perception, the rest cognition.
inline constexpr std::size_t kMmePerceptionCount = 10;

}  // namespace lmmbench
