#include "metrics/mmbench.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <span>
#include <utility>

#include <fmt/format.h>
#include <unicode/uchar.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"
#include "metrics/vlmevalkit_matching.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kLmmsReference =
    "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/mmbench/mmbench_evals.py "
    "MMBench_Evaluator.eval_result(results, 'static')";
constexpr const char* kVlmReference =
    "open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/multiple_choice.py "
    "mcq_circular_eval(model=None) + report_acc";

using vlmevalkit::kApiFailure;

using Tokens = std::vector<std::string_view>;

bool has_token(const Tokens& tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

std::string affixed(std::string_view prefix, char letter, std::string_view suffix) {
  std::string s(prefix);
  s.push_back(letter);
  s.append(suffix);
  return s;
}

std::u32string code_points(std::string_view s) {
  std::u32string out;
  pystr::code_points(s, out);
  return out;
}

std::string utf8(std::u32string_view s) {
  std::string out;
  for (const char32_t c : s)
    pystr::append_utf8(out, c);
  return out;
}

std::u32string_view strip32(std::u32string_view s) {
  while (!s.empty() && pystr::is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && pystr::is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

/// str.isalpha() of one character: general category L (Lu, Ll, Lt, Lm, Lo).
bool is_alpha(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return u_isalpha(static_cast<UChar32>(c)) != 0;
}

/// extract_mcq_answer's _ANSWER_PHRASES, in its order.
constexpr std::array<std::u32string_view, 27> kAnswerPhrases = {U"the answer is",
                                                                U"answer is",
                                                                U"the correct answer is",
                                                                U"correct answer is",
                                                                U"the best answer is",
                                                                U"best answer is",
                                                                U"the correct option is",
                                                                U"correct option is",
                                                                U"the best option is",
                                                                U"best option is",
                                                                U"the choice is",
                                                                U"choice is",
                                                                U"the correct choice is",
                                                                U"correct choice is",
                                                                U"i choose",
                                                                U"i select",
                                                                U"i pick",
                                                                U"my answer is",
                                                                U"my choice is",
                                                                U"옵션",
                                                                U"정답은",
                                                                U"답은",
                                                                U"답:",
                                                                U"答案是",
                                                                U"答案为",
                                                                U"选",
                                                                U"答えは"};

const std::string& gold_letter(const ScoringItem& item) {
  if (item.answers.empty() || item.answers.front().size() != 1 || item.answers.front()[0] < 'A' ||
      item.answers.front()[0] > 'Z') {
    throw InputError(fmt::format("item '{}': MMBench gold answer must be one letter A-Z, got '{}'",
                                 item.id,
                                 item.answers.empty() ? std::string() : item.answers.front()));
  }
  if (static_cast<std::size_t>(item.answers.front()[0] - 'A') >= item.options.size()) {
    throw InputError(fmt::format("item '{}': MMBench gold answer '{}' is not one of its {} options",
                                 item.id, item.answers.front(), item.options.size()));
  }
  return item.answers.front();
}

class MmBenchAggregator final : public Aggregator {
 public:
  explicit MmBenchAggregator(const MetricInfo& info) : info_(info) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    const std::string_view group = item.field("group");
    if (group.empty()) {
      throw InputError(fmt::format("item '{}': MMBench needs the circular group id", item.id));
    }
    auto [it, inserted] = group_index_.try_emplace(std::string(group), groups_.size());
    if (inserted)
      groups_.push_back(Group{true, item.category, std::string(item.field("l2_category"))});
    if (score.score <= 0.0) groups_[it->second].hit = false;
    ++n_;
    if (score.status == ParseStatus::missing) ++n_missing_;
    if (score.status == ParseStatus::unparsed) ++n_unparsed_;
  }

  MetricResult finish() override {
    MetricResult r = result_of(info_, Unit::percent);
    r.n = n_;
    r.n_missing = n_missing_;
    r.n_unparsed = n_unparsed_;
    std::size_t hits = 0;
    // Per breakdown key and value: groups, hits.
    std::map<std::string, std::map<std::string, std::pair<std::size_t, std::size_t>>> by;
    for (const Group& g : groups_) {
      hits += g.hit ? 1 : 0;
      for (const auto& [key, value] :
           {std::pair{"category", &g.category}, std::pair{"l2_category", &g.l2_category}}) {
        if (value->empty()) continue;
        auto& [count, hit] = by[key][*value];
        ++count;
        hit += g.hit ? 1 : 0;
      }
    }
    r.score = 100.0 * (static_cast<double>(hits) / static_cast<double>(groups_.size()));
    r.metrics.push_back(
        MetricValue{"groups", static_cast<double>(groups_.size()), Unit::count, false});
    for (const auto& [key, values] : by) {
      for (const auto& [name, counts] : values) {
        r.breakdown[key][name] = BreakdownCell{
            counts.first,
            {MetricValue{
                "accuracy",
                100.0 * (static_cast<double>(counts.second) / static_cast<double>(counts.first)),
                Unit::percent, true}}};
      }
    }
    const BootstrapEstimate e =
        bootstrap(groups_.size(), [&](std::span<const std::size_t> indices) {
          std::size_t h = 0;
          for (const std::size_t i : indices)
            h += groups_[i].hit ? 1 : 0;
          return 100.0 * (static_cast<double>(h) / static_cast<double>(indices.size()));
        });
    r.standard_error = e.standard_error;
    r.ci95 = e.ci95;
    r.interval_method = e.method();
    return r;
  }

 private:
  struct Group {
    bool hit = true;
    std::string category;     ///< Of the group's first item (the main row).
    std::string l2_category;  ///< Likewise ("" when the items have none).
  };

  MetricInfo info_;
  std::vector<Group> groups_;
  std::map<std::string, std::size_t, std::less<>> group_index_;
  std::size_t n_ = 0;
  std::size_t n_missing_ = 0;
  std::size_t n_unparsed_ = 0;
};

}  // namespace

MmBench::MmBench(Variant variant)
    : variant_(variant),
      info_{"mmbench",
            variant == Variant::lmms_eval ? "lmms-eval" : "vlmevalkit",
            variant == Variant::lmms_eval ? kLmmsReference : kVlmReference,
            variant == Variant::lmms_eval
                ? "MMBench CircularEval, lmms-eval static rules (can_infer_option, can_infer_text, "
                  "extract_mcq_answer); a question counts when every rotated copy is right"
                : "MMBench CircularEval, VLMEvalKit exact-matching rules (can_infer, letter among "
                  "the last tokens); a question counts when every rotated copy is right",
            {"options", "answer", "group"}} {}

std::optional<char> MmBench::lmms_can_infer_option(std::string_view answer) {
  if (answer.find(kApiFailure) != std::string_view::npos) return std::nullopt;
  Tokens tokens;
  pystr::split(answer, tokens);
  constexpr std::string_view kLetters = "ABCDE";
  auto count = [&](std::string_view prefix, std::string_view suffix) {
    return std::count_if(kLetters.begin(), kLetters.end(),
                         [&](char c) { return has_token(tokens, affixed(prefix, c, suffix)); });
  };
  if (count("", "") == 1) {
    // "A" among more than three tokens may be an article: fall through to the affixed forms.
    if (!(has_token(tokens, "A") && tokens.size() > 3)) {
      for (const char c : kLetters) {
        if (has_token(tokens, std::string(1, c))) return c;
      }
    }
  }
  constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kAffixes = {{
      {"", "."},
      {"", ","},
      {"", ":"},
      {"", ")"},
      {"", ")."},
      {"(", ")"},
      {"(", ")."},
      {":", ""},
      {":", ","},
      {":", "."},
      {":", ")"},
      {":", ")."},
  }};
  for (const auto& [prefix, suffix] : kAffixes) {
    if (count(prefix, suffix) != 1) continue;
    for (const char c : kLetters) {
      if (has_token(tokens, affixed(prefix, c, suffix))) return c;
    }
  }
  return std::nullopt;
}

std::optional<char> MmBench::lmms_can_infer_text(std::string_view answer,
                                                 const std::vector<std::string>& choices) {
  const std::string lowered = pystr::lower(answer);
  std::optional<char> found;
  std::size_t matches = 0;
  for (std::size_t k = 0; k < choices.size(); ++k) {
    if (lowered.find(pystr::lower(choices[k])) != std::string::npos) {
      ++matches;
      found = static_cast<char>('A' + k);
    }
  }
  return matches == 1 ? found : std::nullopt;
}

std::optional<char> MmBench::lmms_extract_mcq_answer(std::string_view response,
                                                     std::string_view letters) {
  const std::u32string raw = code_points(response);
  std::u32string_view core = strip32(raw);
  if (core.empty()) return std::nullopt;
  for (const char32_t c : U",.!?;:'\"") {
    while (!core.empty() && core.front() == c)
      core.remove_prefix(1);
    while (!core.empty() && core.back() == c)
      core.remove_suffix(1);
  }
  std::u32string text = U" ";
  text.append(core);
  text.push_back(U' ');

  struct Candidate {
    char letter;
    std::size_t position;
    int priority;  // _FORMAT_PRIORITY
  };
  std::vector<Candidate> candidates;
  auto formatted = [&](std::u32string_view prefix, std::u32string_view suffix, int priority) {
    for (const char c : letters) {
      std::u32string needle(prefix);
      needle.push_back(static_cast<char32_t>(c));
      needle.append(suffix);
      if (const auto at = text.rfind(needle); at != std::u32string::npos) {
        candidates.push_back({c, at, priority});
      }
    }
  };
  formatted(U"(", U")", 6);  // parentheses
  formatted(U"", U".", 5);   // period
  formatted(U"", U":", 4);   // colon
  formatted(U"", U")", 3);   // right_paren
  formatted(U"", U" ", 2);   // space

  // Phrase positions are found in the lower-cased text and used as indices into the text itself
  // (they differ where lower-casing changes the length, e.g. 'İ').
  const std::u32string text_lower = code_points(pystr::lower(utf8(text)));
  for (const std::u32string_view phrase : kAnswerPhrases) {
    const auto at = text_lower.find(phrase);
    if (at == std::u32string::npos) continue;
    for (const char c : letters) {
      if (const auto pos = text.find(static_cast<char32_t>(c), at + phrase.size());
          pos != std::u32string::npos) {
        candidates.push_back({c, pos, 7});
      }
    }
  }
  const std::u32string_view stripped = strip32(text);
  for (const char c : letters) {
    if (!stripped.empty() && stripped.front() == static_cast<char32_t>(c) &&
        (stripped.size() == 1 || !is_alpha(stripped[1]))) {
      candidates.push_back({c, 0, 10});  // start
    }
  }
  for (const char c : letters) {
    if (!stripped.empty() && stripped.back() == static_cast<char32_t>(c) &&
        (stripped.size() == 1 || !is_alpha(stripped[stripped.size() - 2]))) {
      candidates.push_back({c, text.size() - 1, 9});  // end
    }
  }
  if (candidates.empty()) {
    for (const char c : letters) {
      if (const auto at = text.rfind(static_cast<char32_t>(c)); at != std::u32string::npos) {
        candidates.push_back({c, at, 0});  // fallback
      }
    }
  }
  if (candidates.empty()) return std::nullopt;
  // sort(key=(priority, position), reverse=True) is stable: the first of the maxima wins.
  const Candidate* best = &candidates.front();
  for (const Candidate& c : candidates) {
    if (std::pair{c.priority, c.position} > std::pair{best->priority, best->position}) best = &c;
  }
  return best->letter;
}

std::optional<char> MmBench::read(std::string_view prediction,
                                  const std::vector<std::string>& options) const {
  if (variant_ == Variant::lmms_eval) {
    const std::string_view p = pystr::strip(prediction);
    if (const auto letter = lmms_can_infer_option(p)) return letter;
    // build_choices: A-D; mmbench_process_results fills an absent option with "nan".
    std::vector<std::string> choices(4, "nan");
    for (std::size_t k = 0; k < 4 && k < options.size(); ++k)
      choices[k] = options[k];
    if (const auto letter = lmms_can_infer_text(p, choices)) return letter;
    return lmms_extract_mcq_answer(p, "ABCD");
  }
  return vlmevalkit::can_infer(prediction, options);
}

SampleScore MmBench::score(const ScoringItem& item) const {
  const std::string& gold = gold_letter(item);
  const std::optional<char> letter =
      read(item.prediction ? std::string_view(*item.prediction) : "", item.options);
  SampleScore s;
  s.extracted = letter ? std::string(1, *letter) : "";
  s.score = letter && *letter == gold[0] ? 1.0 : 0.0;
  const bool option = letter && static_cast<std::size_t>(*letter - 'A') < item.options.size();
  s.status = !item.prediction ? ParseStatus::missing
             : option         ? ParseStatus::parsed
                              : ParseStatus::unparsed;
  return s;
}

std::unique_ptr<Metric> MmBench::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<MmBench>(select_variant("mmbench", variant, variants()) == "vlmevalkit"
                                       ? Variant::vlmevalkit
                                       : Variant::lmms_eval);
}

std::unique_ptr<Aggregator> MmBench::aggregator() const {
  return std::make_unique<MmBenchAggregator>(info_);
}

}  // namespace lmmbench::metrics
