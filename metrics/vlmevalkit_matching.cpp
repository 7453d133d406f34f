#include "metrics/vlmevalkit_matching.hpp"

#include <algorithm>
#include <array>

#include "metrics/answer_processing_unicode.hpp"

namespace lmmbench::metrics::vlmevalkit {

namespace {

using Tokens = std::vector<std::string_view>;

bool has_token(const Tokens& tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

std::u32string code_points(std::string_view s) {
  std::u32string out;
  pystr::code_points(s, out);
  return out;
}

/// VLMEvalKit can_infer_option's refusal strings, read as 'Z'.
constexpr std::array<std::string_view, 4> kRefusals = {
    "Sorry, I can't help with images of people yet.", "I can't process this file.",
    "I'm sorry, but without the image provided", "Cannot determine the answer"};

/// One character of the VLMEvalKit regex under (?i): the code points Python's re matches.
bool ci_is(char32_t c, char lower) {
  const char32_t upper = static_cast<char32_t>(lower - 'a' + 'A');
  if (c == static_cast<char32_t>(lower) || c == upper) return true;
  if (lower == 's') return c == 0x017F;                 // LATIN SMALL LETTER LONG S
  if (lower == 'i') return c == 0x0130 || c == 0x0131;  // dotted capital I, dotless small i
  return false;
}

/// re.search(r"(?i)(?:correct\s+)?answer\s+is\s+\**([ABCD])\**", answer).group(1).upper(). The
/// optional prefix never changes the group, and every part is deterministic (\s, '*' and letters
/// are disjoint), so the first "answer" followed by the rest decides.
std::optional<char> answer_is_letter(std::u32string_view s) {
  auto word = [&](std::size_t at, std::string_view w) {
    if (at + w.size() > s.size()) return false;
    for (std::size_t k = 0; k < w.size(); ++k) {
      if (!ci_is(s[at + k], w[k])) return false;
    }
    return true;
  };
  auto spaces = [&](std::size_t at) {
    std::size_t end = at;
    while (end < s.size() && pystr::is_space(s[end]))
      ++end;
    return end;
  };
  for (std::size_t p = 0; p < s.size(); ++p) {
    if (!word(p, "answer")) continue;
    std::size_t at = p + 6;
    std::size_t end = spaces(at);
    if (end == at || !word(end, "is")) continue;
    at = end + 2;
    end = spaces(at);
    if (end == at) continue;
    while (end < s.size() && s[end] == U'*')
      ++end;
    if (end < s.size()) {
      const char32_t c = s[end];
      if (c >= U'A' && c <= U'D') return static_cast<char>(c);
      if (c >= U'a' && c <= U'd') return static_cast<char>(c - U'a' + U'A');
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<char> can_infer_option(std::string_view answer, std::size_t option_count) {
  if (answer.find(kApiFailure) != std::string_view::npos) return std::nullopt;
  for (const std::string_view refusal : kRefusals) {
    if (answer.find(refusal) != std::string_view::npos) return 'Z';
  }
  std::string spaced(answer);
  for (char& c : spaced) {
    if (std::string_view(".()[],:;!*#{}").find(c) != std::string_view::npos) c = ' ';
  }
  Tokens tokens;
  pystr::split(spaced, tokens);
  const std::size_t letters = std::min<std::size_t>(option_count, 26);
  std::size_t present = 0;
  for (std::size_t k = 0; k < letters; ++k) {
    if (has_token(tokens, std::string(1, static_cast<char>('A' + k)))) ++present;
  }
  if (present == 1) {
    for (std::size_t k = 0; k < letters; ++k) {
      const std::string letter(1, static_cast<char>('A' + k));
      const auto it = std::find(tokens.begin(), tokens.end(), letter);
      // splits.index(ch) > len(splits) - 5: the letter's first occurrence is among the last 4.
      if (it != tokens.end() &&
          static_cast<long>(it - tokens.begin()) > static_cast<long>(tokens.size()) - 5) {
        return letter[0];
      }
    }
  } else if (present == 0 && has_token(tokens, "Z")) {
    return 'Z';
  }
  if (const auto letter = answer_is_letter(code_points(answer));
      letter && static_cast<std::size_t>(*letter - 'A') < letters) {
    return letter;
  }
  return std::nullopt;
}

std::optional<char> can_infer_text(std::string_view answer,
                                   const std::vector<std::string>& options) {
  const std::string lowered = pystr::lower(answer);
  std::size_t total = 0;
  for (const auto& option : options)
    total += pystr::length(option);
  if (pystr::length(lowered) > 2 * total) return std::nullopt;
  std::optional<char> found;
  std::size_t matches = 0;
  for (std::size_t k = 0; k < options.size() && k < 26; ++k) {
    if (lowered.find(pystr::lower(options[k])) != std::string::npos) {
      ++matches;
      found = static_cast<char>('A' + k);
    }
  }
  return matches == 1 ? found : std::nullopt;
}

std::optional<char> can_infer(std::string_view answer, const std::vector<std::string>& options) {
  if (const auto letter = can_infer_option(answer, options.size())) return letter;
  return can_infer_text(answer, options);
}

}  // namespace lmmbench::metrics::vlmevalkit
