#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// LLaVA-Bench (In-the-Wild) and every other benchmark LLaVA scores with a pairwise GPT-4 review:
/// the judge grades a reference answer (answer1; GPT-4's own for LLaVA-Bench) and the model's
/// answer (answer2) from 1 to 10, and the summary is haotian-liu/LLaVA@c121f04
/// llava/eval/summarize_gpt_review.py: per category and over all reviews, the relative score
/// mean(answer2) / mean(answer1) x 100 and both means x 10.
///
/// Input per item (a line of LLaVA's review file): judge_scores = [answer1, answer2] (the
/// review's "tuple", else its "score"), or, without them, judge_replies[0] = the judge's review
/// text, read with eval_gpt_review_bench.py parse_score (first line, ',' -> ' ', split on single
/// spaces, exactly two Python floats, else the script's marker [-1, -1]). `category` as the review
/// gives it (eval_gpt_review_bench.py writes "llava_bench_<category>"); with the option
/// "questions" (LLaVA-Bench's questions.jsonl), a review without a category gets
/// "llava_bench_" + its question's category, joined on fields["question_id"] (else the id).
///
/// Output: `score` = 100 * mean2 / mean1 over all reviews (percent, unrounded; the script rounds
/// both means to 3 decimals and the ratio to 1), `metrics.answer1` / `metrics.answer2` = the means
/// x 10 (unrounded; the script prints them to 1 decimal), `breakdown.category.<c>` = {n,
/// relative_score, answer1, answer2}. Means are sequential sums / n, as numpy's mean(0) of the
/// (n, 2) array computes them. Interval: seeded bootstrap over reviews.
///
/// Unparsed reviews (the pair [-1, -1]) are counted in n_unparsed. Variants:
///  - "llava" (default): averaged as the script averages them (the published numbers' rule);
///  - "parsed-only": left out of every mean.
/// A review with no grade at all is an input error (the script has no such line).
class LlavaBench final : public Metric {
 public:
  enum class Variant { llava, parsed_only };

  LlavaBench(Variant variant, std::optional<std::filesystem::path> questions);
  /// Registry factory; variants "llava" (default), "parsed-only"; option "questions" (path).
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"llava", "parsed-only"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Per-sample score = answer2's grade; extracted = "answer1 answer2". Throws InputError for a
  /// score list that is not a pair.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// eval_gpt_review_bench.py parse_score of a review text; nullopt where it returns [-1, -1].
  [[nodiscard]] static std::optional<std::array<double, 2>> parse_review(std::string_view review);

 private:
  Variant variant_;
  MetricInfo info_;
  /// question_id -> category, from the "questions" file.
  std::shared_ptr<const std::map<std::string, std::string, std::less<>>> question_categories_;
};

}  // namespace lmmbench::metrics
