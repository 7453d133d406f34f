#include "metrics/answer_processing_unicode.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <locale.h>  // newlocale, strtod_l (POSIX / glibc)
#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace lmmbench::metrics::pystr {

namespace {

icu::UnicodeString to_icu(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

bool ascii_space(unsigned char c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

/// Whitespace as float() strips it after the digit/space transformation (CPython Py_ISSPACE).
bool c_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

bool ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

/// CPython's _Py_string_to_number_with_underscores check: '_' only between two ASCII digits.
/// Removes the underscores into `out`; false when one is misplaced.
bool remove_underscores(std::string_view s, std::string& out) {
  out.clear();
  char prev = '\0';
  for (const char c : s) {
    if (c == '_') {
      if (!ascii_digit(prev)) return false;
    } else {
      if (prev == '_' && !ascii_digit(c)) return false;
      out.push_back(c);
    }
    prev = c;
  }
  return prev != '_';
}

/// [sign] (digits [. digits*] | . digits) [(e|E) [sign] digits] — what CPython's _Py_dg_strtod
/// consumes; the whole string must match.
bool is_decimal_literal(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t mantissa_digits = 0;
  while (i < s.size() && ascii_digit(s[i]))
    ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && ascii_digit(s[i]))
      ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent_digits = 0;
    while (i < s.size() && ascii_digit(s[i]))
      ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == s.size();
}

/// CPython's _Py_parse_inf_or_nan over the whole string.
std::optional<double> inf_or_nan(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  constexpr double kInf = __builtin_huge_val();
  if (equals_ignoring_case(s, "inf") || equals_ignoring_case(s, "infinity")) {
    return negative ? -kInf : kInf;
  }
  if (equals_ignoring_case(s, "nan")) return negative ? -__builtin_nan("") : __builtin_nan("");
  return std::nullopt;
}

/// A correctly rounded decimal-to-double conversion independent of the global locale (glibc's
/// strtod, like CPython's _Py_dg_strtod, rounds correctly; overflow gives inf, underflow 0.0).
double c_locale_strtod(const std::string& s) {
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return strtod_l(s.c_str(), nullptr, c_locale);
}

}  // namespace

bool is_ascii(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  // Well-formed UTF-8 (Unicode Table 3-7); anything else is one U+FFFD per byte.
  std::size_t length = 0;
  char32_t c = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, c = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, c = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, c = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  }
  if (length == 0 || i + length > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (std::size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) {
      ++i;
      return 0xFFFD;
    }
    c = (c << 6) | (b & 0x3F);
  }
  i += length;
  return c;
}

char32_t previous_code_point(std::string_view s, std::size_t end) {
  std::size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
    --start;
  std::size_t i = start;
  const char32_t c = next_code_point(s, i);
  return i == end ? c : 0xFFFD;
}

bool is_space(char32_t c) {
  if (c < 0x80) return ascii_space(static_cast<unsigned char>(c));
  switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_decimal(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER;
}

int decimal_value(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') ? static_cast<int>(c - '0') : -1;
  return is_decimal(c) ? u_charDigitValue(static_cast<UChar32>(c)) : -1;
}

std::string_view strip(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    std::size_t next = begin;
    if (!is_space(next_code_point(s, next))) break;
    begin = next;
  }
  std::size_t end = s.size();
  while (end > begin) {
    const char32_t c = previous_code_point(s, end);
    if (!is_space(c)) break;
    end -= c < 0x80 ? 1 : (c < 0x800 ? 2 : (c < 0x10000 ? 3 : 4));
  }
  return s.substr(begin, end - begin);
}

std::string_view rstrip_char(std::string_view s, char c) {
  while (!s.empty() && s.back() == c)
    s.remove_suffix(1);
  return s;
}

void split(std::string_view s, std::vector<std::string_view>& out) {
  std::size_t i = 0;
  std::size_t word_start = std::string_view::npos;
  while (i < s.size()) {
    const std::size_t at = i;
    const char32_t c = next_code_point(s, i);
    if (is_space(c)) {
      if (word_start != std::string_view::npos) {
        out.push_back(s.substr(word_start, at - word_start));
        word_start = std::string_view::npos;
      }
    } else if (word_start == std::string_view::npos) {
      word_start = at;
    }
  }
  if (word_start != std::string_view::npos) out.push_back(s.substr(word_start));
}

void lower(std::string_view s, std::string& out) {
  out.clear();
  if (is_ascii(s)) {
    out.resize(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return;
  }
  // ICU's root-locale full lower-casing applies SpecialCasing's unconditional mappings and the
  // Final_Sigma condition, as CPython's str.lower() does.
  to_icu(s).toLower(icu::Locale::getRoot()).toUTF8String(out);
}

std::string lower(std::string_view s) {
  std::string out;
  lower(s, out);
  return out;
}

std::string upper(std::string_view s) {
  std::string out;
  if (is_ascii(s)) {
    out.assign(s);
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
  }
  to_icu(s).toUpper(icu::Locale::getRoot()).toUTF8String(out);
  return out;
}

std::size_t length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::size_t upper_length(std::string_view s) {
  if (is_ascii(s)) return s.size();
  return static_cast<std::size_t>(to_icu(s).toUpper(icu::Locale::getRoot()).countChar32());
}

void code_points(std::string_view s, std::u32string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size();)
    out.push_back(next_code_point(s, i));
}

namespace {

/// CPython's _PyUnicode_TransformDecimalAndSpaceToASCII, which float() and int() run first: every
/// non-ASCII whitespace character becomes ' ' and every decimal digit its ASCII digit (anything
/// else non-ASCII fails); then ASCII whitespace is stripped from both ends.
std::optional<std::string> decimal_and_space_to_ascii(std::string_view s) {
  std::string ascii;
  ascii.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_code_point(s, i);
    if (c < 0x7F) {
      ascii.push_back(static_cast<char>(c));
    } else if (is_space(c)) {
      ascii.push_back(' ');
    } else if (const int digit = decimal_value(c); digit >= 0) {
      ascii.push_back(static_cast<char>('0' + digit));
    } else {
      return std::nullopt;
    }
  }
  std::size_t begin = 0;
  std::size_t end = ascii.size();
  while (begin < end && c_space(ascii[begin]))
    ++begin;
  while (end > begin && c_space(ascii[end - 1]))
    --end;
  return ascii.substr(begin, end - begin);
}

}  // namespace

std::optional<std::string> int_text(std::string_view s) {
  // CPython PyLong_FromString, base 10: a sign, digits with single '_' between them.
  const auto ascii = decimal_and_space_to_ascii(s);
  if (!ascii) return std::nullopt;
  std::string_view t = *ascii;
  bool negative = false;
  if (!t.empty() && (t.front() == '+' || t.front() == '-')) {
    negative = t.front() == '-';
    t.remove_prefix(1);
  }
  std::string digits;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '_' && i > 0 && i + 1 < t.size() && t[i - 1] != '_' && t[i + 1] >= '0' &&
        t[i + 1] <= '9') {
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (!(digits.empty() && c == '0')) digits.push_back(c);
  }
  if (t.empty()) return std::nullopt;
  if (digits.empty()) return "0";
  return negative ? "-" + digits : digits;
}

std::optional<double> to_float(std::string_view s) {
  const auto ascii = decimal_and_space_to_ascii(s);
  if (!ascii) return std::nullopt;
  std::string_view t = *ascii;
  if (t.empty() || t.find('\0') != std::string_view::npos) return std::nullopt;

  std::string literal;
  if (t.find('_') != std::string_view::npos) {
    if (!remove_underscores(t, literal)) return std::nullopt;
  } else {
    literal.assign(t);
  }
  if (is_decimal_literal(literal)) return c_locale_strtod(literal);
  return inf_or_nan(literal);
}

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // The shortest round-tripping digits, placed as CPython's float_repr_style 'short' does:
  // scientific when the decimal point would sit 4 or more places before the first digit or
  // more than 16 after it.
  char buffer[64];
  const auto end =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific).ptr;
  std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  std::string sign;
  if (text.front() == '-') {
    sign = "-";
    text.remove_prefix(1);
  }
  const std::size_t e = text.find('e');
  std::string digits;
  for (const char c : text.substr(0, e))
    if (c != '.') digits += c;
  const int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  const int decpt = exponent + 1;
  if (decpt <= -4 || decpt > 16) {
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += "." + digits.substr(1);
    return fmt::format("{}{}e{}{:02d}", sign, mantissa, exponent < 0 ? '-' : '+',
                       std::abs(exponent));
  }
  if (decpt <= 0) return sign + "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  const auto point = static_cast<std::size_t>(decpt);
  if (digits.size() <= point) return sign + digits + std::string(point - digits.size(), '0') + ".0";
  return sign + digits.substr(0, point) + "." + digits.substr(point);
}

double round(double v, int ndigits) {
  if (!std::isfinite(v) || v == 0.0) return v;
  if (ndigits >= 0) {
    // to_chars/from_chars: exact and locale-independent (printf in the "C" locale).
    char buffer[512];
    const auto end =
        std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed, ndigits).ptr;
    double r = 0.0;
    std::from_chars(buffer, end, r);
    return r == 0.0 ? std::copysign(0.0, v) : r;
  }
  const double scale = std::pow(10.0, -ndigits);
  const double r = std::nearbyint(v / scale) * scale;
  return r == 0.0 ? std::copysign(0.0, v) : r;
}

}  // namespace lmmbench::metrics::pystr
