#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// MM-Vet: a judge (GPT-4 in the paper) grades each answer against the ground truth from 0.0 to
/// 1.0 with a few-shot prompt; the score is the mean grade x 100, per capability (rec, ocr, know,
/// gen, spat, math), per capability integration (the exact set of capabilities a question needs)
/// and in total, averaged over the judge runs (5 in the paper). Reference: yuweihao/MM-Vet@acde843
/// mm-vet_evaluator.py (= mm-vet_evaluator.ipynb): `runs` (grading and its parse rule) and
/// `export_result` (aggregation).
///
/// Input per item: fields["capability"] (the item's capabilities, comma-separated, any order;
/// mm-vet.json's "capability"; or the option "questions" = mm-vet.json, joined on the id) and its
/// grades, one per judge run: judge_scores (the grade file's "score") and/or judge_replies (its
/// "content", the judge's reply). A reply is read as the official code reads it: the text before
/// the first ' ', Python-stripped, as a Python float, accepted when 0.0 <= x <= 1.0 (so "nan" is a
/// grade, as in the reference). Every item must have the same number of runs.
///
/// Unparsed grades. The official code re-asks (up to 5 parse attempts, then 0.0); that re-asking
/// belongs to the judge stage. Here a run's grade is unparsed when its reply cannot be read, or —
/// given both score and reply, as the official grade file stores them — when the reply does not
/// give the recorded score (the official fallback). Unparsed grades are counted (n_unparsed:
/// items with at least one; metrics.unparsed_grades: runs). Variants:
///  - "official" (default): an unparsed grade counts 0.0, the official code's final value;
///  - "parsed-only": it is left out of that run's sums and counts.
///
/// Output (percent, unrounded; the reference rounds to 1 decimal): `score` = total, the mean over
/// runs of 100 x (sum of grades / items); metrics.<capability> likewise over the items needing it;
/// metrics.std = numpy's std (ddof 0) of the per-run totals; metrics.runs.<r> = each run's total;
/// metrics.n_runs; breakdown.capability and breakdown.capability_integration (named by its
/// capabilities in the order rec, ocr, know, gen, spat, math joined by '_'; the reference joins a
/// Python set, whose order depends on the string hash seed). Sums are sequential in input order,
/// means over runs numpy's pairwise sums, as in the reference. Interval: normal, over the items'
/// mean grades (the total is their mean x 100).
class MmVet final : public Metric {
 public:
  enum class Variant { official, parsed_only };

  MmVet(Variant variant, std::optional<std::filesystem::path> questions);
  /// Registry factory; variants "official" (default), "parsed-only"; option "questions" (path).
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"official", "parsed-only"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Per-sample score = the mean of the item's grades (0..1); extracted = the grades, space-
  /// separated ("?" for an unparsed one). Throws InputError for an item without grades or
  /// capabilities, an unknown capability, a score outside [0, 1], or scores and replies of
  /// different lengths.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  /// The aggregator throws InputError (at add) when items have different numbers of runs.
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The official reading of a judge reply: the grade, or nullopt where the reference re-asks.
  [[nodiscard]] static std::optional<double> parse_grade(std::string_view reply);

  /// The six capabilities in the paper's order.
  static constexpr std::array<std::string_view, 6> kCapabilities = {"rec", "ocr",  "know",
                                                                    "gen", "spat", "math"};

  /// One item's grades as read: grade per run (0.0 where unparsed) and which runs are unparsed.
  struct Grades {
    std::vector<double> grades;
    std::vector<bool> unparsed;
  };
  [[nodiscard]] static Grades read_grades(const ScoringItem& item);

 private:
  Variant variant_;
  MetricInfo info_;
  /// id -> capabilities (comma-separated), from the "questions" file (mm-vet.json).
  std::shared_ptr<const std::map<std::string, std::string, std::less<>>> question_capabilities_;
};

/// numpy's sum of a float64 array (add.reduce: pairwise summation with 8 accumulators in blocks of
/// up to 128), so means and standard deviations match numpy's to the last bit.
[[nodiscard]] double numpy_sum(std::span<const double> values);

}  // namespace lmmbench::metrics
