#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metric_value.hpp"
#include "reports/loaded_run.hpp"

namespace lmmbench::reports {

/// When a difference counts as a regression (docs/reports.md, "The CI gate").
struct GateOptions {
  /// Significance level of the paired test, after the multiple-comparison correction.
  double alpha = 0.05;
  /// A drop must exceed this many units of the headline score (percentage points for percent
  /// scores) to count; 0 disables the absolute threshold.
  double min_drop = 1.0;
  /// ... and this fraction of the baseline score (0.02 = 2 %); 0 disables the relative threshold.
  double min_relative_drop = 0.0;
  /// Holm-Bonferroni adjustment of the p-values over all score comparisons of one report, so that
  /// gating many tasks does not multiply false alarms. false: each p-value is used as is.
  bool holm = true;
  /// Performance objectives (values found in perf/GPU sections) may be this much worse, as a
  /// fraction of the baseline value, before they count as regressions.
  double latency_tolerance = 0.10;     ///< Units seconds and ms (lower is better).
  double throughput_tolerance = 0.10;  ///< Units items/s, bytes/s and FLOP/s.
  double cost_tolerance = 0.10;        ///< Unit USD.
  double other_tolerance = 0.10;       ///< Any other unit except counts (not objectives).
  /// A score comparison whose shared samples are fewer than this share of the larger cell's
  /// samples is not comparable: a run on 5 % of the baseline's samples says little about the
  /// other 95 %.
  double min_coverage = 0.95;
  /// Compare below min_coverage anyway (the coverage is still shown).
  bool allow_partial = false;
};

/// The outcome of one comparison.
enum class Verdict {
  pass,            ///< No drop that is both beyond the threshold and significant.
  improvement,     ///< A gain beyond the threshold that is significant (informational).
  regression,      ///< A drop beyond the threshold that is significant: the gate fails.
  failed,          ///< The new cell failed outright: the gate fails.
  not_comparable,  ///< Different data, prompt, parameters or metric, or nothing to pair.
};

std::string_view to_string(Verdict verdict);

/// The rule in words, for report legends: "a drop of more than 1 point that is significant at
/// α = 0.05 (paired test on the samples both runs answered, Holm-adjusted over all comparisons)".
std::string describe_rule(const GateOptions& gate);

/// The score of one task for one candidate against one baseline, paired on shared sample ids.
struct ScoreComparison {
  std::string task;
  std::size_t baseline_entry = 0;  ///< Indices into Report::entries.
  std::size_t candidate_entry = 0;
  Verdict verdict = Verdict::pass;
  std::string reason;  ///< Why not comparable or failed; empty otherwise.
  std::string metric;  ///< "metric/variant" of the headline.
  Unit unit = Unit::percent;
  /// Both sides on the same samples: for a mean headline the mean over the shared samples (in the
  /// unit); for any other headline, which cannot be recomputed from per-sample scores, the
  /// headlines as recorded (`on_shared_samples` is then false). Without a comparison (not
  /// comparable, failed) the recorded headlines.
  double baseline_score = 0.0;
  double candidate_score = 0.0;
  bool on_shared_samples = false;
  /// candidate − baseline in the headline's unit. For a mean headline (interval method "normal")
  /// this is the paired mean difference on the shared samples, scaled to the unit (×100 for
  /// percent); for other headlines (F1, MME totals) the difference of the recorded headlines.
  double delta = 0.0;
  /// 95 % interval of `delta`; NaN for non-mean headlines (the test still runs on per-sample
  /// scores).
  std::array<double, 2> ci95{0.0, 0.0};
  double p_value = 1.0;     ///< Two-sided, from metrics::compare_paired.
  double p_adjusted = 1.0;  ///< After the Holm adjustment (= p_value without it).
  std::string method;       ///< "mcnemar-exact" or "paired bootstrap (...)".
  std::size_t n_shared = 0;
  std::size_t n_baseline = 0;
  std::size_t n_candidate = 0;
  /// n_shared / max(n_baseline, n_candidate): how much of the larger cell the comparison covers.
  double coverage = 0.0;
  std::size_t baseline_only = 0;   ///< Right in the baseline only (0/1 scores).
  std::size_t candidate_only = 0;  ///< Right in the candidate only (0/1 scores).
  bool significant = false;        ///< p_adjusted < alpha.
};

/// A performance objective (a self-describing value in a perf or GPU section) in both runs.
struct ObjectiveComparison {
  std::string scope;  ///< "model × task" for a cell's section, "run" for a record's section.
  std::string name;   ///< Path of the value inside its section, e.g. "perf/ttft_p99".
  Unit unit = Unit::seconds;
  bool higher_is_better = false;
  double baseline = 0.0;
  double candidate = 0.0;
  double worse_by = 0.0;  ///< Relative change in the bad direction (0.15 = 15 % worse).
  double tolerance = 0.0;
  /// The run-to-run noise of the change, relative to the baseline value: the half-widths of the
  /// two values' 95 % intervals combined as independent errors, sqrt(a² + b²) / |baseline|.
  /// NaN when either value carries no interval (the tolerance alone then decides).
  double noise = 0.0;
  Verdict verdict = Verdict::pass;
};

/// The shared samples and the coverage, for every renderer: "380 of 400 (95 %)".
std::string coverage_text(const ScoreComparison& c);

/// Why two cells of the same task cannot be compared, or nullopt when they can: the baseline cell
/// did not run, the candidate cell was unsupported or skipped, the dataset manifest changed, the
/// task's prompt, generation parameters or metrics changed, or the headline metric differs.
std::optional<std::string> not_comparable_reason(const RunRecord& baseline_run,
                                                 const Cell& baseline,
                                                 const RunRecord& candidate_run,
                                                 const Cell& candidate);

/// Compares two cells from their per-sample scores (paired by id). Fills everything except the
/// entries and p_adjusted/significant/verdict for comparable cells, which apply_gate decides.
ScoreComparison compare_scores(const Cell& baseline,
                               const std::vector<SampleRecord>& baseline_samples,
                               const Cell& candidate,
                               const std::vector<SampleRecord>& candidate_samples);

/// Adjusts p-values (Holm over all comparable comparisons, when enabled) and decides each verdict:
/// not comparable when the coverage is below min_coverage (unless allow_partial); regression when
/// the drop exceeds every enabled threshold and p_adjusted < alpha; improvement for the mirror
/// image; pass otherwise. not_comparable and failed verdicts are kept.
void apply_gate(std::vector<ScoreComparison>& comparisons, const GateOptions& options);

/// Holm-Bonferroni adjusted p-values, in the input order (NaN stays NaN and is not counted).
std::vector<double> holm_adjust(const std::vector<double>& p_values);

/// Every self-describing value ({"name", "value", "unit"[, "higher_is_better"]}) in `section`,
/// found recursively; each is named by its path and name ("gpu/stages/decode/tokens_per_second").
/// Counts are left out: they are not objectives.
std::vector<std::pair<std::string, MetricValue>> objectives_in(const nlohmann::json& section,
                                                               const std::string& path);

/// Objectives, each with the name it is matched by across runs.
using NamedObjectives = std::vector<std::pair<std::string, MetricValue>>;

/// Compares the objectives present in both lists (same name and unit): a regression when worse by
/// more than the tolerance of their unit and by more than the noise (where both carry an
/// interval); an improvement for the mirror image.
std::vector<ObjectiveComparison> compare_objectives(const NamedObjectives& baseline,
                                                    const NamedObjectives& candidate,
                                                    const std::string& scope,
                                                    const GateOptions& options);

/// The same over the self-describing values found in two JSON sections (objectives_in).
std::vector<ObjectiveComparison> compare_objectives(const nlohmann::json& baseline,
                                                    const nlohmann::json& candidate,
                                                    const std::string& scope,
                                                    const GateOptions& options);

}  // namespace lmmbench::reports
