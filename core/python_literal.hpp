#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmmbench {

/// Reads a Python list of string literals, as `ast.literal_eval` reads it: `['a', "b's", 'c\n']`.
/// lmms-lab's MMMU parquet stores its `options` (and its multi-answer golds) as such a repr, and
/// lmms-eval reads them with ast.literal_eval. Accepted: whitespace around tokens, an optional
/// trailing comma, single- or double-quoted (not triple-quoted; a `u` prefix only) literals with
/// Python's escapes (\\ \' \" \a \b \f \n \r \t \v, octal \ooo, \xhh, \uXXXX, \UXXXXXXXX, a
/// backslash before a line break; an unknown escape keeps its backslash, as Python does).
/// Returns nullopt for anything else (not a list, a non-string element, \N{...}, an unterminated
/// literal, adjacent literals, a code point beyond U+10FFFF or a surrogate). The strings are UTF-8.
[[nodiscard]] std::optional<std::vector<std::string>> parse_python_string_list(
    std::string_view text);

}  // namespace lmmbench
