#include "metrics/hallusionbench.hpp"

#include <array>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kOfficialReference =
    "tianyi-lab/HallusionBench@744007c utils.py assign_correctness + get_eval_all + "
    "get_eval_pair_all + get_eval_fig + get_eval_pair_easy/hard; answers read by "
    "open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/yorn.py YOrN_Extraction";
constexpr const char* kJudgeReference =
    "tianyi-lab/HallusionBench@744007c utils.py evaluate_by_chatgpt (the judge's correctness "
    "code) + assign_correctness + get_eval_all + get_eval_pair_all + get_eval_fig + "
    "get_eval_pair_easy/hard";
constexpr const char* kVlmEvalKitReference =
    "open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/yorn.py YOrN_Extraction + "
    "Hallusion_rating";

/// 1 for a "yes" gold, 0 for "no".
int gold_yes(const ScoringItem& item) {
  if (item.answers.size() == 1) {
    const std::string g = pystr::lower(pystr::strip(item.answers.front()));
    if (g == "1" || g == "yes") return 1;
    if (g == "0" || g == "no") return 0;
  }
  throw InputError(
      fmt::format("item '{}': the HallusionBench gold must be one answer, 1/0 or "
                  "Yes/No, got [{}]",
                  item.id, fmt::join(item.answers, ", ")));
}

/// The ids of one question, as strings (HallusionBench.json's).
struct Question {
  std::string category;
  std::string subcategory;
  std::string set_id;
  std::string figure_id;
  std::string question_id;
  std::string visual_input;
  bool correct = false;
};

std::string required_field(const ScoringItem& item, std::string_view name) {
  const auto value = item.field(name);
  if (value.empty()) {
    throw InputError(fmt::format("item '{}': HallusionBench needs field '{}'", item.id, name));
  }
  return std::string(value);
}

/// Share (percent) of groups whose questions are all right.
double all_right_share(const std::map<std::string, std::pair<std::size_t, std::size_t>>& groups) {
  if (groups.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::size_t right = 0;
  for (const auto& [key, counts] : groups)
    right += counts.first == counts.second ? 1 : 0;
  return 100.0 * static_cast<double>(right) / static_cast<double>(groups.size());
}

void count(std::map<std::string, std::pair<std::size_t, std::size_t>>& groups,
           const std::string& key, bool correct) {
  auto& [right, total] = groups[key];
  right += correct ? 1 : 0;
  ++total;
}

struct Accuracies {
  double a = 0.0;
  double f = 0.0;
  double q = 0.0;
};

class HallusionAggregator final : public Aggregator {
 public:
  HallusionAggregator(MetricInfo info, HallusionBench::Variant variant)
      : info_(std::move(info)), variant_(variant) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    if (score.status == ParseStatus::missing) ++n_missing_;
    if (score.status == ParseStatus::unparsed) ++n_unparsed_;
    scores_.push_back(score.score);
    questions_.push_back(Question{item.category, required_field(item, "subcategory"),
                                  required_field(item, "set_id"), required_field(item, "figure_id"),
                                  required_field(item, "question_id"),
                                  std::string(item.field("visual_input")), score.score > 0.5});
  }

  MetricResult finish() override {
    MetricResult r = percent_mean_result(info_, scores_, n_missing_, n_unparsed_);
    std::vector<const Question*> all;
    for (const auto& q : questions_)
      all.push_back(&q);
    if (variant_ == HallusionBench::Variant::official) check_unique();
    const Accuracies overall = accuracies(all);
    r.metrics = {
        MetricValue{"aAcc", overall.a, Unit::percent, true},
        MetricValue{"fAcc", overall.f, Unit::percent, true},
        MetricValue{"qAcc", overall.q, Unit::percent, true},
        MetricValue{"average", (overall.a + overall.f + overall.q) / 3, Unit::percent, true}};
    if (variant_ == HallusionBench::Variant::official) {
      std::map<std::string, std::pair<std::size_t, std::size_t>> easy;
      std::map<std::string, std::pair<std::size_t, std::size_t>> hard;
      for (const auto* q : all)
        count(q->visual_input == "2" ? hard : easy, pair_key(*q), q->correct);
      r.metrics.push_back(MetricValue{"easy_qacc", all_right_share(easy), Unit::percent, true});
      r.metrics.push_back(MetricValue{"hard_qacc", all_right_share(hard), Unit::percent, true});
    }
    breakdown(r, "category", [](const Question& q) { return q.category; });
    if (variant_ == HallusionBench::Variant::vlmevalkit)
      breakdown(r, "subcategory", [](const Question& q) { return q.subcategory; });
    return r;
  }

 private:
  [[nodiscard]] std::string pair_key(const Question& q) const {
    if (variant_ == HallusionBench::Variant::vlmevalkit)
      return q.subcategory + "_" + q.set_id + "_" + q.question_id;
    return q.category + "_" + q.subcategory + "_" + q.set_id + "_" + q.question_id;
  }
  [[nodiscard]] std::string figure_key(const Question& q) const {
    if (variant_ == HallusionBench::Variant::vlmevalkit)
      return q.subcategory + "_" + q.set_id + "_" + q.figure_id;
    return q.category + "_" + q.subcategory + "_" + q.set_id + "_" + q.figure_id;
  }

  void check_unique() const {
    std::set<std::string> seen;
    for (const auto& q : questions_) {
      const std::string key = q.category + "_" + q.subcategory + "_" + q.set_id + "_" +
                              q.figure_id + "_" + q.question_id;
      if (!seen.insert(key).second) {
        throw InputError(fmt::format(
            "HallusionBench: two questions have the key '{}' (category_subcategory_set_figure_"
            "question; the official get_eval_all asserts each is unique)",
            key));
      }
    }
  }

  [[nodiscard]] Accuracies accuracies(const std::vector<const Question*>& questions) const {
    std::size_t right = 0;
    std::map<std::string, std::pair<std::size_t, std::size_t>> pairs;
    std::map<std::string, std::pair<std::size_t, std::size_t>> figures;
    for (const auto* q : questions) {
      right += q->correct ? 1 : 0;
      count(pairs, pair_key(*q), q->correct);
      // get_eval_fig leaves out the VS questions without a figure.
      if (variant_ == HallusionBench::Variant::official && q->category == "VS" &&
          q->figure_id == "0")
        continue;
      count(figures, figure_key(*q), q->correct);
    }
    return {questions.empty()
                ? std::numeric_limits<double>::quiet_NaN()
                : 100.0 * static_cast<double>(right) / static_cast<double>(questions.size()),
            all_right_share(figures), all_right_share(pairs)};
  }

  template <class Key>
  void breakdown(MetricResult& r, const std::string& name, Key key) const {
    std::map<std::string, std::vector<const Question*>> by;
    for (const auto& q : questions_)
      by[key(q)].push_back(&q);
    for (const auto& [value, questions] : by) {
      if (value.empty()) continue;
      const Accuracies acc = accuracies(questions);
      r.breakdown[name][value] = BreakdownCell{questions.size(),
                                               {MetricValue{"aAcc", acc.a, Unit::percent, true},
                                                MetricValue{"fAcc", acc.f, Unit::percent, true},
                                                MetricValue{"qAcc", acc.q, Unit::percent, true}}};
    }
  }

  MetricInfo info_;
  HallusionBench::Variant variant_;
  std::vector<double> scores_;
  std::vector<Question> questions_;
  std::size_t n_missing_ = 0;
  std::size_t n_unparsed_ = 0;
};

}  // namespace

namespace {

MetricInfo hallusionbench_info(HallusionBench::Variant variant) {
  MetricInfo info{"hallusionbench",
                  "official",
                  kOfficialReference,
                  "HallusionBench aAcc (headline), fAcc, qAcc: yes/no read by rule, questions "
                  "grouped by figure and by question pair",
                  {"answers"}};
  if (variant == HallusionBench::Variant::vlmevalkit) {
    info.variant = "vlmevalkit";
    info.reference = kVlmEvalKitReference;
  } else if (variant == HallusionBench::Variant::judge) {
    info.variant = "judge";
    info.reference = kJudgeReference;
    info.description =
        "HallusionBench aAcc (headline), fAcc, qAcc: a judge model's correct/incorrect/unclear "
        "(the official GPT-4 evaluation), questions grouped by figure and by question pair";
    info.needs_judge = true;
  }
  return info;
}

}  // namespace

HallusionBench::HallusionBench(Variant variant)
    : variant_(variant), info_(hallusionbench_info(variant)) {}

int HallusionBench::judge_code(std::string_view reply) {
  // evaluate_by_chatgpt: 'incorrect' in output_text.lower() -> "0", elif 'correct' -> "1", else
  // "2".
  const std::string lower = pystr::lower(reply);
  if (lower.find("incorrect") != std::string::npos) return 0;
  if (lower.find("correct") != std::string::npos) return 1;
  return 2;
}

std::string HallusionBench::judge_request(std::string_view prompt, std::string_view question,
                                          std::string_view reference, std::string_view prediction) {
  return fmt::format("{}{}\nReference answer: {}\nPrediction answer:{}\nOutput:", prompt, question,
                     reference, prediction);
}

std::string_view HallusionBench::read_yes_no(std::string_view prediction) {
  thread_local std::string utf8;
  vqa_text::process_punctuation(pystr::lower(prediction), vqa_text::kVlmEvalKitRules, utf8);
  std::vector<std::string_view> words;
  pystr::split(utf8, words);
  bool yes = false;
  bool no = false;
  for (const auto w : words) {
    yes = yes || w == "yes";
    no = no || w == "no";
  }
  if (yes && !no) return "Yes";
  if (no && !yes) return "No";
  return "Unknown";
}

SampleScore HallusionBench::score(const ScoringItem& item) const {
  const int gold = gold_yes(item);
  SampleScore s;
  // The official correctness code: 1 correct, 0 incorrect, 2 unclear.
  int code = 2;
  if (variant_ == Variant::judge) {
    if (item.prediction && item.judge_replies.empty()) {
      throw InputError(
          fmt::format("item '{}': hallusionbench/judge needs the judge's reply (run "
                      "it with a judge, parser \"hallusionbench\")",
                      item.id));
    }
    if (!item.judge_replies.empty()) code = judge_code(item.judge_replies.front());
    if (!item.prediction) code = 0;
    static constexpr std::array<const char*, 3> kWords{"incorrect", "correct", "unclear"};
    s.extracted = kWords[static_cast<std::size_t>(code)];
  } else {
    s.extracted =
        std::string(read_yes_no(item.prediction ? std::string_view(*item.prediction) : ""));
    if (s.extracted != "Unknown") code = (s.extracted == "Yes") == (gold == 1) ? 1 : 0;
  }
  if (!item.prediction) code = 0;
  if (variant_ != Variant::vlmevalkit) {
    const bool no_figure = item.category == "VS" && item.field("figure_id") == "0";
    s.score = code == 1 || (no_figure && code == 2) ? 1.0 : 0.0;
  } else {
    s.score = code == 1 ? 1.0 : 0.0;
  }
  if (code == 2) s.status = ParseStatus::unparsed;
  if (!item.prediction) s.status = ParseStatus::missing;
  return s;
}

std::unique_ptr<Metric> HallusionBench::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  const std::string name = select_variant("hallusionbench", variant, variants());
  return std::make_unique<HallusionBench>(name == "vlmevalkit" ? Variant::vlmevalkit
                                          : name == "judge"    ? Variant::judge
                                                               : Variant::official);
}

std::unique_ptr<Aggregator> HallusionBench::aggregator() const {
  // The judge variant scores and groups as the official code (only the code's source differs).
  return std::make_unique<HallusionAggregator>(
      info_, variant_ == Variant::judge ? Variant::official : variant_);
}

}  // namespace lmmbench::metrics
