#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/metric_value.hpp"

namespace lmmbench::metrics {

/// What a metric sees of one benchmark item: the model's answer and the gold data. Built by the
/// harness from a datasets::Sample plus its Completion, or by `lmmbench score` from one input line.
struct ScoringItem {
  std::string id;
  /// The model's raw answer; nullopt when there is none (absent in the input, or the request
  /// failed). A missing prediction is scored the way the reference scores it, never guessed.
  std::optional<std::string> prediction;
  /// Gold answers: VQA's 10 human answers, or the single gold answer / label / option letter.
  std::vector<std::string> answers;
  /// Multiple-choice option texts, option A first.
  std::vector<std::string> options;
  /// Breakdown key ("" = none); for POPE the split.
  std::string category;
  /// Metric-specific extras, e.g. question_type, answer_type (vqa), subtask and image (mme),
  /// group (mmbench), image = "true"/"false" (scienceqa).
  std::map<std::string, std::string, std::less<>> fields;
  /// What a judge model said about this item, for judge-scored metrics (llava_bench, mmvet); empty
  /// for all others. `judge_scores` are grades already read from the judge's reply (a LLaVA
  /// review's [answer1, answer2]; MM-Vet's grade of each judge run); `judge_replies` are the
  /// judge's raw replies (one per run), which the metric reads with its reference's rule where no
  /// score is given, and uses to tell a recorded fallback grade from a real one. The layout is the
  /// metric's (see its class comment).
  std::vector<double> judge_scores;
  std::vector<std::string> judge_replies;

  /// fields[key] or "" when absent.
  [[nodiscard]] std::string_view field(std::string_view key) const {
    const auto it = fields.find(key);
    return it == fields.end() ? std::string_view{} : std::string_view(it->second);
  }
};

/// How the prediction of one item was read.
enum class ParseStatus {
  parsed,    ///< An answer was extracted and compared.
  unparsed,  ///< A prediction was present but no answer could be extracted (counted as the
             ///< reference counts it, usually wrong).
  missing,   ///< No prediction at all.
};

/// The score of one item, in the metric's per-sample scale (0..1 for accuracies).
struct SampleScore {
  double score = 0.0;
  ParseStatus status = ParseStatus::parsed;
  /// The normalised or extracted answer that was compared with the gold data.
  std::string extracted;
};

/// One line of `lmmbench score --per-sample`: {"id", "score", "extracted"}, written and read
/// through one field list (result_json.cpp's visit()); id and score are required. A subset of a
/// run's per-sample line (reports::SampleRecord), which reads it too.
struct PerSampleScore {
  std::string id;
  double score = 0.0;
  std::string extracted;
};

void to_json(nlohmann::json& j, const PerSampleScore& s);
/// Throws InputError naming the field of a missing or wrong-typed value.
void from_json(const nlohmann::json& j, PerSampleScore& s);

/// Aggregates of one breakdown value (e.g. answer_type = "yes/no").
struct BreakdownCell {
  std::size_t n = 0;
  std::vector<MetricValue> values;
};

/// breakdown[key][value], e.g. breakdown["answer_type"]["number"].
using Breakdown = std::map<std::string, std::map<std::string, BreakdownCell>>;

/// The aggregate of a metric over a set of items: the `lmmbench score` output and the score part
/// of a run-record cell.
struct MetricResult {
  std::string metric;
  std::string variant;
  std::string reference;  ///< The code this metric reproduces: "repo@commit path function".
  std::size_t n = 0;
  std::size_t n_missing = 0;
  std::size_t n_unparsed = 0;
  double score = 0.0;  ///< The headline number, in `unit` (percent, or points for MME).
  Unit unit = Unit::percent;
  double standard_error = 0.0;  ///< Of `score`, in `unit`; NaN when undefined (n < 2).
  std::array<double, 2> ci95{0.0, 0.0};
  std::string interval_method;  ///< "normal" or "bootstrap (B resamples, seed S)".
  /// Further aggregates; dotted names nest in JSON ("random.f1" -> {"random": {"f1": ...}}).
  std::vector<MetricValue> metrics;
  Breakdown breakdown;
};

/// The JSON of `lmmbench score`: {"metric", "variant", "n", "n_missing", "n_unparsed", "score",
/// "unit", "stderr", "ci95", "metrics", "breakdown", "reference", "interval_method"}.
void to_json(nlohmann::json& j, const MetricResult& r);
void from_json(const nlohmann::json& j, MetricResult& r);

/// Collects what one metric's aggregation needs, one item at a time, so that scoring a file never
/// holds more than the per-sample scores. Not thread-safe.
class Aggregator {
 public:
  virtual ~Aggregator() = default;
  /// Adds one item and its score. Items arrive in dataset order.
  virtual void add(const ScoringItem& item, const SampleScore& score) = 0;
  /// The aggregate of everything added. Call once.
  [[nodiscard]] virtual MetricResult finish() = 0;
};

/// Static description of a metric, for `lmmbench list metrics`, docs and input validation.
struct MetricInfo {
  std::string name;
  std::string variant;
  std::string reference;
  std::string description;
  /// Input fields an item must carry, beyond id and prediction ("answers", "options", "label"...).
  std::vector<std::string> required_fields;
  /// The metric scores a judge model's verdicts (ScoringItem::judge_scores / judge_replies), not
  /// the prediction itself: `lmmbench run` cannot score it until it has a judge stage.
  bool needs_judge = false;
};

/// A result headed by `info` (metric, variant, reference) in `unit`; the aggregator fills the rest.
[[nodiscard]] inline MetricResult result_of(const MetricInfo& info, Unit unit) {
  MetricResult r;
  r.metric = info.name;
  r.variant = info.variant;
  r.reference = info.reference;
  r.unit = unit;
  return r;
}

/// A scorer. score() is const and thread-safe; aggregation state lives in an Aggregator.
class Metric {
 public:
  virtual ~Metric() = default;
  [[nodiscard]] virtual const MetricInfo& info() const = 0;
  [[nodiscard]] virtual SampleScore score(const ScoringItem& item) const = 0;
  [[nodiscard]] virtual std::unique_ptr<Aggregator> aggregator() const = 0;
};

}  // namespace lmmbench::metrics
