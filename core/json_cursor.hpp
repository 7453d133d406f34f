#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lmmbench {

/// A forward-only reader of one JSON text (RFC 8259, no comments) for hot loops that pick a few
/// fields out of many small records without building a DOM.
///
/// It is a filter, not a validator: every reading method returns false on anything it does not
/// handle — invalid JSON, and also valid JSON it leaves alone (nesting deeper than kMaxDepth,
/// numbers that might overflow a double, a byte-order mark) — and the caller then gives the same
/// text to the full parser (nlohmann, through JsonSource), which either accepts it or produces the
/// located error message. The contract that makes this safe: whenever a sequence of calls returns
/// true, nlohmann::json::parse accepts those bytes and yields the same values. After a false
/// return the position is unspecified and the cursor must not be used further.
///
/// Holds a view of the text (the caller keeps it alive); not thread-safe; cheap to construct.
class JsonCursor {
 public:
  /// Deeper nesting inside a skipped value is declined (nlohmann itself has no limit).
  static constexpr int kMaxDepth = 64;

  explicit JsonCursor(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  /// The next byte after JSON whitespace (space, \t, \n, \r), or '\0' at the end of the text.
  [[nodiscard]] char peek() {
    skip_space();
    return p_ == end_ ? '\0' : *p_;
  }
  /// Skips whitespace and then `c`; false if the next byte is not `c`.
  [[nodiscard]] bool consume(char c) {
    if (peek() != c || p_ == end_) return false;
    ++p_;
    return true;
  }
  /// Where the cursor is: a pointer into the text given to the constructor.
  [[nodiscard]] const char* position() const { return p_; }
  /// True when only whitespace remains.
  [[nodiscard]] bool at_end() {
    skip_space();
    return p_ == end_;
  }

  /// Steps through an object or array after its opening bracket was consumed: call before each
  /// member/element with `first` true the first time. Consumes the separating ',' (never before
  /// the first) or the closing `close`, which sets `done`.
  [[nodiscard]] bool next(char close, bool first, bool& done) {
    done = false;
    const char c = peek();
    if (p_ != end_ && c == close) {
      ++p_;
      done = true;
      return true;
    }
    if (first) return true;  // the first member, or garbage that the member's reader declines
    if (c != ',' || p_ == end_) return false;
    ++p_;
    return true;  // a closing bracket right after ',' is invalid: every member reader declines it
  }

  /// A string value: unescaped (\uXXXX surrogate pairs combined), checked to be well-formed UTF-8
  /// without control characters, into `out` (replaced; its capacity is reused).
  [[nodiscard]] bool read_string(std::string& out);
  /// As read_string, but a string without escapes or non-ASCII bytes (the common case for keys)
  /// is not copied: `out` views the text. Otherwise it is decoded into `scratch` and views that.
  [[nodiscard]] bool read_string_view(std::string_view& out, std::string& scratch);
  /// An integer in canonical form (0, or an optional '-' and 1 to 18 digits without a leading
  /// zero), as its text: exactly what nlohmann's dump() writes for it. Other numbers are declined.
  [[nodiscard]] bool read_canonical_integer(std::string_view& text);
  /// The literal true or false.
  [[nodiscard]] bool read_bool(bool& value);
  /// The literal null.
  [[nodiscard]] bool read_null() { return literal("null"); }
  /// Any value, checked against the JSON grammar, not kept.
  [[nodiscard]] bool skip_value() { return skip_value(0); }

 private:
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }
  [[nodiscard]] bool literal(std::string_view word);
  [[nodiscard]] bool skip_value(int depth);
  [[nodiscard]] bool skip_number();
  /// The string at the cursor, appended to `out` when it is not null.
  [[nodiscard]] bool scan_string(std::string* out);

  const char* p_;
  const char* end_;
};

}  // namespace lmmbench
