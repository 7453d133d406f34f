#include "metrics/ptb_tokenizer.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <unicode/uchar.h>

#include "metrics/answer_processing_unicode.hpp"

// The rules below were read off the behaviour of Stanford CoreNLP 3.4.1's PTBTokenizer (the jar
// pycocoevalcap 1.2 ships, edu.stanford.nlp.process.PTBLexer with its default ptb3Escaping
// options) on the inputs of tests/metrics/fixtures/caption/ptb_tokenizer.json, which records the
// Java output of each; tests/metrics/test_caption.cpp checks this file against it.

namespace lmmbench::metrics {

namespace {

/// The tokens of a caption. Each token is assigned into a string kept from earlier captions, so
/// tokenising a set of captions allocates almost nothing.
class Tokens {
 public:
  void clear() { size_ = 0; }
  void emplace_back(std::u32string_view token) { next().assign(token); }
  void push_back(const std::u32string& token) { next().assign(token); }
  /// Appends `other`'s tokens, last first.
  void append_reversed(const Tokens& other) {
    for (std::size_t i = other.size_; i-- > 0;)
      next().assign(other.items_[i]);
  }
  [[nodiscard]] const std::u32string* begin() const { return items_.data(); }
  [[nodiscard]] const std::u32string* end() const { return items_.data() + size_; }

 private:
  std::u32string& next() {
    if (size_ == items_.size()) items_.emplace_back();
    return items_[size_++];
  }

  std::vector<std::u32string> items_;
  std::size_t size_ = 0;
};

/// pycocoevalcap's PUNCTUATIONS, which it drops after tokenising (compared after lower-casing,
/// so its upper-case bracket tokens never match).
constexpr std::array<std::string_view, 13> kDropped = {"''", "'", "``", "`",  ".",   "?", "!",
                                                       ",",  ":", "-",  "--", "...", ";"};

/// Abbreviations that keep their period before a space or the end of the line (PTBLexer's
/// ABBREV lists, as far as the fixture probes them; compared lower-cased).
constexpr std::array<std::u32string_view, 68> kAbbreviations = {
    U"mr",   U"mrs",  U"ms",   U"dr",   U"st",   U"mt",   U"jr",   U"sr",  U"co",  U"inc",
    U"ltd",  U"corp", U"vs",   U"etc",  U"prof", U"gen",  U"sen",  U"rep", U"gov", U"lt",
    U"col",  U"capt", U"sgt",  U"rev",  U"hon",  U"ave",  U"blvd", U"rd",  U"jan", U"feb",
    U"mar",  U"apr",  U"jun",  U"jul",  U"aug",  U"sep",  U"sept", U"oct", U"nov", U"dec",
    U"mon",  U"tue",  U"wed",  U"thu",  U"fri",  U"dept", U"est",  U"ft",  U"sq",  U"calif",
    U"ala",  U"ariz", U"colo", U"conn", U"fla",  U"ga",   U"ind",  U"kan", U"ky",  U"md",
    U"mich", U"minn", U"mo",   U"mont", U"neb",  U"nev",  U"okla", U"tenn"};
constexpr std::array<std::u32string_view, 9> kMoreAbbreviations = {
    U"va", U"vt", U"wis", U"wyo", U"bros", U"messrs", U"esq", U"ph", U"cf"};

bool is_space(char32_t c) {
  // Java's line terminators would start a new line in the reference (and shift every later
  // caption onto the wrong image); here they separate tokens like a space.
  return pystr::is_space(c) || c == U'\u200B';
}

/// The Java lexer works on UTF-16 units and matches no surrogate: a code point beyond the BMP
/// (an emoji) is "untokenizable", deleted with a warning (its default untokenizable=firstDelete).
bool is_deleted(char32_t c) {
  return c >= 0x10000;
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return u_isalpha(static_cast<UChar32>(c)) != 0;
}

bool is_digit(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return u_isdigit(static_cast<UChar32>(c)) != 0;
}

char32_t ascii_lower(char32_t c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

bool equals_lower(std::u32string_view s, std::u32string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (ascii_lower(s[i]) != lower[i]) return false;
  }
  return true;
}

bool is_apostrophe(char32_t c) {
  return c == '\'' || c == U'\u2019';
}

std::u32string_view bracket(char32_t c) {
  switch (c) {
    case '(':
      return U"-LRB-";
    case ')':
      return U"-RRB-";
    case '[':
      return U"-LSB-";
    case ']':
      return U"-RSB-";
    case '{':
      return U"-LCB-";
    case '}':
      return U"-RCB-";
    default:
      return {};
  }
}

bool is_dash(char32_t c) {
  return c == U'\u2014' || c == U'\u2013';
}

/// "u.s." / "a.m." / "b." / "mr." before a space: the period stays on the word.
bool keeps_period(std::u32string_view word_with_period) {
  const std::u32string_view core = word_with_period.substr(0, word_with_period.size() - 1);
  if (core.empty()) return false;
  const auto ascii_letter = [](char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  if (core.size() == 1) return ascii_letter(core[0]);
  // r&b.: the lexer splits at '&' first, then reads "b." as an initial.
  if (const auto amp = core.rfind('&'); amp != core.npos && amp + 2 == core.size())
    return ascii_letter(core.back()) && !u_isupper(static_cast<UChar32>(core.back()));
  // An acronym: single letters, each followed by a period (u.s., e.g., p.m., x.y.z.).
  bool acronym = core.size() >= 3;
  for (std::size_t i = 0; i < core.size() && acronym; ++i)
    acronym = i % 2 == 0 ? ascii_letter(core[i]) : core[i] == '.';
  if (acronym && core.size() % 2 == 1) return true;
  for (const auto a : kAbbreviations) {
    if (equals_lower(core, a)) return true;
  }
  for (const auto a : kMoreAbbreviations) {
    if (equals_lower(core, a)) return true;
  }
  return false;
}

/// "90s" after an apostrophe: '90s stays one token ('5 and '2-year-old lose the apostrophe).
bool is_decade(std::u32string_view rest) {
  std::size_t i = 0;
  while (i < rest.size() && is_digit(rest[i]))
    ++i;
  return i > 0 && i < rest.size() && ascii_lower(rest[i]) == 's' &&
         (i + 1 == rest.size() || !(is_letter(rest[i + 1]) || is_digit(rest[i + 1])));
}

/// Splits a contraction off a word without surrounding punctuation.
void add_word(std::u32string_view w, Tokens& out) {
  if (w.empty()) return;
  struct Split {
    std::u32string_view whole;
    std::size_t at;
  };
  static constexpr std::array<Split, 6> kWholeWords = {Split{U"cannot", 3}, Split{U"gonna", 3},
                                                       Split{U"gotta", 3},  Split{U"wanna", 3},
                                                       Split{U"lemme", 3},  Split{U"gimme", 3}};
  for (const auto& s : kWholeWords) {
    if (equals_lower(w, s.whole)) {
      out.emplace_back(w.substr(0, s.at));
      out.emplace_back(w.substr(s.at));
      return;
    }
  }
  // X'n'Y (rock'n'roll): the 'n' between apostrophes is its own token, apostrophes as written.
  for (std::size_t i = 1; i + 3 < w.size(); ++i) {
    if (is_apostrophe(w[i]) && ascii_lower(w[i + 1]) == 'n' && is_apostrophe(w[i + 2])) {
      add_word(w.substr(0, i), out);
      out.emplace_back(w.substr(i, 3));
      add_word(w.substr(i + 3), out);
      return;
    }
  }
  if (w.size() > 2 && ascii_lower(w[0]) == 'y' && is_apostrophe(w[1]) &&
      equals_lower(w.substr(2), U"all")) {
    out.emplace_back(U"y'");
    out.emplace_back(w.substr(2));
    return;
  }
  const auto suffix = [&](std::size_t length) {
    std::u32string tail(w.substr(w.size() - length));
    std::replace(tail.begin(), tail.end(), U'\u2019', U'\'');
    out.emplace_back(w.substr(0, w.size() - length));
    out.push_back(std::move(tail));
  };
  const std::size_t n = w.size();
  if (is_apostrophe(w[0])) {  // a lone suffix: 's, ’s
    std::u32string word(w);
    word[0] = '\'';
    out.push_back(std::move(word));
    return;
  }
  if (n > 3 && ascii_lower(w[n - 3]) == 'n' && is_apostrophe(w[n - 2]) &&
      ascii_lower(w[n - 1]) == 't') {
    suffix(3);
    return;
  }
  if (n > 2 && is_apostrophe(w[n - 2])) {
    const char32_t c = ascii_lower(w[n - 1]);
    if (c == 's' || c == 'm' || c == 'd' || c == 'n') {
      suffix(2);
      return;
    }
  }
  if (n > 3 && is_apostrophe(w[n - 3])) {
    const std::u32string_view last{w.substr(n - 2)};
    if (equals_lower(last, U"re") || equals_lower(last, U"ve") || equals_lower(last, U"ll")) {
      suffix(3);
      return;
    }
  }
  out.emplace_back(w);
}

/// The inside of a chunk once its leading and trailing punctuation is off: splits at the symbols
/// the lexer never keeps inside a token.
void add_middle(std::u32string_view w, Tokens& out) {
  std::size_t start = 0;
  const auto flush = [&](std::size_t end) {
    if (end > start) add_word(w.substr(start, end - start), out);
  };
  for (std::size_t i = 0; i < w.size(); ++i) {
    const char32_t c = w[i];
    const bool digit_before = i > 0 && is_digit(w[i - 1]);
    const bool digit_after = i + 1 < w.size() && is_digit(w[i + 1]);
    std::u32string_view token;
    std::size_t length = 1;
    if (c == '-' && i + 1 < w.size() && w[i + 1] == '-') {
      while (i + length < w.size() && w[i + length] == '-')
        ++length;
      token = U"--";
    } else if (is_dash(c)) {
      token = U"--";
    } else if (c == ';' || c == '%' || c == '~' || c == '+' || c == '*' || c == '=') {
      token = w.substr(i, 1);
    } else if ((c == ',' || c == ':') && !(digit_before && digit_after)) {
      token = w.substr(i, 1);
    } else if (c == '&' &&
               !(i > 0 && i + 1 < w.size() && u_isupper(static_cast<UChar32>(w[i - 1])) &&
                 u_isupper(static_cast<UChar32>(w[i + 1])))) {
      token = U"&";
    } else if (c == '"' || c == U'\u201D') {
      token = U"''";
    } else if (c == U'\u201C') {
      token = U"``";
    } else if (c == U'\u2018') {
      token = U"`";
    } else if (c == '\'' && digit_before && digit_after) {
      token = U"'";
    } else if (c == U'\u2026') {
      token = U"...";
    } else if (c == '.' && i + 2 < w.size() && w[i + 1] == '.' && w[i + 2] == '.') {
      while (i + length < w.size() && w[i + length] == '.')
        ++length;
      token = U"...";
    } else {
      continue;
    }
    flush(i);
    out.emplace_back(token);
    i += length - 1;
    start = i + 1;
  }
  flush(w.size());
}

/// One whitespace-separated chunk.
void add_chunk(std::u32string_view w, Tokens& out) {
  // Leading punctuation.
  while (!w.empty()) {
    const char32_t c = w[0];
    if (w.starts_with(U"``") || w.starts_with(U"''")) {
      out.emplace_back(w.substr(0, 2));
      w.remove_prefix(2);
    } else if (c == '"' || c == U'\u201C' || c == U'\u201E') {
      out.emplace_back(U"``");
      w.remove_prefix(1);
    } else if (c == '`' && w.size() > 1) {
      out.emplace_back(U"`");
      w.remove_prefix(1);
    } else if (c == U'\u201D') {
      out.emplace_back(U"''");
      w.remove_prefix(1);
    } else if (c == '\'' || c == U'\u2018' || c == U'\u2019') {
      if (w.size() == 1) {
        out.emplace_back(U"'");
        return;
      }
      const std::u32string_view rest = w.substr(1);
      if (rest.size() >= 3 && equals_lower(rest.substr(0, 3), U"tis") &&
          (rest.size() == 3 || !is_letter(rest[3]))) {
        out.emplace_back(U"'t");
        w.remove_prefix(2);
        continue;
      }
      if (rest.size() >= 2 && ascii_lower(rest[0]) == 'n' && is_apostrophe(rest[1])) {
        out.emplace_back(w.substr(0, 3));  // 'n' (rock'n'roll after a hashtag)
        w.remove_prefix(3);
        continue;
      }
      // '90s, 's, 'll, 're ... stay words (add_word splits what follows them).
      const auto suffix = [&](std::u32string_view sfx) {
        return rest.size() >= sfx.size() && equals_lower(rest.substr(0, sfx.size()), sfx) &&
               (rest.size() == sfx.size() ||
                !(is_letter(rest[sfx.size()]) || is_digit(rest[sfx.size()])));
      };
      if (c != U'\u2018' && (is_decade(rest) || suffix(U"s") || suffix(U"m") || suffix(U"d") ||
                             suffix(U"ll") || suffix(U"re") || suffix(U"ve"))) {
        break;
      }
      out.emplace_back(U"`");
      w.remove_prefix(1);
    } else if (!bracket(c).empty()) {
      out.emplace_back(bracket(c));
      w.remove_prefix(1);
    } else if (c == '#' && w.size() > 1 && is_letter(w[1])) {
      // A hashtag: '#' and the letters, digits and '_' after it; the rest is lexed anew.
      std::size_t length = 2;
      while (length < w.size() && (is_letter(w[length]) || is_digit(w[length]) || w[length] == '_'))
        ++length;
      out.emplace_back(w.substr(0, length));
      w.remove_prefix(length);
    } else if (w.size() > 1 && (c == '$' || c == '#' || c == U'\u20AC' || c == U'\u00A3' ||
                                c == U'\u00A5' || c == U'\u00A2')) {
      // ptb3Escaping's normalizeCurrency: pound -> '#', euro -> '$'.
      out.emplace_back(c == U'\u00A3' ? U"#" : c == U'\u20AC' ? U"$" : w.substr(0, 1));
      w.remove_prefix(1);
    } else if (w.starts_with(U"--") || is_dash(c)) {
      std::size_t length = 1;
      if (c == '-') {
        while (length < w.size() && w[length] == '-')
          ++length;
      }
      out.emplace_back(U"--");
      w.remove_prefix(length);
    } else if (c == '-' && w.size() > 1 && !is_digit(w[1])) {
      out.emplace_back(U"-");
      w.remove_prefix(1);
    } else if (w.starts_with(U"...") || c == U'\u2026') {
      std::size_t length = 1;
      if (c == '.') {
        while (length < w.size() && w[length] == '.')
          ++length;
      }
      out.emplace_back(U"...");
      w.remove_prefix(length);
    } else if (w.size() > 1 && (c == ',' || c == ';' || c == ':' || c == '*' || c == '+' ||
                                c == '/' || c == '=' || c == '~' || c == '%' || c == '&')) {
      out.emplace_back(w.substr(0, 1));
      w.remove_prefix(1);
    } else if (w.size() > 1 && (c == '!' || c == '?')) {
      std::size_t length = 1;
      while (length < w.size() && (w[length] == '!' || w[length] == '?'))
        ++length;
      out.emplace_back(w.substr(0, length));
      w.remove_prefix(length);
    } else {
      break;
    }
  }

  // An e-mail address keeps whatever clings to its end (the lexer's EMAIL pattern).
  if (const auto at = w.find('@');
      at != w.npos && at > 0 && w.find('.', at) != w.npos && is_letter(w[at - 1])) {
    std::size_t end = w.size();
    while (end > at &&
           (w[end - 1] == '.' || w[end - 1] == ')' || w[end - 1] == ']' || w[end - 1] == '}'))
      --end;
    out.emplace_back(w.substr(0, end));
    for (std::size_t i = end; i < w.size(); ++i) {
      if (!bracket(w[i]).empty()) out.emplace_back(bracket(w[i]));
    }
    return;
  }

  // Trailing punctuation, collected in reverse.
  thread_local Tokens tail;
  tail.clear();
  while (w.size() > 1) {
    const char32_t c = w.back();
    if (w.ends_with(U"''") || w.ends_with(U"``")) {
      tail.emplace_back(w.substr(w.size() - 2));
      w.remove_suffix(2);
    } else if (c == '"' || c == U'\u201D' || c == U'\u201C') {
      tail.emplace_back(U"''");
      w.remove_suffix(1);
    } else if (c == '\'' || c == U'\u2019' || c == U'\u2018') {
      tail.emplace_back(U"'");
      w.remove_suffix(1);
    } else if (!bracket(c).empty()) {
      tail.emplace_back(bracket(c));
      w.remove_suffix(1);
    } else if (c == ',' || c == ';' || c == ':' || c == '%' || c == '*' || c == '+' || c == '=' ||
               c == '~' || c == '&') {
      tail.emplace_back(w.substr(w.size() - 1));
      w.remove_suffix(1);
    } else if (c == '!' || c == '?') {
      std::size_t length = 1;
      while (length < w.size() &&
             (w[w.size() - 1 - length] == '!' || w[w.size() - 1 - length] == '?'))
        ++length;
      if (length == w.size()) break;
      tail.emplace_back(w.substr(w.size() - length));
      w.remove_suffix(length);
    } else if (c == U'\u2026') {
      tail.emplace_back(U"...");
      w.remove_suffix(1);
    } else if (c == U'\u3002') {  // the ideographic full stop is its own token
      tail.emplace_back(U"\u3002");
      w.remove_suffix(1);
    } else if (is_dash(c) || w.ends_with(U"--")) {
      std::size_t length = 1;
      if (c == '-') {
        while (length < w.size() && w[w.size() - 1 - length] == '-')
          ++length;
      }
      tail.emplace_back(U"--");
      w.remove_suffix(length);
    } else if (c == '-') {
      tail.emplace_back(U"-");
      w.remove_suffix(1);
    } else if (c == '.') {
      std::size_t dots = 1;
      while (dots < w.size() && w[w.size() - 1 - dots] == '.')
        ++dots;
      if (dots == w.size()) break;
      if (dots >= 2 && keeps_period(w.substr(0, w.size() - dots + 1))) {
        // "etc...." is "etc." and "...": the abbreviation keeps one period.
        tail.emplace_back(dots >= 4 ? U"..." : U".");
        w.remove_suffix(dots - 1);
        break;
      }
      if (dots >= 3) {
        tail.emplace_back(U"...");
      } else if (dots == 2) {
        tail.emplace_back(U".");
        tail.emplace_back(U".");
      } else if (keeps_period(w)) {
        break;
      } else {
        tail.emplace_back(U".");
      }
      w.remove_suffix(dots);
    } else {
      break;
    }
  }
  if (w.size() == 1 && !bracket(w[0]).empty()) {
    out.emplace_back(bracket(w[0]));
  } else if (w == U"\"" || w == U"\u201D") {
    out.emplace_back(U"''");
  } else if (w == U"\u201C") {
    out.emplace_back(U"``");
  } else if (w == U"\u2018") {
    out.emplace_back(U"`");
  } else if (w == U"\u2019") {
    out.emplace_back(U"'");
  } else if (w == U"\u2026" || (w.size() >= 3 && w.find_first_not_of(U'.') == w.npos)) {
    out.emplace_back(U"...");
  } else if (w == U"..") {
    out.emplace_back(U".");
    out.emplace_back(U".");
  } else if (w == U"---" || (w.size() == 1 && is_dash(w[0]))) {
    out.emplace_back(U"--");
  } else if (w == U"\u00A3") {
    out.emplace_back(U"#");
  } else if (w == U"\u20AC") {
    out.emplace_back(U"$");
  } else {
    add_middle(w, out);
  }
  out.append_reversed(tail);
}

bool dropped(std::string_view token) {
  return std::find(kDropped.begin(), kDropped.end(), token) != kDropped.end();
}

}  // namespace

void ptb_tokenize(std::string_view caption, std::string& out) {
  thread_local std::u32string text;
  thread_local Tokens tokens;
  thread_local std::string utf8;
  thread_local std::string lowered;
  pystr::code_points(caption, text);
  tokens.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (is_space(text[i]) || is_deleted(text[i])))
      ++i;
    std::size_t end = i;
    while (end < text.size() && !is_space(text[end]) && !is_deleted(text[end]))
      ++end;
    if (end > i) add_chunk(std::u32string_view(text).substr(i, end - i), tokens);
    i = end;
  }
  out.clear();
  for (const auto& token : tokens) {
    if (token.empty()) continue;
    utf8.clear();
    for (const char32_t c : token)
      pystr::append_utf8(utf8, c);
    pystr::lower(utf8, lowered);
    if (dropped(lowered)) continue;
    if (!out.empty()) out.push_back(' ');
    out.append(lowered);
  }
}

std::string ptb_tokenize(std::string_view caption) {
  std::string out;
  ptb_tokenize(caption, out);
  return out;
}

}  // namespace lmmbench::metrics
