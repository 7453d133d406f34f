#include "metrics/answer_processing.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "metrics/answer_processing_unicode.hpp"

namespace lmmbench::metrics::vqa_text {

namespace {

/// The reference's `punct` / PUNCTUATIONS list, as a byte lookup.
constexpr std::string_view kPunctuation = ";/[]\"{}()=+\\_-><@`,?!";

constexpr std::array<bool, 256> make_punctuation_table() {
  std::array<bool, 256> table{};
  for (const char c : kPunctuation)
    table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kIsPunctuation = make_punctuation_table();

/// PERIOD_STRIP.sub("", text, re.UNICODE): re.UNICODE == 32 lands in `count`.
constexpr int kMaxPeriodDeletions = 32;

using Entry = std::pair<std::string_view, std::string_view>;

/// manualMap / NUMBER_MAP.
constexpr std::array<Entry, 12> kNumberWords{{{"eight", "8"},
                                              {"five", "5"},
                                              {"four", "4"},
                                              {"nine", "9"},
                                              {"none", "0"},
                                              {"one", "1"},
                                              {"seven", "7"},
                                              {"six", "6"},
                                              {"ten", "10"},
                                              {"three", "3"},
                                              {"two", "2"},
                                              {"zero", "0"}}};

/// The `contractions` / CONTRACTIONS table (identical in all the references), sorted by key.
/// The four keys with a capital I never match: the words have been lower-cased before lookup.
constexpr std::array<Entry, 120> kContractions{{
    {"'ow'sat", "'ow's'at"},
    {"'ows'at", "'ow's'at"},
    {"I'dve", "I'd've"},
    {"Id've", "I'd've"},
    {"Im", "I'm"},
    {"Ive", "I've"},
    {"aint", "ain't"},
    {"arent", "aren't"},
    {"cant", "can't"},
    {"couldn'tve", "couldn't've"},
    {"couldnt", "couldn't"},
    {"couldnt've", "couldn't've"},
    {"couldve", "could've"},
    {"didnt", "didn't"},
    {"doesnt", "doesn't"},
    {"dont", "don't"},
    {"hadn'tve", "hadn't've"},
    {"hadnt", "hadn't"},
    {"hadnt've", "hadn't've"},
    {"hasnt", "hasn't"},
    {"havent", "haven't"},
    {"he'dve", "he'd've"},
    {"hed", "he'd"},
    {"hed've", "he'd've"},
    {"hes", "he's"},
    {"howd", "how'd"},
    {"howll", "how'll"},
    {"hows", "how's"},
    {"isnt", "isn't"},
    {"it'dve", "it'd've"},
    {"itd", "it'd"},
    {"itd've", "it'd've"},
    {"itll", "it'll"},
    {"let's", "let's"},
    {"maam", "ma'am"},
    {"mightn'tve", "mightn't've"},
    {"mightnt", "mightn't"},
    {"mightnt've", "mightn't've"},
    {"mightve", "might've"},
    {"mustnt", "mustn't"},
    {"mustve", "must've"},
    {"neednt", "needn't"},
    {"notve", "not've"},
    {"oclock", "o'clock"},
    {"oughtnt", "oughtn't"},
    {"ow's'at", "'ow's'at"},
    {"shant", "shan't"},
    {"she'dve", "she'd've"},
    {"she's", "she's"},
    {"shed've", "she'd've"},
    {"shouldn'tve", "shouldn't've"},
    {"shouldnt", "shouldn't"},
    {"shouldnt've", "shouldn't've"},
    {"shouldve", "should've"},
    {"somebody'd", "somebodyd"},
    {"somebody'dve", "somebody'd've"},
    {"somebodyd've", "somebody'd've"},
    {"somebodyll", "somebody'll"},
    {"somebodys", "somebody's"},
    {"someone'dve", "someone'd've"},
    {"someoned", "someone'd"},
    {"someoned've", "someone'd've"},
    {"someonell", "someone'll"},
    {"someones", "someone's"},
    {"something'dve", "something'd've"},
    {"somethingd", "something'd"},
    {"somethingd've", "something'd've"},
    {"somethingll", "something'll"},
    {"thats", "that's"},
    {"there'dve", "there'd've"},
    {"thered", "there'd"},
    {"thered've", "there'd've"},
    {"therere", "there're"},
    {"theres", "there's"},
    {"they'dve", "they'd've"},
    {"theyd", "they'd"},
    {"theyd've", "they'd've"},
    {"theyll", "they'll"},
    {"theyre", "they're"},
    {"theyve", "they've"},
    {"twas", "'twas"},
    {"wasnt", "wasn't"},
    {"we'dve", "we'd've"},
    {"wed've", "we'd've"},
    {"werent", "weren't"},
    {"weve", "we've"},
    {"whatll", "what'll"},
    {"whatre", "what're"},
    {"whats", "what's"},
    {"whatve", "what've"},
    {"whens", "when's"},
    {"whered", "where'd"},
    {"wheres", "where's"},
    {"whereve", "where've"},
    {"who'dve", "who'd've"},
    {"whod", "who'd"},
    {"whod've", "who'd've"},
    {"wholl", "who'll"},
    {"whos", "who's"},
    {"whove", "who've"},
    {"whyll", "why'll"},
    {"whyre", "why're"},
    {"whys", "why's"},
    {"wont", "won't"},
    {"wouldn'tve", "wouldn't've"},
    {"wouldnt", "wouldn't"},
    {"wouldnt've", "wouldn't've"},
    {"wouldve", "would've"},
    {"y'all'dve", "y'all'd've"},
    {"y'alld've", "y'all'd've"},
    {"y'allll", "y'all'll"},
    {"yall", "y'all"},
    {"yall'd've", "y'all'd've"},
    {"yall'll", "y'all'll"},
    {"you'dve", "you'd've"},
    {"youd", "you'd"},
    {"youd've", "you'd've"},
    {"youll", "you'll"},
    {"youre", "you're"},
    {"youve", "you've"},
}};

template <std::size_t N>
constexpr bool sorted_by_key(const std::array<Entry, N>& table) {
  for (std::size_t i = 1; i < N; ++i) {
    if (!(table[i - 1].first < table[i].first)) return false;
  }
  return true;
}
static_assert(sorted_by_key(kNumberWords) && sorted_by_key(kContractions));

template <std::size_t N>
std::string_view lookup(const std::array<Entry, N>& table, std::string_view word) {
  const auto it = std::lower_bound(table.begin(), table.end(), word,
                                   [](const Entry& e, std::string_view w) { return e.first < w; });
  return (it != table.end() && it->first == word) ? it->second : word;
}

bool is_article(std::string_view w) {
  return w == "a" || w == "an" || w == "the";
}

bool is_digit(char32_t c, Digits digits) {
  return digits == Digits::ascii ? (c >= '0' && c <= '9') : pystr::is_decimal(c);
}

/// Whether `text` holds the comma pattern of `rules` (see CommaRule).
bool comma_rule_matches(std::string_view text, PunctuationRules rules) {
  for (std::size_t i = text.find(','); i != std::string_view::npos; i = text.find(',', i)) {
    std::size_t end = i + 1;
    while (end < text.size() && text[end] == ',')
      ++end;
    const bool length_ok = rules.comma == CommaRule::run_between_digits || end - i == 1;
    if (length_ok && i > 0 && end < text.size() &&
        is_digit(pystr::previous_code_point(text, i), rules.digits)) {
      std::size_t next = end;
      if (is_digit(pystr::next_code_point(text, next), rules.digits)) return true;
    }
    i = end;
  }
  return false;
}

/// numerator / (denominator * 2^exponent) rounded to the nearest double, ties to even — what
/// Python's float(Fraction) gives. numerator < 2^64, denominator > 0, result a normal double.
double correctly_rounded_ratio(std::uint64_t numerator, std::uint64_t denominator, int exponent) {
  if (numerator == 0) return 0.0;
  __extension__ using Wide = unsigned __int128;
  Wide num = numerator;
  Wide den = denominator;
  // Scale the quotient into [2^52, 2^53): its integer part is then a 53-bit significand.
  while (num >= (den << 53)) {
    den <<= 1;
    --exponent;
  }
  while (num < (den << 52)) {
    num <<= 1;
    ++exponent;
  }
  auto significand = static_cast<std::uint64_t>(num / den);
  const Wide remainder = num % den;
  if (2 * remainder > den || (2 * remainder == den && (significand & 1) != 0)) ++significand;
  return std::ldexp(static_cast<double>(significand), -exponent);
}

void append_word(std::string& out, std::string_view word) {
  word = lookup(kNumberWords, word);
  if (is_article(word)) return;
  word = lookup(kContractions, word);
  if (!out.empty()) out.push_back(' ');
  out.append(word);
}

}  // namespace

void process_punctuation(std::string_view in, PunctuationRules rules, std::string& out) {
  const bool delete_all = comma_rule_matches(in, rules);
  std::array<bool, 128> next_to_space{};
  if (!delete_all) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      const auto c = static_cast<unsigned char>(in[i]);
      if (kIsPunctuation[c] &&
          ((i + 1 < in.size() && in[i + 1] == ' ') || (i > 0 && in[i - 1] == ' '))) {
        next_to_space[c] = true;
      }
    }
  }
  out.clear();
  out.reserve(in.size());
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (!kIsPunctuation[c]) {
      out.push_back(ch);
    } else if (!delete_all && !next_to_space[c]) {
      out.push_back(' ');
    }
  }
  // Periods not followed by a digit, judged on the text before any deletion (re.sub finds every
  // match first); compacting in place never overwrites what is still to be read.
  int deleted = 0;
  std::size_t write = 0;
  for (std::size_t read = 0; read < out.size(); ++read) {
    if (out[read] == '.' && deleted < kMaxPeriodDeletions) {
      std::size_t next = read + 1;
      const bool digit_follows =
          next < out.size() && is_digit(pystr::next_code_point(out, next), rules.digits);
      // out[..read) still holds the text as it was before this pass wherever it matters: write <=
      // read, and write == read while nothing has been deleted.
      const bool digit_before = rules.period == PeriodRule::not_next_to_digit && read > 0 &&
                                is_digit(pystr::previous_code_point(out, read), rules.digits);
      if (!digit_follows && !digit_before) {
        ++deleted;
        continue;
      }
    }
    out[write++] = out[read];
  }
  out.resize(write);
}

void process_digit_article(std::string_view in, std::string& out) {
  thread_local std::string lowered;
  thread_local std::vector<std::string_view> words;
  pystr::lower(in, lowered);
  out.clear();
  if (pystr::is_ascii(lowered)) {
    const std::string_view text = lowered;
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && pystr::is_space(static_cast<unsigned char>(text[i])))
        ++i;
      const std::size_t start = i;
      while (i < text.size() && !pystr::is_space(static_cast<unsigned char>(text[i])))
        ++i;
      if (i > start) append_word(out, text.substr(start, i - start));
    }
    return;
  }
  words.clear();
  pystr::split(lowered, words);
  for (const auto word : words)
    append_word(out, word);
}

void clean_whitespace(std::string_view in, std::string& out) {
  out.assign(in);
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\t', ' ');
  const std::string_view stripped = pystr::strip(out);
  const std::size_t begin = static_cast<std::size_t>(stripped.data() - out.data());
  out.erase(begin + stripped.size());
  out.erase(0, begin);
}

void evalai_process(std::string_view in, std::string& out) {
  thread_local std::string a;
  thread_local std::string b;
  // word_tokenize: lower(), replace(",", ""), replace("?", ""), replace("'s", " 's"), strip().
  pystr::lower(in, a);
  b.clear();
  for (const char c : a) {
    if (c != ',' && c != '?') b.push_back(c);
  }
  a.clear();
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (b[i] == '\'' && i + 1 < b.size() && b[i + 1] == 's') {
      a.append(" 's");
      ++i;
    } else {
      a.push_back(b[i]);
    }
  }
  clean_whitespace(pystr::strip(a), b);  // strip(), then replace('\n'/'\t', ' ') and strip()
  process_punctuation(b, kEvalAiRules, a);
  process_digit_article(a, out);
}

double leave_one_out_accuracy(std::span<const std::string> answers, std::string_view prediction,
                              Averaging averaging) {
  if (answers.empty()) return 0.0;
  std::size_t matches = 0;
  for (const auto& a : answers)
    matches += a == prediction ? 1 : 0;
  if (averaging == Averaging::exact) {
    // Each accuracy is 0, 1, or k * t with t = 1/3.0 = T * 2^-54 (T an integer; 2/3.0 is exactly
    // 2t), so the exact sum is N * 2^-54 for an integer N.
    const auto t_units = static_cast<std::uint64_t>(std::ldexp(1.0 / 3.0, 54));
    std::uint64_t units = 0;
    for (const auto& a : answers) {
      const std::size_t others = matches - (a == prediction ? 1 : 0);
      units += others >= 3 ? (std::uint64_t{1} << 54) : others * t_units;
    }
    return correctly_rounded_ratio(units, answers.size(), 54);
  }
  double sum = 0.0;
  for (const auto& a : answers) {
    const std::size_t others = matches - (a == prediction ? 1 : 0);
    sum += std::min(1.0, static_cast<double>(others) / 3.0);
  }
  return sum / static_cast<double>(answers.size());
}

}  // namespace lmmbench::metrics::vqa_text
