#include "core/python_literal.hpp"

#include "core/text.hpp"

namespace lmmbench {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void skip_space() {
    // Python's tokenizer: spaces, tabs, form feeds and line breaks (inside brackets) between
    // tokens.
    while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\f' ||
                                 text_[i_] == '\n' || text_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < text_.size() && text_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  [[nodiscard]] bool at_end() {
    skip_space();
    return i_ == text_.size();
  }

  /// One quoted literal at the current position, or nullopt.
  std::optional<std::string> string_literal() {
    skip_space();
    if (i_ < text_.size() && (text_[i_] == 'u' || text_[i_] == 'U')) ++i_;  // u'...' is a str
    if (i_ >= text_.size() || (text_[i_] != '\'' && text_[i_] != '"')) return std::nullopt;
    const char quote = text_[i_++];
    if (text_.substr(i_, 2) == std::string(2, quote)) return std::nullopt;  // triple-quoted
    std::string out;
    while (i_ < text_.size()) {
      const char c = text_[i_++];
      if (c == quote) return out;
      if (c == '\n' || c == '\r') return std::nullopt;  // a line break ends a one-line literal
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= text_.size()) return std::nullopt;
      const char e = text_[i_++];
      switch (e) {
        case '\n':
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case 'x':
        case 'u':
        case 'U': {
          const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          char32_t value = 0;
          for (std::size_t k = 0; k < digits; ++k) {
            const int h = i_ < text_.size() ? hex_value(text_[i_]) : -1;
            if (h < 0) return std::nullopt;
            value = value * 16 + static_cast<char32_t>(h);
            ++i_;
          }
          if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return std::nullopt;
          append_utf8(out, value);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t value = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i_ < text_.size() && text_[i_] >= '0' && text_[i_] <= '7'; ++k)
              value = value * 8 + static_cast<char32_t>(text_[i_++] - '0');
            append_utf8(out, value);
          } else if (e == 'N') {
            return std::nullopt;
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<std::vector<std::string>> parse_python_string_list(std::string_view text) {
  Reader r(text);
  if (!r.eat('[')) return std::nullopt;
  std::vector<std::string> out;
  if (r.eat(']')) return r.at_end() ? std::optional(out) : std::nullopt;
  while (true) {
    auto element = r.string_literal();
    if (!element) return std::nullopt;
    out.push_back(std::move(*element));
    if (r.eat(']')) break;
    if (!r.eat(',')) return std::nullopt;
    if (r.eat(']')) break;
  }
  if (!r.at_end()) return std::nullopt;
  return out;
}

}  // namespace lmmbench
