#include "metrics/llava_bench.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/jsonl.hpp"
#include "core/text.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kReference =
    "haotian-liu/LLaVA@c121f04 llava/eval/summarize_gpt_review.py (reviews: "
    "llava/eval/eval_gpt_review_bench.py parse_score)";

/// eval_gpt_review_bench.py prefixes every LLaVA-Bench question category with this.
constexpr std::string_view kCategoryPrefix = "llava_bench_";

constexpr double kUnparsedGrade = -1.0;  // parse_score's marker: [-1, -1]

using Categories = std::map<std::string, std::string, std::less<>>;

std::shared_ptr<const Categories> read_question_categories(const std::filesystem::path& path) {
  auto categories = std::make_shared<Categories>();
  for_each_jsonl_record(path, [&](const ConfigNode& record) {
    ObjectReader in(record);
    const ConfigNode id = in.required("question_id");
    const std::string key = id.json().is_number_integer() ? id.json().dump() : id.as_string();
    const std::string category = in.required_string("category");
    if (!categories->emplace(key, category).second) id.fail("duplicate question_id " + key);
  });
  return categories;
}

struct Review {
  std::string category;  ///< "" = none (counted under "all" only, as the script does)
  double answer1 = 0.0;
  double answer2 = 0.0;
  bool unparsed = false;
};

struct Means {
  std::size_t n = 0;
  double sum1 = 0.0;
  double sum2 = 0.0;
  void add(const Review& r) {
    ++n;
    sum1 += r.answer1;
    sum2 += r.answer2;
  }
  // numpy's mean(0) of an (n, 2) array: a sequential sum per column, then / n.
  [[nodiscard]] double mean1() const { return sum1 / static_cast<double>(n); }
  [[nodiscard]] double mean2() const { return sum2 / static_cast<double>(n); }
  [[nodiscard]] double relative() const {
    if (n == 0 || mean1() == 0.0) return std::numeric_limits<double>::quiet_NaN();
    return mean2() / mean1() * 100;
  }
};

class LlavaBenchAggregator final : public Aggregator {
 public:
  LlavaBenchAggregator(const MetricInfo& info, LlavaBench::Variant variant,
                       std::shared_ptr<const Categories> question_categories)
      : info_(info), variant_(variant), question_categories_(std::move(question_categories)) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    Review review;
    review.category = item.category;
    if (review.category.empty() && question_categories_) {
      const std::string_view question_id =
          item.fields.contains("question_id") ? item.field("question_id") : item.id;
      const auto it = question_categories_->find(question_id);
      if (it == question_categories_->end()) {
        throw InputError(fmt::format("review '{}': question_id {} is not in the question file",
                                     item.id, question_id));
      }
      review.category = std::string(kCategoryPrefix) + it->second;
    }
    if (review.category == "all") {
      throw InputError(fmt::format(
          "review '{}': the category name 'all' is reserved for the overall summary", item.id));
    }
    review.unparsed = score.status == ParseStatus::unparsed;
    // score() has checked the pair; the reply path's pair is the one score() read.
    const auto pair = grades(item);
    review.answer1 = pair[0];
    review.answer2 = pair[1];
    reviews_.push_back(std::move(review));
  }

  MetricResult finish() override {
    MetricResult r = result_of(info_, Unit::percent);
    r.n = reviews_.size();
    std::vector<std::size_t> counted;  // indices of the reviews that enter the means
    Means all;
    std::map<std::string, Means> by_category;
    for (std::size_t i = 0; i < reviews_.size(); ++i) {
      const Review& review = reviews_[i];
      if (review.unparsed) ++r.n_unparsed;
      if (review.unparsed && variant_ == LlavaBench::Variant::parsed_only) continue;
      counted.push_back(i);
      all.add(review);
      if (!review.category.empty()) by_category[review.category].add(review);
    }
    r.score = all.relative();
    r.metrics = {
        MetricValue{"answer1", all.n == 0 ? std::nan("") : all.mean1() * 10, Unit::points, true},
        MetricValue{"answer2", all.n == 0 ? std::nan("") : all.mean2() * 10, Unit::points, true},
    };
    for (const auto& [category, means] : by_category) {
      r.breakdown["category"][category] =
          BreakdownCell{means.n,
                        {MetricValue{"relative_score", means.relative(), Unit::percent, true},
                         MetricValue{"answer1", means.mean1() * 10, Unit::points, true},
                         MetricValue{"answer2", means.mean2() * 10, Unit::points, true}}};
    }
    const auto estimate = bootstrap(counted.size(), [&](std::span<const std::size_t> indices) {
      Means m;
      for (const std::size_t i : indices)
        m.add(reviews_[counted[i]]);
      return m.relative();
    });
    r.standard_error = estimate.standard_error;
    r.ci95 = estimate.ci95;
    r.interval_method = estimate.method();
    return r;
  }

  /// The [answer1, answer2] of an item, as LlavaBench::score reads it.
  static std::array<double, 2> grades(const ScoringItem& item) {
    if (!item.judge_scores.empty()) return {item.judge_scores[0], item.judge_scores[1]};
    return LlavaBench::parse_review(item.judge_replies.front())
        .value_or(std::array{kUnparsedGrade, kUnparsedGrade});
  }

 private:
  MetricInfo info_;
  LlavaBench::Variant variant_;
  std::shared_ptr<const Categories> question_categories_;
  std::vector<Review> reviews_;
};

}  // namespace

LlavaBench::LlavaBench(Variant variant, std::optional<std::filesystem::path> questions)
    : variant_(variant),
      info_{"llava_bench",
            variant == Variant::llava ? "llava" : "parsed-only",
            kReference,
            "LLaVA-Bench relative score: judge's mean grade of the answer / of the reference x 100",
            {"judge"},
            true} {
  if (questions) question_categories_ = read_question_categories(*questions);
}

std::unique_ptr<Metric> LlavaBench::create(std::string_view variant, ObjectReader& options) {
  const std::string name = select_variant("llava_bench", variant, variants());
  std::optional<std::filesystem::path> questions;
  if (const auto path = options.find("questions")) questions = path->as_path();
  options.finish();
  return std::make_unique<LlavaBench>(name == "llava" ? Variant::llava : Variant::parsed_only,
                                      std::move(questions));
}

std::optional<std::array<double, 2>> LlavaBench::parse_review(std::string_view review) {
  // review.split('\n')[0].replace(',', ' ').split(' '): exactly two parts, each a Python float.
  std::string first(review.substr(0, review.find('\n')));
  std::replace(first.begin(), first.end(), ',', ' ');
  const auto parts = split(first, ' ');
  if (parts.size() != 2) return std::nullopt;
  const auto answer1 = pystr::to_float(parts[0]);
  const auto answer2 = pystr::to_float(parts[1]);
  if (!answer1 || !answer2) return std::nullopt;
  return std::array{*answer1, *answer2};
}

SampleScore LlavaBench::score(const ScoringItem& item) const {
  if (item.judge_scores.empty() && item.judge_replies.empty()) {
    throw InputError(
        fmt::format("review '{}': no judge grade (score) and no review text (content)", item.id));
  }
  if (!item.judge_scores.empty() && item.judge_scores.size() != 2) {
    throw InputError(
        fmt::format("review '{}': expected the pair [answer1, answer2] of grades, got {} number(s)",
                    item.id, item.judge_scores.size()));
  }
  const auto pair = LlavaBenchAggregator::grades(item);
  SampleScore s;
  s.score = pair[1];
  s.extracted = fmt::format("{} {}", pair[0], pair[1]);
  // [-1, -1] is what parse_score writes for a review it cannot read.
  if (pair[0] == kUnparsedGrade && pair[1] == kUnparsedGrade) s.status = ParseStatus::unparsed;
  return s;
}

std::unique_ptr<Aggregator> LlavaBench::aggregator() const {
  return std::make_unique<LlavaBenchAggregator>(info_, variant_, question_categories_);
}

}  // namespace lmmbench::metrics
