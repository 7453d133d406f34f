#include "core/json_cursor.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include "core/text.hpp"

namespace lmmbench {

namespace {

/// Bytes copied unchanged inside a string: printable ASCII other than '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c)
    plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

constexpr unsigned char byte(char c) {
  return static_cast<unsigned char>(c);
}

bool in_range(const char* p, unsigned char low, unsigned char high) {
  return byte(*p) >= low && byte(*p) <= high;
}

/// Length of the well-formed UTF-8 sequence of 2 to 4 bytes at `p` (Unicode table 3-7, the rule
/// nlohmann applies), 0 when ill-formed or truncated.
std::size_t utf8_sequence(const char* p, const char* end) {
  const unsigned char lead = byte(*p);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (end - p < static_cast<std::ptrdiff_t>(length)) return 0;
  if (!in_range(p + 1, low, high)) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!in_range(p + i, 0x80, 0xBF)) return 0;
  }
  return length;
}

/// The first byte at or after `p` that is not plain (or `end`). Eight bytes at a time while
/// they last: a word is all plain when no byte is below 0x20, at or above 0x80, '"' or '\\'.
const char* skip_plain(const char* p, const char* end) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHigh = 0x8080808080808080;
  // Sets the high bit of each byte of `v` that is zero (exact for the lowest such byte, which
  // is all the scan needs; the word is then finished byte by byte).
  const auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  while (end - p >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, 8);
    const std::uint64_t special = ((word - kOnes * 0x20) & ~word) |
                                  zero_bytes(word ^ (kOnes * '"')) |
                                  zero_bytes(word ^ (kOnes * '\\')) | word;
    if ((special & kHigh) != 0) break;
    p += 8;
  }
  while (p != end && kPlain[byte(*p)])
    ++p;
  return p;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool JsonCursor::literal(std::string_view word) {
  skip_space();
  if (static_cast<std::size_t>(end_ - p_) < word.size() ||
      std::string_view(p_, word.size()) != word) {
    return false;
  }
  p_ += word.size();
  return true;
}

bool JsonCursor::read_bool(bool& value) {
  if (peek() == 't' && literal("true")) {
    value = true;
    return true;
  }
  if (peek() == 'f' && literal("false")) {
    value = false;
    return true;
  }
  return false;
}

bool JsonCursor::read_string(std::string& out) {
  out.clear();
  return scan_string(&out);
}

bool JsonCursor::read_string_view(std::string_view& out, std::string& scratch) {
  if (peek() != '"' || p_ == end_) return false;
  const char* start = p_ + 1;
  const char* stop = skip_plain(start, end_);
  if (stop != end_ && *stop == '"') {
    out = std::string_view(start, static_cast<std::size_t>(stop - start));
    p_ = stop + 1;
    return true;
  }
  if (!read_string(scratch)) return false;
  out = scratch;
  return true;
}

bool JsonCursor::scan_string(std::string* out) {
  if (peek() != '"' || p_ == end_) return false;
  ++p_;
  for (;;) {
    const char* run = p_;
    p_ = skip_plain(p_, end_);
    if (out != nullptr) out->append(run, p_);
    if (p_ == end_) return false;  // unterminated
    const unsigned char c = byte(*p_);
    if (c == '"') {
      ++p_;
      return true;
    }
    if (c < 0x20) return false;  // control characters must be escaped
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(p_, end_);
      if (n == 0) return false;
      if (out != nullptr) out->append(p_, n);
      p_ += n;
      continue;
    }
    // A backslash escape.
    if (end_ - p_ < 2) return false;
    const char e = p_[1];
    p_ += 2;
    char simple = 0;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        simple = e;
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      default:
        return false;
    }
    if (simple != 0) {
      if (out != nullptr) *out += simple;
      continue;
    }
    auto hex4 = [&](std::uint32_t& unit) {
      if (end_ - p_ < 4) return false;
      unit = 0;
      for (int i = 0; i < 4; ++i) {
        const int h = hex_value(p_[i]);
        if (h < 0) return false;
        unit = unit * 16 + static_cast<std::uint32_t>(h);
      }
      p_ += 4;
      return true;
    };
    std::uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate alone
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (out != nullptr) append_utf8(*out, cp);
  }
}

bool JsonCursor::read_canonical_integer(std::string_view& text) {
  skip_space();
  const char* start = p_;
  if (p_ != end_ && *p_ == '-') {
    ++p_;
    if (p_ == end_ || *p_ == '0') return false;  // "-0" is dumped as "0"
  }
  if (p_ == end_ || !is_digit(*p_)) return false;
  if (*p_ == '0') {
    ++p_;
  } else {
    const char* digits = p_;
    while (p_ != end_ && is_digit(*p_) && p_ - digits < 18)
      ++p_;
  }
  // A fraction, an exponent or a 19th digit makes it a number this reader leaves alone.
  if (p_ != end_ && (is_digit(*p_) || *p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
  text = std::string_view(start, static_cast<std::size_t>(p_ - start));
  return true;
}

bool JsonCursor::skip_number() {
  if (p_ != end_ && *p_ == '-') ++p_;
  if (p_ == end_ || !is_digit(*p_)) return false;
  if (*p_ == '0') {
    ++p_;
  } else {
    const char* digits = p_;
    while (p_ != end_ && is_digit(*p_))
      ++p_;
    // With at most 200 integer digits and a two-digit exponent the value stays finite; nlohmann
    // rejects overflow to infinity with an out_of_range error, which the full parser must raise.
    if (p_ - digits > 200) return false;
  }
  if (p_ != end_ && *p_ == '.') {
    ++p_;
    if (p_ == end_ || !is_digit(*p_)) return false;
    while (p_ != end_ && is_digit(*p_))
      ++p_;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    const char* digits = p_;
    while (p_ != end_ && is_digit(*p_))
      ++p_;
    if (p_ == digits || p_ - digits > 2) return false;
  }
  return true;
}

bool JsonCursor::skip_value(int depth) {
  switch (peek()) {
    case '"':
      return scan_string(nullptr);
    case '{': {
      if (depth >= kMaxDepth) return false;
      ++p_;
      for (bool first = true, done = false;; first = false) {
        if (!next('}', first, done)) return false;
        if (done) return true;
        if (!scan_string(nullptr) || !consume(':') || !skip_value(depth + 1)) return false;
      }
    }
    case '[': {
      if (depth >= kMaxDepth) return false;
      ++p_;
      for (bool first = true, done = false;; first = false) {
        if (!next(']', first, done)) return false;
        if (done) return true;
        if (!skip_value(depth + 1)) return false;
      }
    }
    case 't':
      return literal("true");
    case 'f':
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return skip_number();
  }
}

}  // namespace lmmbench
