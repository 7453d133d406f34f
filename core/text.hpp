#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lmmbench {

/// Levenshtein distance over bytes (insert, delete, substitute all cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` by edit distance, if it is close enough to be a plausible typo
/// (distance <= max(2, |word| / 3)); ties go to the earlier candidate.
std::optional<std::string> nearest_match(std::string_view word,
                                         std::span<const std::string> candidates);

/// " (did you mean 'x'?)" or "" — for error messages about unknown names.
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

/// Strips ASCII whitespace (space, \t, \n, \r, \f, \v) from both ends.
std::string_view trim(std::string_view s);

std::string join(std::span<const std::string> parts, std::string_view separator);

/// Splits on every occurrence of `separator` (empty fields kept).
std::vector<std::string> split(std::string_view s, char separator);

/// ASCII lower-casing; other bytes unchanged.
std::string ascii_lower(std::string_view s);

/// Appends the code point `c` (at most U+10FFFF; the caller checks) to `out` as UTF-8.
void append_utf8(std::string& out, char32_t c);

}  // namespace lmmbench
