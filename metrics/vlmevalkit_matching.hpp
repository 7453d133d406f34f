#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmmbench::metrics::vlmevalkit {

/// VLMEvalKit's rule-based option matching, open-compass/VLMEvalKit@e8e78f0
/// vlmeval/utils/matching_util.py, with the environment variable VERBOSE unset (its article
/// guard off). Choices are option letters A.. for `options` (option A first); a letter is
/// returned upper-case. Used by both the circular (`mmbench/vlmevalkit`) and the plain
/// (`multiple_choice/vlmevalkit`) scorers.

/// The text that makes can_infer_option read nothing (an API failure marker).
inline constexpr std::string_view kApiFailure = "Failed to obtain answer via API";

/// can_infer_option(answer, choices) for the first `option_count` letters: nullopt for False,
/// 'Z' for a refusal or a lone "Z" token. Replaces each of ".()[],:;!*#{}" by a space and splits
/// (Python's whitespace); the single choice letter present as a token when its first occurrence is
/// among the last 4 tokens; else the first `(?i)(?:correct\s+)?answer\s+is\s+\**([ABCD])\**` when
/// that letter is a choice.
[[nodiscard]] std::optional<char> can_infer_option(std::string_view answer,
                                                   std::size_t option_count);

/// can_infer_text(answer, choices): the single option whose lower-cased text is a substring of
/// the lower-cased answer; nothing when the answer is longer (code points) than twice the
/// options' total length, or when none or several match.
[[nodiscard]] std::optional<char> can_infer_text(std::string_view answer,
                                                 const std::vector<std::string>& options);

/// can_infer(answer, choices): can_infer_option, then can_infer_text. 'Z' (a refusal) is returned
/// as read; it is no option.
[[nodiscard]] std::optional<char> can_infer(std::string_view answer,
                                            const std::vector<std::string>& options);

}  // namespace lmmbench::metrics::vlmevalkit
