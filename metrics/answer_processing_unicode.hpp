#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"

/// Python 3 `str` semantics over UTF-8 text, as the reference scorers (all Python) apply them to
/// answers: case mapping, whitespace, `\d`, len() and float(). Text is UTF-8 (what the JSON input
/// carries); a byte that is not part of well-formed UTF-8 is read as U+FFFD. Everything is pure
/// ASCII work unless the text holds a non-ASCII byte; the Unicode paths use ICU (root locale,
/// full case mapping), whose data (ICU 72: Unicode 15.0) agree with CPython 3.11 (Unicode 14.0)
/// on every code point assigned in both; tests/metrics/fixtures/python_str.expected.json checks
/// every cased, decimal and whitespace code point against Python.
namespace lmmbench::metrics::pystr {

/// True when every byte is < 0x80.
[[nodiscard]] bool is_ascii(std::string_view s);

/// The code point starting at s[i]; advances i past it.
char32_t next_code_point(std::string_view s, std::size_t& i);

/// The code point that ends just before s[end] (end > 0).
char32_t previous_code_point(std::string_view s, std::size_t end);

/// Appends `c` to `out` as UTF-8 (core/text.hpp).
using lmmbench::append_utf8;

/// str.isspace() of one character (CPython Py_UNICODE_ISSPACE): \t \n \v \f \r, \x1c-\x1f, space,
/// U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. This is the
/// set str.strip() and str.split() without arguments use.
[[nodiscard]] bool is_space(char32_t c);

/// `\d` of a Python 3 str regex (and str.isdecimal()): Unicode general category Nd.
[[nodiscard]] bool is_decimal(char32_t c);

/// The value 0-9 of a decimal digit, or -1.
[[nodiscard]] int decimal_value(char32_t c);

/// str.strip() without arguments.
[[nodiscard]] std::string_view strip(std::string_view s);

/// str.rstrip(c) for one ASCII character.
[[nodiscard]] std::string_view rstrip_char(std::string_view s, char c);

/// str.split() without arguments: the runs of non-whitespace, appended to `out` as views of `s`.
void split(std::string_view s, std::vector<std::string_view>& out);

/// str.lower(): full lower-case mapping, with the final-sigma rule. Replaces `out`.
void lower(std::string_view s, std::string& out);
[[nodiscard]] std::string lower(std::string_view s);

/// str.upper(): full upper-case mapping ('ß' -> "SS", 'ﬃ' -> "FFI").
[[nodiscard]] std::string upper(std::string_view s);

/// len(s): the number of code points.
[[nodiscard]] std::size_t length(std::string_view s);

/// len(s.upper()), without building the string when `s` is ASCII.
[[nodiscard]] std::size_t upper_length(std::string_view s);

/// The code points of `s`, replacing `out`.
void code_points(std::string_view s, std::u32string& out);

/// Python's float(s), or nullopt where it raises ValueError. Accepts what CPython's
/// float_from_string accepts: surrounding whitespace (any Unicode whitespace, and of ASCII only
/// space and \t\n\v\f\r), decimal digits of any script, '_' between digits, an optional sign,
/// "inf", "infinity" and "nan" in any case, and exponents; "1e400" is inf, "1e-400" is 0.0.
[[nodiscard]] std::optional<double> to_float(std::string_view s);

/// str(int(s)) of a Python str (base 10), or nullopt where int() raises ValueError: the
/// whitespace and digits of to_float, an optional sign, ASCII digits with single '_' between
/// them, any size ("007" -> "7", "-0" -> "0", "1_000" -> "1000").
[[nodiscard]] std::optional<std::string> int_text(std::string_view s);

/// repr(x) of a Python float: the shortest digits that read back as x, in scientific notation
/// when the decimal point would sit 4 or more places before the first digit or more than 16 after
/// it ("1.0", "0.33", "1e-05", "1e+16", "inf", "nan").
[[nodiscard]] std::string float_repr(double x);

/// round(x, ndigits) of a Python float: the correctly rounded decimal (ties to even on the exact
/// binary value) read back; x itself when it is not finite.
[[nodiscard]] double round(double x, int ndigits);

}  // namespace lmmbench::metrics::pystr
