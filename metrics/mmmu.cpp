#include "metrics/mmmu.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <unicode/uchar.h>

#include "core/error.hpp"
#include "core/python_literal.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kReference =
    "MMMU-Benchmark/MMMU@bb0b95a mmmu/utils/eval_utils.py parse_multi_choice_response + "
    "parse_open_response + eval_multi_choice + eval_open";

// MMMU-Benchmark/MMMU@bb0b95a mmmu/utils/data_utils.py DOMAIN_CAT2SUB_CAT.
constexpr std::array<std::pair<std::string_view, std::string_view>, 30> kDisciplines{{
    {"Art", "Art and Design"},
    {"Art_Theory", "Art and Design"},
    {"Design", "Art and Design"},
    {"Music", "Art and Design"},
    {"Accounting", "Business"},
    {"Economics", "Business"},
    {"Finance", "Business"},
    {"Manage", "Business"},
    {"Marketing", "Business"},
    {"Biology", "Science"},
    {"Chemistry", "Science"},
    {"Geography", "Science"},
    {"Math", "Science"},
    {"Physics", "Science"},
    {"Basic_Medical_Science", "Health and Medicine"},
    {"Clinical_Medicine", "Health and Medicine"},
    {"Diagnostics_and_Laboratory_Medicine", "Health and Medicine"},
    {"Pharmacy", "Health and Medicine"},
    {"Public_Health", "Health and Medicine"},
    {"History", "Humanities and Social Science"},
    {"Literature", "Humanities and Social Science"},
    {"Sociology", "Humanities and Social Science"},
    {"Psychology", "Humanities and Social Science"},
    {"Agriculture", "Tech and Engineering"},
    {"Architecture_and_Engineering", "Tech and Engineering"},
    {"Computer_Science", "Tech and Engineering"},
    {"Electronics", "Tech and Engineering"},
    {"Energy_and_Power", "Tech and Engineering"},
    {"Materials", "Tech and Engineering"},
    {"Mechanical_Engineering", "Tech and Engineering"},
}};

/// str.strip(c) for one ASCII character.
std::string_view strip_char(std::string_view s, char c) {
  while (!s.empty() && s.front() == c)
    s.remove_prefix(1);
  while (!s.empty() && s.back() == c)
    s.remove_suffix(1);
  return s;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

/// `\w` of a Python 3 str regex: str.isalnum() (categories L* and N*) or '_'.
bool is_word(char32_t c) {
  if (c == U'_') return true;
  if (c < 0x80)
    return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return true;
    default:
      return false;
  }
}

/// The three patterns of extract_numbers over code points; each returns the end of a match
/// starting at p, or npos.
class NumberScanner {
 public:
  explicit NumberScanner(std::string_view text) { pystr::code_points(text, s_); }

  [[nodiscard]] std::vector<std::string> find_all(std::size_t (NumberScanner::*match)(std::size_t)
                                                      const) const {
    std::vector<std::string> out;
    std::size_t p = 0;
    while (p <= s_.size()) {
      const std::size_t end = (this->*match)(p);
      if (end == npos || end == p) {
        ++p;
        continue;
      }
      std::string m;
      for (std::size_t k = p; k < end; ++k)
        pystr::append_utf8(m, s_[k]);
      out.push_back(std::move(m));
      p = end;
    }
    return out;
  }

  /// -?\b\d{1,3}(?:,\d{3})+\b
  [[nodiscard]] std::size_t commas(std::size_t p) const {
    if (at(p) == U'-') {
      if (const auto end = commas_body(p + 1); end != npos) return end;
    }
    return commas_body(p);
  }
  /// -?\d+(?:\.\d+)?[eE][+-]?\d+
  [[nodiscard]] std::size_t scientific(std::size_t p) const {
    if (at(p) == U'-') {
      if (const auto end = scientific_body(p + 1); end != npos) return end;
    }
    return scientific_body(p);
  }
  /// -?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])
  [[nodiscard]] std::size_t simple(std::size_t p) const {
    if (at(p) == U'-') {
      if (const auto end = simple_body(p + 1); end != npos) return end;
    }
    return simple_body(p);
  }

  static constexpr std::size_t npos = std::string::npos;

 private:
  [[nodiscard]] char32_t at(std::size_t i) const { return i < s_.size() ? s_[i] : 0; }
  [[nodiscard]] bool digit(std::size_t i) const {
    return i < s_.size() && pystr::is_decimal(s_[i]);
  }
  [[nodiscard]] std::size_t digits(std::size_t i) const {
    std::size_t n = 0;
    while (digit(i + n))
      ++n;
    return n;
  }
  [[nodiscard]] bool word(std::size_t i) const { return i < s_.size() && is_word(s_[i]); }
  [[nodiscard]] bool boundary(std::size_t i) const { return (i > 0 && word(i - 1)) != word(i); }

  [[nodiscard]] std::size_t commas_body(std::size_t q) const {
    if (!boundary(q)) return npos;
    const std::size_t run = digits(q);
    for (std::size_t d = std::min<std::size_t>(run, 3); d >= 1; --d) {
      std::vector<std::size_t> ends;  // after each ",ddd" group
      std::size_t r = q + d;
      while (at(r) == U',' && digit(r + 1) && digit(r + 2) && digit(r + 3)) {
        r += 4;
        ends.push_back(r);
      }
      for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
        if (boundary(*it)) return *it;
      }
    }
    return npos;
  }

  [[nodiscard]] std::size_t scientific_body(std::size_t q) const {
    const std::size_t run = digits(q);
    if (run == 0) return npos;
    std::size_t r = q + run;
    if (at(r) == U'.' && digit(r + 1)) r += 1 + digits(r + 1);
    if (at(r) != U'e' && at(r) != U'E') return npos;
    ++r;
    if ((at(r) == U'+' || at(r) == U'-') && digit(r + 1)) ++r;
    const std::size_t exponent = digits(r);
    return exponent == 0 ? npos : r + exponent;
  }

  [[nodiscard]] bool lookaheads_pass(std::size_t end) const {
    const char32_t c = at(end);
    if (c == U'e' || c == U'E') {
      if (digit(end + 1) || ((at(end + 1) == U'+' || at(end + 1) == U'-') && digit(end + 2)))
        return false;
    }
    return !(c == U',' || digit(end));
  }

  [[nodiscard]] std::size_t simple_body(std::size_t q) const {
    const std::size_t run = digits(q);
    // \d+\.\d+
    if (run > 0 && at(q + run) == U'.' && digit(q + run + 1)) {
      const std::size_t end = q + run + 1 + digits(q + run + 1);
      if (lookaheads_pass(end)) return end;
    }
    // \.\d+
    if (at(q) == U'.' && digit(q + 1)) {
      const std::size_t end = q + 1 + digits(q + 1);
      if (lookaheads_pass(end)) return end;
    }
    // \d+\b
    if (run > 0 && boundary(q + run) && lookaheads_pass(q + run)) return q + run;
    return npos;
  }

  std::u32string s_;
};

using Normalized = Mmmu::OpenPrediction;

/// normalize_str.
void normalize_str(std::string_view text, std::vector<Normalized>& out) {
  const std::string_view s = pystr::strip(text);
  std::string without_commas;
  for (const char c : s)
    if (c != ',') without_commas += c;
  if (const auto value = pystr::to_float(without_commas)) {
    out.emplace_back(pystr::round(*value, 2));
    return;
  }
  std::string lowered = pystr::lower(s);
  if (pystr::length(lowered) == 1) {
    out.emplace_back(" " + lowered);
    out.emplace_back(lowered + " ");
  } else {
    out.emplace_back(std::move(lowered));
  }
}

/// get_key_subresponses of parse_open_response.
std::vector<std::string> key_subresponses(std::string_view text) {
  const std::string response = pystr::lower(strip_char(pystr::strip(text), '.'));
  // re.split(r'\.\s(?=[A-Z])|\n', response) runs on the lower-cased text, where no A-Z is left:
  // only the line breaks split it.
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t nl = response.find('\n', start);
    parts.push_back(
        std::string_view(response).substr(start, nl == std::string::npos ? nl : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  static constexpr std::array<std::string_view, 9> kIndicators{
      "could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ", "="};
  std::vector<std::string> keys;
  for (std::size_t index = 0; index < parts.size(); ++index) {
    const std::string_view part = parts[index];
    // '=' joins the indicators for the last sub-response only.
    const std::size_t indicators = index + 1 == parts.size() ? 9 : 8;
    std::optional<std::string_view> shortest;
    for (std::size_t k = 0; k < indicators; ++k) {
      const std::size_t at = part.rfind(kIndicators[k]);
      if (at == std::string_view::npos) continue;
      const std::string_view tail = pystr::strip(part.substr(at + kIndicators[k].size()));
      // `if not shortest_key_response`: None and "" are both replaced.
      if (!shortest || shortest->empty() || pystr::length(tail) < pystr::length(*shortest))
        shortest = tail;
    }
    if (shortest && !shortest->empty()) {
      static constexpr std::array<std::string_view, 7> kTrivial{":", ",", ".", "!", "?", ";", "'"};
      const std::string_view s = pystr::strip(*shortest);
      if (std::find(kTrivial.begin(), kTrivial.end(), s) == kTrivial.end())
        keys.emplace_back(*shortest);
    }
  }
  if (keys.empty()) keys.push_back(response);
  return keys;
}

/// One 64-bit FNV-1a hash of the id's bytes.
std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

/// CPython's random module core: MT19937 seeded by init_by_array with the seed's 32-bit words.
class PythonRandom {
 public:
  explicit PythonRandom(const std::vector<std::uint32_t>& key) {
    init_genrand(19650218U);
    std::size_t i = 1;
    std::size_t j = 0;
    for (std::size_t k = std::max<std::size_t>(kN, key.size()); k > 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
               static_cast<std::uint32_t>(j);
      ++i;
      ++j;
      if (i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
      if (j >= key.size()) j = 0;
    }
    for (std::size_t k = kN - 1; k > 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) -
               static_cast<std::uint32_t>(i);
      ++i;
      if (i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000U;
  }

  std::uint32_t next() {
    if (index_ >= kN) generate();
    std::uint32_t y = mt_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
  }

  /// _randbelow_with_getrandbits(n) for 0 < n < 2**32.
  std::size_t below(std::size_t n) {
    int k = 0;
    while ((n >> k) != 0)
      ++k;  // n.bit_length()
    while (true) {
      const std::uint32_t r = next() >> (32 - k);
      if (r < n) return r;
    }
  }

 private:
  static constexpr std::size_t kN = 624;

  void init_genrand(std::uint32_t s) {
    mt_[0] = s;
    for (std::size_t i = 1; i < kN; ++i)
      mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    index_ = kN;
  }

  void generate() {
    for (std::size_t k = 0; k < kN; ++k) {
      const std::uint32_t y = (mt_[k] & 0x80000000U) | (mt_[(k + 1) % kN] & 0x7fffffffU);
      mt_[k] = mt_[(k + 397) % kN] ^ (y >> 1) ^ ((y & 1U) != 0 ? 0x9908b0dfU : 0U);
    }
    index_ = 0;
  }

  std::array<std::uint32_t, kN> mt_{};
  std::size_t index_ = kN;
};

std::vector<std::string> gold_answers(const ScoringItem& item) {
  if (item.answers.empty()) {
    throw InputError(fmt::format("item '{}': MMMU needs a gold answer", item.id));
  }
  if (item.answers.size() == 1 && item.answers.front().starts_with('[')) {
    if (auto list = parse_python_string_list(item.answers.front()); list && !list->empty())
      return std::move(*list);
  }
  return item.answers;
}

/// Adds the subject and discipline of each item's id before MeanAggregator counts it.
class MmmuAggregator final : public Aggregator {
 public:
  explicit MmmuAggregator(const MetricInfo& info)
      : mean_(info, {"discipline", "subject", "question_type"}) {}
  void add(const ScoringItem& item, const SampleScore& score) override {
    ScoringItem keyed;
    keyed.id = item.id;
    keyed.category = item.category;
    keyed.fields["question_type"] =
        item.field("question_type") == "multiple-choice" ? "multiple-choice" : "open";
    std::string subject = Mmmu::subject_of(item.id);
    if (const auto discipline = Mmmu::discipline_of(subject); !discipline.empty())
      keyed.fields["discipline"] = std::string(discipline);
    if (!subject.empty()) keyed.fields["subject"] = std::move(subject);
    mean_.add(keyed, score);
  }
  [[nodiscard]] MetricResult finish() override { return mean_.finish(); }

 private:
  MeanAggregator mean_;
};

}  // namespace

Mmmu::Mmmu(Variant variant)
    : variant_(variant),
      info_{"mmmu",
            variant == Variant::official ? "official" : "random-fallback",
            kReference,
            variant == Variant::official
                ? "MMMU: the official answer parsers and evaluation; an unreadable "
                  "multiple-choice answer is unparsed and wrong"
                : "MMMU: the official answer parsers and evaluation with the official random "
                  "letter for an unreadable multiple-choice answer (seeded per item)",
            {"question_type", "answers"}} {}

std::optional<char> Mmmu::parse_multi_choice(std::string_view text,
                                             std::span<const std::string> options) {
  for (const char c : {',', '.', '!', '?', ';', ':', '\''})
    text = strip_char(text, c);
  const std::string response = " " + std::string(text) + " ";
  const std::size_t n = options.size();
  auto letter = [](std::size_t k) { return static_cast<char>('A' + k); };
  bool index_ans = true;
  bool with_brackets = false;
  std::vector<std::size_t> candidates;
  for (std::size_t k = 0; k < n; ++k) {
    if (contains(response, fmt::format("({})", letter(k)))) {
      candidates.push_back(k);
      with_brackets = true;
    }
  }
  if (candidates.empty()) {
    for (std::size_t k = 0; k < n; ++k)
      if (contains(response, fmt::format(" {} ", letter(k)))) candidates.push_back(k);
  }
  std::string lowered;
  std::vector<std::string> lowered_options;
  if (candidates.empty()) {
    std::vector<std::string_view> words;
    pystr::split(response, words);
    if (words.size() > 5) {
      lowered = pystr::lower(response);
      for (std::size_t k = 0; k < n; ++k) {
        lowered_options.push_back(pystr::lower(options[k]));
        if (contains(lowered, lowered_options.back())) {
          candidates.push_back(k);
          index_ans = false;
        }
      }
    }
  }
  if (candidates.empty()) return std::nullopt;
  if (candidates.size() == 1) return letter(candidates.front());
  // The last one: the largest start (byte offsets order as Python's code-point offsets do);
  // np.argmax keeps the first of equal ones.
  std::size_t best = candidates.front();
  std::ptrdiff_t best_start = -2;
  for (const std::size_t k : candidates) {
    std::size_t at;
    if (!index_ans) {
      at = lowered.rfind(lowered_options[k]);
    } else if (with_brackets) {
      at = response.rfind(fmt::format("({})", letter(k)));
    } else {
      at = response.rfind(fmt::format(" {} ", letter(k)));
    }
    const std::ptrdiff_t start = at == std::string::npos ? -1 : static_cast<std::ptrdiff_t>(at);
    if (start > best_start) {
      best_start = start;
      best = k;
    }
  }
  return letter(best);
}

std::vector<std::string> Mmmu::extract_numbers(std::string_view text) {
  const NumberScanner scanner(text);
  std::vector<std::string> all = scanner.find_all(&NumberScanner::commas);
  for (const auto match : {&NumberScanner::scientific, &NumberScanner::simple}) {
    auto found = scanner.find_all(match);
    all.insert(all.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return all;
}

std::vector<Mmmu::OpenPrediction> Mmmu::parse_open(std::string_view response) {
  const std::vector<std::string> keys = key_subresponses(response);
  std::vector<std::string> raw = keys;
  for (const auto& key : keys) {
    auto numbers = extract_numbers(key);
    raw.insert(raw.end(), numbers.begin(), numbers.end());
  }
  std::vector<OpenPrediction> out;
  for (const auto& r : raw)
    normalize_str(r, out);
  // list(set(...)): the order does not matter to eval_open; a fixed one is reproducible. NaN is
  // never equal to anything (Python's set keeps each NaN object, and `in` never matches one).
  std::sort(out.begin(), out.end(), [](const OpenPrediction& a, const OpenPrediction& b) {
    if (a.index() != b.index()) return a.index() < b.index();
    if (const auto* x = std::get_if<double>(&a)) {
      const double y = std::get<double>(b);
      if (std::isnan(*x) || std::isnan(y)) return !std::isnan(*x) && std::isnan(y);
      return *x < y;
    }
    return std::get<std::string>(a) < std::get<std::string>(b);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const OpenPrediction& a, const OpenPrediction& b) {
                          if (a.index() != b.index()) return false;
                          if (const auto* x = std::get_if<double>(&a))
                            return *x == std::get<double>(b);
                          return std::get<std::string>(a) == std::get<std::string>(b);
                        }),
            out.end());
  return out;
}

bool Mmmu::eval_open(std::span<const std::string> gold,
                     std::span<const OpenPrediction> predictions) {
  std::vector<Normalized> norm;
  for (const auto& g : gold)
    normalize_str(g, norm);
  for (const auto& prediction : predictions) {
    if (const auto* text = std::get_if<std::string>(&prediction)) {
      for (const auto& n : norm) {
        if (const auto* s = std::get_if<std::string>(&n); s != nullptr && contains(*text, *s))
          return true;
      }
    } else {
      const double value = std::get<double>(prediction);
      for (const auto& n : norm) {
        if (const auto* x = std::get_if<double>(&n); x != nullptr && *x == value) return true;
      }
    }
  }
  return false;
}

std::size_t Mmmu::python_random_choice(std::uint64_t seed_high, std::uint64_t seed_low,
                                       std::size_t n) {
  // random.seed(int): the absolute value's 32-bit words, least significant first, without the
  // leading zero words (at least one word).
  std::vector<std::uint32_t> key{
      static_cast<std::uint32_t>(seed_low), static_cast<std::uint32_t>(seed_low >> 32),
      static_cast<std::uint32_t>(seed_high), static_cast<std::uint32_t>(seed_high >> 32)};
  while (key.size() > 1 && key.back() == 0)
    key.pop_back();
  PythonRandom random(key);
  return random.below(n);
}

std::string Mmmu::subject_of(std::string_view id) {
  const std::size_t first = id.find('_');
  const std::size_t last = id.rfind('_');
  if (first == std::string_view::npos || first == last) return {};
  return std::string(id.substr(first + 1, last - first - 1));
}

std::string_view Mmmu::discipline_of(std::string_view subject) {
  for (const auto& [name, discipline] : kDisciplines)
    if (name == subject) return discipline;
  return {};
}

SampleScore Mmmu::score(const ScoringItem& item) const {
  const std::vector<std::string> gold = gold_answers(item);
  SampleScore s;
  const std::string_view prediction = item.prediction ? std::string_view(*item.prediction) : "";
  if (item.field("question_type") == "multiple-choice") {
    if (item.options.empty()) {
      throw InputError(
          fmt::format("item '{}': an MMMU multiple-choice item needs its options", item.id));
    }
    if (item.options.size() > 26) {
      throw InputError(fmt::format("item '{}': more than 26 options", item.id));
    }
    for (const auto& g : gold) {
      if (g.size() != 1 || g[0] < 'A' ||
          static_cast<std::size_t>(g[0] - 'A') >= item.options.size()) {
        throw InputError(
            fmt::format("item '{}': MMMU gold answer '{}' is not the letter of one of "
                        "its {} options",
                        item.id, g, item.options.size()));
      }
    }
    std::optional<char> letter;
    if (item.prediction) letter = parse_multi_choice(prediction, item.options);
    if (!letter && variant_ == Variant::random_fallback) {
      letter =
          static_cast<char>('A' + python_random_choice(42, fnv1a64(item.id), item.options.size()));
      s.status = ParseStatus::unparsed;
    } else if (!letter) {
      s.status = ParseStatus::unparsed;
    }
    if (letter) {
      s.extracted = std::string(1, *letter);
      // eval_multi_choice: equal to the gold (or one of a list of golds).
      s.score = std::find(gold.begin(), gold.end(), s.extracted) != gold.end() ? 1.0 : 0.0;
    }
  } else {
    const auto predictions = parse_open(prediction);
    for (const auto& p : predictions) {
      if (!s.extracted.empty()) s.extracted += " | ";
      if (const auto* x = std::get_if<double>(&p)) {
        s.extracted += pystr::float_repr(*x);
      } else {
        s.extracted += std::get<std::string>(p);
      }
    }
    s.score = item.prediction && eval_open(gold, predictions) ? 1.0 : 0.0;
    if (pystr::strip(prediction).empty()) s.status = ParseStatus::unparsed;
  }
  if (!item.prediction) s.status = ParseStatus::missing;
  return s;
}

std::unique_ptr<Metric> Mmmu::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<Mmmu>(select_variant("mmmu", variant, variants()) == "random-fallback"
                                    ? Variant::random_fallback
                                    : Variant::official);
}

std::unique_ptr<Aggregator> Mmmu::aggregator() const {
  return std::make_unique<MmmuAggregator>(info_);
}

}  // namespace lmmbench::metrics
