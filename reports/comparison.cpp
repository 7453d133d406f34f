#include "reports/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "metrics/paired.hpp"
#include "reports/format.hpp"

namespace lmmbench::reports {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string short_hash(const std::string& hash) {
  return hash.empty() ? "none" : hash.substr(0, 12);
}

std::string headline_name(const metrics::MetricResult& m) {
  return m.variant.empty() ? m.metric : m.metric + "/" + m.variant;
}

/// The member of a task config, or null.
nlohmann::json member(const nlohmann::json* config, const char* key) {
  if (config == nullptr) return nullptr;
  const auto it = config->find(key);
  return it == config->end() ? nlohmann::json() : *it;
}

/// Scale from the per-sample score (0..1) to the headline's unit, for mean headlines.
double unit_scale(Unit unit) {
  return unit == Unit::percent ? 100.0 : 1.0;
}

bool is_mean_headline(const metrics::MetricResult& m) {
  return m.interval_method == "normal";
}

void collect_objectives(const nlohmann::json& j, const std::string& path,
                        std::vector<std::pair<std::string, MetricValue>>& out) {
  if (j.is_object()) {
    const auto name = j.find("name");
    const auto value = j.find("value");
    const auto unit = j.find("unit");
    if (name != j.end() && name->is_string() && value != j.end() && value->is_number() &&
        unit != j.end() && unit->is_string()) {
      const auto parsed = parse_unit(unit->get<std::string>());
      if (!parsed || *parsed == Unit::count) return;
      MetricValue v;
      v.name = name->get<std::string>();
      v.value = value->get<double>();
      v.unit = *parsed;
      const bool lower_default = v.unit == Unit::seconds || v.unit == Unit::usd;
      v.higher_is_better = j.value("higher_is_better", !lower_default);
      if (const auto ci = j.find("ci95"); ci != j.end() && ci->is_array() && ci->size() == 2 &&
                                          (*ci)[0].is_number() && (*ci)[1].is_number()) {
        v.ci95 = std::array<double, 2>{(*ci)[0].get<double>(), (*ci)[1].get<double>()};
      }
      const std::string last = path.substr(path.rfind('/') + 1);
      out.emplace_back(last == v.name ? path : path + "/" + v.name, v);
      return;
    }
    for (const auto& [key, child] : j.items())
      collect_objectives(child, path.empty() ? key : path + "/" + key, out);
  } else if (j.is_array()) {
    for (const auto& child : j)
      collect_objectives(child, path, out);
  }
}

double tolerance_for(Unit unit, const GateOptions& options) {
  switch (unit) {
    case Unit::seconds:
    case Unit::milliseconds:
      return options.latency_tolerance;
    case Unit::items_per_second:
    case Unit::bytes_per_second:
    case Unit::flops_per_second:
      return options.throughput_tolerance;
    case Unit::usd:
      return options.cost_tolerance;
    default:
      return options.other_tolerance;
  }
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass:
      return "pass";
    case Verdict::improvement:
      return "improvement";
    case Verdict::regression:
      return "regression";
    case Verdict::failed:
      return "failed";
    case Verdict::not_comparable:
      return "not comparable";
  }
  return "not comparable";
}

std::string describe_rule(const GateOptions& gate) {
  std::vector<std::string> size;
  if (gate.min_drop > 0) {
    size.push_back(
        fmt::format("more than {:g} point{}", gate.min_drop, gate.min_drop == 1.0 ? "" : "s"));
  }
  if (gate.min_relative_drop > 0) {
    size.push_back(
        fmt::format("more than {:g} % of the baseline score", 100 * gate.min_relative_drop));
  }
  return fmt::format(
      "a drop of {} that is significant at α = {:g} (paired test on the samples both runs "
      "answered{})",
      size.empty() ? std::string("any size") : fmt::format("{}", fmt::join(size, " and ")),
      gate.alpha, gate.holm ? ", Holm-adjusted over all comparisons" : "");
}

std::string coverage_text(const ScoreComparison& c) {
  return fmt::format("{} of {} ({:.0f} %)", c.n_shared, std::max(c.n_baseline, c.n_candidate),
                     100 * c.coverage);
}

std::optional<std::string> not_comparable_reason(const RunRecord& baseline_run,
                                                 const Cell& baseline,
                                                 const RunRecord& candidate_run,
                                                 const Cell& candidate) {
  if (baseline.outcome == CellOutcome::too_many_errors) {
    return "the baseline cell is over its error budget: " + baseline.message;
  }
  if (baseline.outcome != CellOutcome::ok) {
    return fmt::format("the baseline cell did not run ({})", to_string(baseline.outcome));
  }
  if (candidate.outcome == CellOutcome::unsupported || candidate.outcome == CellOutcome::skipped) {
    return fmt::format("the new cell did not run ({})", to_string(candidate.outcome));
  }
  if (baseline.dataset.manifest_sha256 != candidate.dataset.manifest_sha256) {
    return fmt::format("the dataset changed (manifest sha256 {} → {})",
                       short_hash(baseline.dataset.manifest_sha256),
                       short_hash(candidate.dataset.manifest_sha256));
  }
  const auto* base_config = task_config(baseline_run, baseline.task);
  const auto* cand_config = task_config(candidate_run, candidate.task);
  if (member(base_config, "prompt") != member(cand_config, "prompt")) {
    return std::string("the prompt template changed");
  }
  if (member(base_config, "generation") != member(cand_config, "generation")) {
    return std::string("the generation parameters changed");
  }
  if (member(base_config, "metrics") != member(cand_config, "metrics")) {
    return std::string("the task's metrics changed");
  }
  // A failure, not a change: judged as failed.
  if (candidate.outcome == CellOutcome::failed || candidate.outcome == CellOutcome::too_many_errors)
    return std::nullopt;
  const auto* a = baseline.headline();
  const auto* b = candidate.headline();
  if (a == nullptr || b == nullptr) return std::string("a cell has no score");
  if (!baseline.has_score()) return std::string("the baseline cell has no answers");
  if (!candidate.has_score()) return std::string("the new cell has no answers");
  if (a->metric != b->metric || a->variant != b->variant || a->unit != b->unit) {
    return fmt::format("the headline metric changed ({} → {})", headline_name(*a),
                       headline_name(*b));
  }
  return std::nullopt;
}

ScoreComparison compare_scores(const Cell& baseline,
                               const std::vector<SampleRecord>& baseline_samples,
                               const Cell& candidate,
                               const std::vector<SampleRecord>& candidate_samples) {
  ScoreComparison c;
  c.task = candidate.task;
  const auto* a = baseline.headline();
  const auto* b = candidate.headline();
  if (a == nullptr || b == nullptr) {
    c.verdict = Verdict::not_comparable;
    c.reason = "a cell has no score";
    return c;
  }
  c.metric = headline_name(*a);
  c.unit = a->unit;
  c.baseline_score = a->score;
  c.candidate_score = b->score;
  c.n_baseline = baseline_samples.size();
  c.n_candidate = candidate_samples.size();

  std::vector<std::pair<std::string, double>> base;
  base.reserve(baseline_samples.size());
  for (const auto& s : baseline_samples)
    base.emplace_back(s.id, s.score);
  std::map<std::string, double> cand;
  for (const auto& s : candidate_samples)
    cand.emplace(s.id, s.score);
  const auto pairs = metrics::pair_by_id(base, cand);
  c.n_shared = pairs.size();
  const std::size_t larger = std::max(c.n_baseline, c.n_candidate);
  c.coverage = larger == 0 ? 0.0 : static_cast<double>(c.n_shared) / static_cast<double>(larger);
  if (pairs.empty()) {
    c.verdict = Verdict::not_comparable;
    c.reason = "no sample ids in common";
    return c;
  }
  const auto paired = metrics::compare_paired(pairs);
  c.p_value = paired.p_value;
  c.p_adjusted = paired.p_value;
  c.method = paired.method;
  c.baseline_only = paired.baseline_only;
  c.candidate_only = paired.new_only;
  if (is_mean_headline(*a)) {
    const double scale = unit_scale(c.unit);
    c.delta = paired.difference * scale;
    c.ci95 = {paired.ci95[0] * scale, paired.ci95[1] * scale};
    double sum_a = 0.0;
    double sum_b = 0.0;
    for (const auto& [x, y] : pairs) {
      sum_a += x;
      sum_b += y;
    }
    const auto n = static_cast<double>(pairs.size());
    c.baseline_score = sum_a / n * scale;
    c.candidate_score = sum_b / n * scale;
    c.on_shared_samples = true;
  } else {
    c.delta = b->score - a->score;
    c.ci95 = {kNaN, kNaN};
    c.method += " on per-sample scores";
  }
  return c;
}

std::vector<double> holm_adjust(const std::vector<double>& p_values) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    if (std::isfinite(p_values[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return p_values[x] < p_values[y]; });
  std::vector<double> adjusted = p_values;
  const std::size_t m = order.size();
  double running = 0.0;
  for (std::size_t k = 0; k < m; ++k) {
    const double v = std::min(1.0, static_cast<double>(m - k) * p_values[order[k]]);
    running = std::max(running, v);  // adjusted p-values never decrease along the order
    adjusted[order[k]] = running;
  }
  return adjusted;
}

void apply_gate(std::vector<ScoreComparison>& comparisons, const GateOptions& options) {
  std::vector<double> p;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < comparisons.size(); ++i) {
    const auto v = comparisons[i].verdict;
    if (v == Verdict::not_comparable || v == Verdict::failed) continue;
    p.push_back(comparisons[i].p_value);
    index.push_back(i);
  }
  for (std::size_t k = 0; k < index.size();) {
    auto& c = comparisons[index[k]];
    if (c.coverage < options.min_coverage && !options.allow_partial) {
      c.verdict = Verdict::not_comparable;
      c.reason = fmt::format(
          "the runs share {} of {} samples ({:.1f} % coverage, below --min-coverage {:g} %); "
          "pass --allow-partial to compare them anyway",
          c.n_shared, std::max(c.n_baseline, c.n_candidate), 100 * c.coverage,
          100 * options.min_coverage);
      p.erase(p.begin() + static_cast<std::ptrdiff_t>(k));
      index.erase(index.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      ++k;
    }
  }
  const auto adjusted = options.holm ? holm_adjust(p) : p;
  for (std::size_t k = 0; k < index.size(); ++k) {
    auto& c = comparisons[index[k]];
    c.p_adjusted = adjusted[k];
    c.significant = std::isfinite(c.p_adjusted) && c.p_adjusted < options.alpha;
    const double size = std::fabs(c.delta);
    const bool beyond = std::isfinite(c.delta) && size > options.min_drop &&
                        size > options.min_relative_drop * std::fabs(c.baseline_score);
    if (c.significant && beyond) {
      c.verdict = c.delta < 0 ? Verdict::regression : Verdict::improvement;
    } else {
      c.verdict = Verdict::pass;
    }
  }
}

std::vector<std::pair<std::string, MetricValue>> objectives_in(const nlohmann::json& section,
                                                               const std::string& path) {
  std::vector<std::pair<std::string, MetricValue>> out;
  collect_objectives(section, path, out);
  return out;
}

std::vector<ObjectiveComparison> compare_objectives(const nlohmann::json& baseline,
                                                    const nlohmann::json& candidate,
                                                    const std::string& scope,
                                                    const GateOptions& options) {
  return compare_objectives(objectives_in(baseline, ""), objectives_in(candidate, ""), scope,
                            options);
}

std::vector<ObjectiveComparison> compare_objectives(const NamedObjectives& baseline,
                                                    const NamedObjectives& candidate,
                                                    const std::string& scope,
                                                    const GateOptions& options) {
  std::map<std::string, MetricValue> base;
  for (const auto& [name, value] : baseline)
    base.emplace(name, value);
  std::vector<ObjectiveComparison> out;
  for (const auto& [name, value] : candidate) {
    const auto it = base.find(name);
    if (it == base.end() || it->second.unit != value.unit) continue;
    ObjectiveComparison o;
    o.scope = scope;
    o.name = name;
    o.unit = value.unit;
    o.higher_is_better = value.higher_is_better;
    o.baseline = it->second.value;
    o.candidate = value.value;
    o.tolerance = tolerance_for(value.unit, options);
    if (o.baseline != 0.0) {
      const double change = (o.candidate - o.baseline) / std::fabs(o.baseline);
      o.worse_by = o.higher_is_better ? -change : change;
    } else if (o.candidate != 0.0) {  // from zero: infinitely better or worse
      const bool worse = o.higher_is_better == (o.candidate < 0.0);
      o.worse_by = worse ? std::numeric_limits<double>::infinity()
                         : -std::numeric_limits<double>::infinity();
    }
    const auto half_width = [](const MetricValue& m) {
      return m.ci95 ? ((*m.ci95)[1] - (*m.ci95)[0]) / 2 : kNaN;
    };
    const double a = half_width(it->second);
    const double b = half_width(value);
    o.noise = o.baseline != 0.0 ? std::sqrt(a * a + b * b) / std::fabs(o.baseline) : kNaN;
    // Beyond the tolerance, and beyond the noise where it is known.
    const double bar = std::isfinite(o.noise) ? std::max(o.tolerance, o.noise) : o.tolerance;
    if (o.worse_by > bar) {
      o.verdict = Verdict::regression;
    } else if (o.worse_by < -bar) {
      o.verdict = Verdict::improvement;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace lmmbench::reports
