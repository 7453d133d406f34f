#include "reports/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/sha256.hpp"
#include "metrics/statistics.hpp"
#include "reports/cell_text.hpp"
#include "reports/escape.hpp"
#include "reports/format.hpp"
#include "reports/html_assets.hpp"
#include "reports/html_section.hpp"
#include "reports/svg.hpp"
#include "reports/thumbnail.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

/// Model answers longer than this are cut in the sample browser (the scores file keeps them whole).
constexpr std::size_t kMaxAnswerBytes = 4000;

std::string h(std::string_view text) {
  return html_escape(text);
}

std::string hex_to_bytes(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string headline_label(const metrics::MetricResult& m) {
  const bool plain = m.variant.empty() || m.variant == "default";
  return m.metric + (plain ? "" : "/" + m.variant) + " · " + unit_label(m.unit);
}

const Cell* first_scored(const Report& report, const std::string& task) {
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    const Cell* c = report.cell(e, task);
    if (c != nullptr && c->headline() != nullptr) return c;
  }
  return nullptr;
}

std::string counts_text(const Cell& cell) {
  return fmt::format("{}", fmt::join(count_notes(cell.counts), " · "));
}

/// The verdict's name as a CSS class ("not comparable" → "not_comparable").
std::string verdict_class(Verdict v) {
  std::string c(to_string(v));
  std::replace(c.begin(), c.end(), ' ', '_');
  return c;
}

std::string verdict_mark(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "✓ no regression";
    case Verdict::improvement:
      return "▲ better";
    case Verdict::regression:
      return "✗ regression";
    case Verdict::failed:
      return "✗ failed";
    case Verdict::not_comparable:
      return "⚠ not comparable";
  }
  return "";
}

std::string delta_text(const ScoreComparison& c) {
  std::string text = "Δ " + format_delta(c.delta, c.unit);
  if (std::isfinite(c.ci95[0])) text += " " + format_interval(c.ci95, c.unit);
  return text + " · p " + (c.p_adjusted < 0.001 ? "" : "= ") + format_p_value(c.p_adjusted);
}

/// "2026-11-27T21:43:47Z" -> "2026-11-27 21:43 UTC"; anything else unchanged.
std::string pretty_time(const std::string& iso) {
  if (iso.size() == 20 && iso[10] == 'T' && iso[19] == 'Z') {
    return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
  }
  return iso;
}

std::string wall_time(double seconds) {
  if (seconds >= 3600) return fmt::format("{:.1f} h", seconds / 3600);
  if (seconds >= 60) return fmt::format("{:.1f} min", seconds / 60);
  return fmt::format("{:.2f} s", seconds);
}

/// A prefix of at most `max` bytes that ends on a UTF-8 code point boundary.
std::string cut_utf8(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end) +
         fmt::format(" … [{} more bytes in the scores file]", text.size() - end);
}

/// Whether any run has a model × task cell: a run of `lmmbench gpu` alone has none, and then the
/// score sections are left out rather than shown empty.
bool has_cells(const Report& report) {
  return std::any_of(report.runs.begin(), report.runs.end(),
                     [](const LoadedRun& run) { return !run.record.cells.empty(); });
}

/// The typed sections of every run (reports/views.hpp), grouped by key in first-seen order, each
/// with its run's label.
struct KeyedSections {
  std::string key;
  std::string title;
  std::vector<std::pair<std::string, Section>> sections;  ///< Run label, section.
};

std::vector<KeyedSections> typed_sections(const Report& report) {
  std::vector<KeyedSections> out;
  for (const auto& run : report.runs) {
    for (auto& section : sections_of(run)) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const KeyedSections& k) { return k.key == section.key; });
      if (it == out.end()) {
        out.push_back({section.key, section.title, {}});
        it = std::prev(out.end());
      }
      it->sections.emplace_back(run.label, std::move(section));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header, banners

void render_header(const Report& report, std::ostream& out, bool has_perf,
                   const std::vector<KeyedSections>& typed) {
  const bool scored = has_cells(report);
  std::set<std::string> statuses;
  std::vector<const RunRecord*> records;
  for (const auto& run : report.runs) {
    statuses.insert(run.record.status);
    records.push_back(&run.record);
  }
  std::string when;
  if (report.runs.size() == 1) {
    const auto& r = report.runs[0].record;
    when =
        r.finished_at.empty() ? "started " + pretty_time(r.started_at) : pretty_time(r.finished_at);
  } else {
    when = fmt::format("{} runs", report.runs.size());
  }
  std::string what = fmt::format("{} models × {} tasks · {}", report.entries.size(),
                                 report.tasks.size(), answered_text(count_answered(records)));
  if (!scored) {
    what =
        report.runs.size() == 1 ? "no scored tasks in this run" : "no scored tasks in these runs";
    if (typed.size() == 1 && typed.front().sections.size() == 1) {
      const auto& section = typed.front().sections.front().second;
      what = section.title + ": " + section.summary;
    }
  }
  out << "<header class=\"top\"><div class=\"brand\">lmmbench "
      << (report.gate ? "regression check" : "report") << "</div><h1>" << h(report.title())
      << "</h1><div class=\"meta\">"
      << h(fmt::format("{} · {} · {}", what, fmt::join(statuses, ", "), when)) << "</div><nav>";
  if (report.gate) out << "<a href=\"#gate\">Verdict</a>";
  if (scored) {
    out << "<a href=\"#results\">Results</a><a href=\"#charts\">Scores</a>"
           "<a href=\"#categories\">Breakdowns</a>";
  }
  for (const auto& k : typed)
    out << "<a href=\"#" << h(k.key) << "\">" << h(k.title) << "</a>";
  if (has_perf) {
    out << "<a href=\"#performance\">" << (typed.empty() ? "Performance" : "Other sections")
        << "</a>";
  }
  if (scored) out << "<a href=\"#samples\">Samples</a>";
  out << "<a href=\"#provenance\">Provenance</a></nav></header>\n";
}

void render_banners(const Report& report, std::ostream& out) {
  out << "<div id=\"js-error\" class=\"banner error\" hidden></div>\n";
  std::vector<std::string> instrumented;
  for (const auto& run : report.runs) {
    const auto& t = run.record.tool;
    if (t.build_type != "Release" || !t.sanitizers.empty()) {
      instrumented.push_back("<b>" + h(run.label) + "</b> (" + h(t.build_type) +
                             (t.sanitizers.empty() ? "" : " + " + h(t.sanitizers)) + ")");
    }
  }
  if (!instrumented.empty()) {
    out << "<div class=\"banner warn\">Made by a debug or sanitizer build: "
        << fmt::format("{}", fmt::join(instrumented, ", "))
        << ". Scores are valid, timings are not.</div>\n";
  }
  for (const auto& run : report.runs) {
    if (run.record.status != "complete") {
      out << "<div class=\"banner warn\"><b>" << h(run.label) << "</b> is " << h(run.record.status)
          << ": not every cell ran.</div>\n";
    }
  }
  if (!report.sample_errors.empty()) {
    out << "<div class=\"banner warn\">Per-sample scores could not be read for "
        << report.sample_errors.size()
        << " cell(s); they are missing from the sample browser and their comparisons:<ul>";
    for (const auto& [key, message] : report.sample_errors) {
      out << "<li>" << h(report.entries[key.first].label) << " × " << h(key.second) << ": "
          << h(message) << "</li>";
    }
    out << "</ul></div>\n";
  }
}

// ---------------------------------------------------------------------------------------------
// Gate verdict and tables

void render_gate(const Report& report, std::ostream& out) {
  const auto s = summarize(report);
  const std::string cls = s.regressions > 0 ? "error" : s.not_comparable > 0 ? "warn" : "ok";
  std::string verdict;
  if (s.regressions > 0) {
    verdict = fmt::format("✗ {} regression{}", s.regressions, s.regressions == 1 ? "" : "s");
  } else if (s.not_comparable > 0) {
    verdict = fmt::format("⚠ {} not comparable", s.not_comparable);
  } else {
    verdict = "✓ No regression";
  }
  if (s.regressions > 0 && s.not_comparable > 0) {
    verdict += fmt::format(", ⚠ {} not comparable", s.not_comparable);
  }
  out << "<section id=\"gate\"><h2>Verdict</h2><div class=\"banner " << cls
      << "\"><span class=\"verdict\">" << h(verdict) << "</span> in " << s.compared
      << (s.compared == 1 ? " comparison" : " comparisons") << " of <b>" << h(report.runs[1].label)
      << "</b> against the baseline <b>" << h(report.runs[0].label) << "</b>.</div>";
  out << "<p class=\"lead\">A regression is " << h(describe_rule(report.options.gate))
      << ". Baseline and new are scored on the samples both runs have (mean headlines; others "
         "as recorded). A changed dataset, prompt, generation parameter or metric, or a coverage "
         "below "
      << h(fmt::format("{:g} %", 100 * report.options.gate.min_coverage))
      << (report.options.gate.allow_partial ? " (allowed here)" : "")
      << " of the samples, makes a pair not comparable.</p>";
  out << "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>Verdict</th><th>Model</th>"
         "<th>Task</th><th class=\"num\">Baseline</th><th class=\"num\">New</th><th "
         "class=\"num\">Δ [95 % CI]</th><th class=\"num\">p (adj.)</th><th class=\"num\">Shared "
         "samples (coverage)</th><th>Test</th></tr></thead><tbody>";
  for (const auto& c : report.comparisons) {
    out << "<tr><td><span class=\"chip " << verdict_class(c.verdict) << "\">"
        << h(verdict_mark(c.verdict)) << "</span></td><td>"
        << h(report.entries[c.candidate_entry].model) << "</td><td>" << h(c.task)
        << "<span class=\"sub\">" << h(c.metric) << "</span></td><td class=\"num\" data-v=\""
        << (std::isfinite(c.baseline_score) ? fmt::format("{}", c.baseline_score) : "") << "\">"
        << h(format_number(c.baseline_score, c.unit)) << "</td>";
    if (c.verdict == Verdict::not_comparable || c.verdict == Verdict::failed) {
      out << "<td colspan=\"5\">" << h(c.reason) << "</td></tr>";
      continue;
    }
    std::string ci = std::isfinite(c.ci95[0]) ? " " + format_interval(c.ci95, c.unit) : "";
    out << "<td class=\"num\" data-v=\"" << c.candidate_score << "\">"
        << h(format_number(c.candidate_score, c.unit)) << "</td><td class=\"num\" data-v=\""
        << c.delta << "\">" << h(format_delta(c.delta, c.unit) + ci)
        << "</td><td class=\"num\" data-v=\""
        << (std::isfinite(c.p_adjusted) ? fmt::format("{}", c.p_adjusted) : "") << "\">"
        << h(format_p_value(c.p_adjusted)) << "</td><td class=\"num\" data-v=\"" << c.coverage
        << "\">" << h(coverage_text(c)) << "</td><td class=\"mono\">" << h(c.method)
        << "</td></tr>";
  }
  out << "</tbody></table></div>";
  if (!report.objectives.empty()) {
    out << "<h3>Performance objectives</h3><div class=\"scroll\"><table class=\"sortable\"><thead>"
           "<tr><th>Verdict</th><th>Scope</th><th>Objective</th><th class=\"num\">Baseline</th><th "
           "class=\"num\">New</th><th class=\"num\">Worse by</th><th "
           "class=\"num\">Tolerance</th><th class=\"num\">Noise</th></tr></thead><tbody>";
    for (const auto& o : report.objectives) {
      out << "<tr><td><span class=\"chip " << verdict_class(o.verdict) << "\">"
          << h(verdict_mark(o.verdict)) << "</span></td><td>" << h(o.scope) << "</td><td>"
          << h(o.name) << "</td><td class=\"num\">" << h(format_with_unit(o.baseline, o.unit))
          << "</td><td class=\"num\">" << h(format_with_unit(o.candidate, o.unit))
          << "</td><td class=\"num\">"
          << h(std::isfinite(o.worse_by) ? fmt::format("{:+.1f} %", 100 * o.worse_by) : "n/a")
          << "</td><td class=\"num\">" << h(fmt::format("{:.0f} %", 100 * o.tolerance))
          << "</td><td class=\"num\">"
          << h(std::isfinite(o.noise) ? fmt::format("{:.1f} %", 100 * o.noise) : "—")
          << "</td></tr>";
    }
    out << "</tbody></table></div>";
  }
  out << "</section>\n";
}

// ---------------------------------------------------------------------------------------------
// Results table

void render_results(const Report& report, std::ostream& out) {
  out << "<section id=\"results\"><h2>Results</h2><p class=\"lead\">Headline score of every model "
         "× task with its 95 % interval and the samples that errored, timed out or could not be "
         "parsed.";
  if (!report.gate && report.baseline && !report.comparisons.empty()) {
    out << " Δ is the difference from <b>" << h(report.entries[*report.baseline].label)
        << "</b> on the samples both answered.";
  } else if (report.gate) {
    out << " Δ is the difference of each new model from the same model in the baseline run.";
  }
  out << " Click a column to sort.</p>";
  out << "<div class=\"scroll\"><table class=\"sortable results\"><thead><tr><th>Model</th>";
  for (const auto& task : report.tasks) {
    const Cell* sample = first_scored(report, task);
    out << "<th class=\"num\">" << h(task) << "<span class=\"sub\">"
        << (sample ? h(headline_label(*sample->headline())) : "") << "</span></th>";
  }
  out << "</tr></thead><tbody>";
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    out << "<tr><td><b>" << h(report.entries[e].label) << "</b>";
    if (report.is_baseline(e)) out << " <span class=\"chip\">baseline</span>";
    out << "</td>";
    for (const auto& task : report.tasks) {
      const Cell* cell = report.cell(e, task);
      if (cell == nullptr) {
        out << "<td class=\"num\" data-v=\"\"><span class=\"outcome\">—</span></td>";
        continue;
      }
      const auto* s = cell->headline();
      if (!cell->scored() || s == nullptr) {
        out << "<td class=\"num\" data-v=\"\"><span class=\"outcome\" title=\"" << h(cell->message)
            << "\">" << h(to_string(cell->outcome)) << "</span>";
        if (!cell->message.empty()) {
          out << "<span class=\"sub why\">" << h(cut_utf8(cell->message, 160)) << "</span>";
        }
        out << "</td>";
        continue;
      }
      if (cell->has_score()) {
        out << "<td class=\"num\" data-v=\""
            << (std::isfinite(s->score) ? fmt::format("{}", s->score) : "")
            << "\"><div class=\"score\">" << h(format_number(s->score, s->unit))
            << "</div><div class=\"ci\">"
            << h(std::isfinite(s->ci95[0]) ? format_interval(s->ci95, s->unit) : "no interval")
            << " <span title=\"samples\">n = " << s->n << ", " << cell->answered()
            << " answered</span></div>";
      } else {
        out << "<td class=\"num\" data-v=\"\"><div class=\"score none\">" << h(kNoAnswers)
            << "</div><div class=\"ci\"><span title=\"samples\">n = " << s->n
            << ", 0 answered</span></div>";
      }
      if (cell->outcome == CellOutcome::too_many_errors) {
        out << "<div class=\"delta failed\" title=\"" << h(cell->message)
            << "\">✗ over error budget</div>";
      }
      if (const auto* c = report.comparison(e, task)) {
        out << "<div class=\"delta " << verdict_class(c->verdict) << "\">";
        if (c->verdict == Verdict::not_comparable || c->verdict == Verdict::failed) {
          out << h(verdict_mark(c->verdict)) << ": " << h(c->reason);
        } else {
          out << h(delta_text(*c)) << " <span class=\"chip " << verdict_class(c->verdict) << "\">"
              << h(verdict_mark(c->verdict)) << "</span>";
        }
        out << "</div>";
      }
      const std::string counts = counts_text(*cell);
      out << "<div class=\"counts" << (counts.empty() ? " none" : "") << "\">"
          << h(counts.empty() ? "no errors" : counts) << "</div></td>";
    }
    out << "</tr>";
  }
  out << "</tbody></table></div>";
  if (!report.comparisons.empty()) {
    out << "<p class=\"legend\">✗ regression: " << h(describe_rule(report.options.gate))
        << ". ▲ a significant gain of that size. ✓ neither. Intervals: the metric's own (normal or "
           "bootstrap, as recorded).</p>";
  }
  out << "</section>\n";
}

// ---------------------------------------------------------------------------------------------
// Charts

void render_charts(const Report& report, std::ostream& out) {
  out << "<section id=\"charts\"><h2>Scores</h2><p class=\"lead\">Bars are headline scores; "
         "whiskers their 95 % intervals.</p><div class=\"charts\">";
  for (const auto& task : report.tasks) {
    const Cell* sample = first_scored(report, task);
    if (sample == nullptr) continue;
    const Unit unit = sample->headline()->unit;
    std::vector<Bar> bars;
    double top = 0;
    for (std::size_t e = 0; e < report.entries.size(); ++e) {
      const Cell* cell = report.cell(e, task);
      if (cell == nullptr) continue;
      Bar b;
      b.label = report.entries[e].label;
      const auto* s = cell->headline();
      if (!cell->has_score()) {
        b.value = std::nan("");
        b.interval = {std::nan(""), std::nan("")};
        b.value_text =
            cell->scored() ? std::string(kNoAnswers) : std::string(to_string(cell->outcome));
      } else {
        b.value = s->score;
        b.interval = s->ci95;
        b.value_text = format_with_unit(s->score, s->unit);
        top = std::max({top, s->score, std::isfinite(s->ci95[1]) ? s->ci95[1] : 0.0});
      }
      if (report.is_baseline(e)) {
        b.css_class = "baseline";
      } else if (const auto* c = report.comparison(e, task)) {
        if (c->verdict == Verdict::regression) b.css_class = "regression";
        if (c->verdict == Verdict::improvement) b.css_class = "improvement";
      }
      bars.push_back(std::move(b));
    }
    out << "<figure><figcaption>" << h(task) << "<span class=\"sub\">"
        << h(headline_label(*sample->headline())) << "</span></figcaption>"
        << svg_bar_chart(bars, nice_axis_max(top, unit), unit, task + ": headline scores")
        << "</figure>";
  }
  out << "</div></section>\n";
}

/// The value a breakdown cell is charted by: "accuracy" or "score" when present, else the first.
const MetricValue* chart_value(const metrics::BreakdownCell& cell) {
  for (const auto& v : cell.values) {
    if (v.name == "accuracy" || v.name == "score") return &v;
  }
  return cell.values.empty() ? nullptr : &cell.values.front();
}

void render_categories(const Report& report, std::ostream& out) {
  out << "<section id=\"categories\"><h2>Breakdowns</h2><p class=\"lead\">Headline metric per "
         "category, as each metric breaks itself down (n = samples in the category).</p>";
  bool any = false;
  for (const auto& task : report.tasks) {
    std::vector<std::size_t> entries;
    std::set<std::string> keys;
    for (std::size_t e = 0; e < report.entries.size(); ++e) {
      const Cell* cell = report.cell(e, task);
      if (cell == nullptr || !cell->has_score()) continue;
      entries.push_back(e);
      for (const auto& [key, _] : cell->headline()->breakdown)
        keys.insert(key);
    }
    for (const auto& key : keys) {
      std::vector<std::string> groups;
      for (const auto e : entries) {
        const auto& b = report.cell(e, task)->headline()->breakdown;
        const auto it = b.find(key);
        if (it == b.end()) continue;
        for (const auto& [value, _] : it->second) {
          if (std::find(groups.begin(), groups.end(), value) == groups.end())
            groups.push_back(value);
        }
      }
      if (groups.empty()) continue;
      any = true;
      std::vector<std::vector<double>> series;
      std::string stat_name;
      Unit unit = report.cell(entries.front(), task)->headline()->unit;
      double top = 0;
      out << "<div class=\"category-block\"><h3>" << h(task) << " · by " << h(key) << "</h3>";
      out << "<div class=\"split\"><div class=\"scroll\"><table class=\"sortable "
             "breakdown\"><thead>"
             "<tr><th>"
          << h(key) << "</th><th class=\"num\">n</th>";
      for (std::size_t k = 0; k < entries.size(); ++k) {
        out << "<th class=\"num\"><span class=\"swatch series-" << k % 8 << "\"></span>"
            << h(report.entries[entries[k]].label) << "</th>";
      }
      out << "</tr></thead><tbody>";
      series.assign(entries.size(), std::vector<double>(groups.size(), std::nan("")));
      for (std::size_t g = 0; g < groups.size(); ++g) {
        // n is per entry (the entries may cover different samples): shown once when they agree.
        std::set<std::size_t> ns;
        for (const auto e : entries) {
          const auto& b = report.cell(e, task)->headline()->breakdown;
          if (const auto it = b.find(key); it != b.end()) {
            if (const auto c = it->second.find(groups[g]); c != it->second.end())
              ns.insert(c->second.n);
          }
        }
        out << "<tr><td>" << h(groups[g]) << "</td><td class=\"num\" data-v=\""
            << (ns.size() == 1 ? std::to_string(*ns.begin()) : "") << "\">"
            << (ns.size() == 1 ? std::to_string(*ns.begin()) : "varies") << "</td>";
        for (std::size_t k = 0; k < entries.size(); ++k) {
          const auto& b = report.cell(entries[k], task)->headline()->breakdown;
          const auto it = b.find(key);
          const metrics::BreakdownCell* cell = nullptr;
          if (it != b.end()) {
            if (const auto c = it->second.find(groups[g]); c != it->second.end()) cell = &c->second;
          }
          const MetricValue* v = cell ? chart_value(*cell) : nullptr;
          if (v == nullptr) {
            out << "<td class=\"num\" data-v=\"\">—</td>";
            continue;
          }
          stat_name = v->name;
          unit = v->unit;
          series[k][g] = v->value;
          if (std::isfinite(v->value)) top = std::max(top, v->value);
          out << "<td class=\"num\" data-v=\""
              << (std::isfinite(v->value) ? fmt::format("{}", v->value) : "") << "\">"
              << h(format_number(v->value, v->unit))
              << (ns.size() > 1 ? fmt::format(" <span class=\"sub\">n = {}</span>", cell->n) : "")
              << "</td>";
        }
        out << "</tr>";
      }
      out << "</tbody></table></div><figure>"
          << svg_grouped_bars(groups, series, nice_axis_max(top, unit), unit,
                              task + " by " + key + ": " + stat_name)
          << "</figure></div></div>";
    }
  }
  if (!any) out << "<p class=\"empty\">No metric reported a breakdown.</p>";
  out << "</section>\n";
}

// ---------------------------------------------------------------------------------------------
// Generic sections (perf, GPU, cost ...): whatever the record holds beyond its core fields.

bool is_metric_value(const nlohmann::json& j) {
  return j.is_object() && j.contains("name") && j["name"].is_string() && j.contains("value") &&
         j["value"].is_number() && j.contains("unit") && j["unit"].is_string() &&
         parse_unit(j["unit"].get<std::string>()).has_value();
}

std::string scalar_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (is_metric_value(j)) {
    return format_with_unit(j["value"].get<double>(), *parse_unit(j["unit"].get<std::string>()));
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void render_json_block(const std::string& path, const nlohmann::json& j, std::ostream& out,
                       int depth);

void render_array(const std::string& path, const nlohmann::json& j, std::ostream& out, int depth) {
  if (j.empty()) return;
  const bool numbers = std::all_of(j.begin(), j.end(), [](const auto& v) { return v.is_number(); });
  if (numbers) {
    std::vector<double> values;
    for (const auto& v : j)
      values.push_back(v.get<double>());
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    const auto q = [&](double p) { return metrics::percentile(sorted, 100 * p); };
    out << "<figure><figcaption>" << h(path) << "<span class=\"sub\">"
        << h(fmt::format("n = {}, min {:.4g}, p50 {:.4g}, p99 {:.4g}, max {:.4g}", values.size(),
                         sorted.front(), q(0.5), q(0.99), sorted.back()))
        << "</span></figcaption>";
    if (values.size() >= 3) out << svg_histogram(values, Unit::ratio, path + ": distribution");
    out << "</figure>";
    return;
  }
  if (std::all_of(j.begin(), j.end(), is_metric_value)) {
    out << "<h3>" << h(path) << "</h3><table class=\"kv\"><tbody>";
    for (const auto& v : j) {
      out << "<tr><th>" << h(v["name"].get<std::string>()) << "</th><td>" << h(scalar_text(v))
          << "</td></tr>";
    }
    out << "</tbody></table>";
    return;
  }
  const bool objects = std::all_of(j.begin(), j.end(), [](const auto& v) { return v.is_object(); });
  if (objects) {
    std::vector<std::string> columns;
    for (const auto& row : j) {
      for (const auto& [key, value] : row.items()) {
        if (!value.is_structured() || is_metric_value(value)) {
          if (std::find(columns.begin(), columns.end(), key) == columns.end())
            columns.push_back(key);
        }
      }
    }
    out << "<h3>" << h(path) << "</h3><div class=\"scroll\"><table class=\"sortable\"><thead><tr>";
    for (const auto& c : columns)
      out << "<th>" << h(c) << "</th>";
    out << "</tr></thead><tbody>";
    constexpr std::size_t kMaxRows = 200;
    std::size_t shown = 0;
    for (const auto& row : j) {
      if (++shown > kMaxRows) break;
      out << "<tr>";
      for (const auto& c : columns) {
        const auto it = row.find(c);
        if (it == row.end()) {
          out << "<td></td>";
        } else {
          const auto v = is_metric_value(*it) ? (*it)["value"] : *it;
          out << "<td"
              << (v.is_number() ? fmt::format(" class=\"num\" data-v=\"{}\"", v.get<double>()) : "")
              << ">" << h(scalar_text(*it)) << "</td>";
        }
      }
      out << "</tr>";
    }
    out << "</tbody></table></div>";
    if (j.size() > kMaxRows)
      out << "<p class=\"legend\">" << j.size() - kMaxRows << " more rows in run.json.</p>";
    // A curve: the first column numeric on every row, and further numeric columns against it.
    const auto number_at = [&](const nlohmann::json& row, const std::string& c) {
      const auto it = row.find(c);
      if (it == row.end()) return std::nan("");
      const auto& v = is_metric_value(*it) ? (*it)["value"] : *it;
      return v.is_number() ? v.get<double>() : std::nan("");
    };
    if (j.size() >= 2 && !columns.empty()) {
      std::vector<double> x;
      for (const auto& row : j)
        x.push_back(number_at(row, columns.front()));
      if (std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); })) {
        for (std::size_t c = 1; c < columns.size(); ++c) {
          std::vector<double> y;
          for (const auto& row : j)
            y.push_back(number_at(row, columns[c]));
          if (std::none_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); })) continue;
          out << "<figure><figcaption>" << h(columns[c]) << " vs " << h(columns.front())
              << "</figcaption>"
              << svg_line_chart(x, {y}, columns.front(),
                                path + ": " + columns[c] + " vs " + columns.front())
              << "</figure>";
        }
      }
    }
    return;
  }
  for (std::size_t i = 0; i < j.size(); ++i)
    render_json_block(fmt::format("{}[{}]", path, i), j[i], out, depth + 1);
}

void render_json_block(const std::string& path, const nlohmann::json& j, std::ostream& out,
                       int depth) {
  if (depth > 6) {
    out << "<pre>" << h(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
        << "</pre>";
    return;
  }
  if (j.is_array()) {
    render_array(path, j, out, depth);
    return;
  }
  if (!j.is_object() || is_metric_value(j)) {
    out << "<table class=\"kv\"><tbody><tr><th>" << h(path) << "</th><td>" << h(scalar_text(j))
        << "</td></tr></tbody></table>";
    return;
  }
  std::vector<std::pair<std::string, const nlohmann::json*>> scalars;
  std::vector<std::pair<std::string, const nlohmann::json*>> nested;
  for (const auto& [key, value] : j.items()) {
    const std::string child = path.empty() ? key : path + "." + key;
    if (!value.is_structured() || is_metric_value(value)) {
      scalars.emplace_back(child, &value);
    } else {
      nested.emplace_back(child, &value);
    }
  }
  if (!scalars.empty()) {
    out << "<table class=\"kv\"><tbody>";
    for (const auto& [key, value] : scalars)
      out << "<tr><th>" << h(key) << "</th><td>" << h(scalar_text(*value)) << "</td></tr>";
    out << "</tbody></table>";
  }
  for (const auto& [key, value] : nested)
    render_json_block(key, *value, out, depth + 1);
}

bool has_usage(const CellUsage& usage) {
  return usage.prompt_tokens != 0 || usage.completion_tokens != 0 || usage.cost_usd.has_value();
}

bool has_usage(const Cell& cell) {
  return has_usage(cell.usage) || (cell.judge && has_usage(cell.judge->usage));
}

/// Tokens and API cost per cell, when any cell has them; a judged cell's judge on its own row.
void render_usage(const Report& report, std::ostream& out) {
  bool any = false;
  for (const auto& run : report.runs) {
    for (const auto& cell : run.record.cells)
      any = any || has_usage(cell);
  }
  if (!any) return;
  out << "<h3>Tokens and cost</h3><div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
         "<th>Model</th><th>Task</th><th class=\"num\">Prompt tokens</th><th class=\"num\">"
         "Completion tokens</th><th class=\"num\">Answers with usage</th><th class=\"num\">Cost"
         "</th><th>Price</th></tr></thead><tbody>";
  auto row = [&](const std::string& who, const std::string& task, const CellUsage& u,
                 std::size_t total) {
    out << "<tr><td>" << h(who) << "</td><td>" << h(task) << "</td><td class=\"num\" data-v=\""
        << u.prompt_tokens << "\">" << u.prompt_tokens << "</td><td class=\"num\" data-v=\""
        << u.completion_tokens << "\">" << u.completion_tokens << "</td><td class=\"num\">"
        << u.requests_with_usage << " / " << total << "</td><td class=\"num\" data-v=\""
        << (u.cost_usd ? fmt::format("{}", *u.cost_usd) : "") << "\">"
        << h(u.cost_usd ? format_with_unit(*u.cost_usd, Unit::usd) : "no price") << "</td><td>"
        << h(u.price_model.empty() ? "" : u.price_model + " (" + u.prices_as_of + ")")
        << "</td></tr>";
  };
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    for (const auto& task : report.tasks) {
      const Cell* cell = report.cell(e, task);
      if (cell == nullptr || !has_usage(*cell)) continue;
      row(report.entries[e].label, task, cell->usage, cell->counts.total);
      if (cell->judge && has_usage(cell->judge->usage)) {
        row(report.entries[e].label + " (judge " + cell->judge->model + ")", task,
            cell->judge->usage, cell->judge->requests);
      }
    }
  }
  out << "</tbody></table></div>";
}

bool has_sections(const Report& report) {
  for (const auto& run : report.runs) {
    if (!untyped_sections(run).empty()) return true;
    for (const auto& cell : run.record.cells) {
      if (has_usage(cell)) return true;
    }
    for (const auto& cell : run.record.cells) {
      if (!cell_sections(run, cell).empty()) return true;
    }
  }
  return false;
}

void render_sections(const Report& report, std::ostream& out) {
  out << "<section id=\"performance\"><h2>Performance and other sections</h2><p class=\"lead\">"
         "Everything the run record holds beyond scores (serving latency, throughput, GPU, cost), "
         "shown as recorded.</p>";
  render_usage(report, out);
  for (const auto& run : report.runs) {
    const auto sections = untyped_sections(run);
    for (const auto& [key, value] : sections.items()) {
      out << "<h3>" << h(key) << (report.runs.size() > 1 ? " · " + h(run.label) : "") << "</h3>";
      render_json_block(key, value, out, 0);
    }
    for (const auto& cell : run.record.cells) {
      const auto sections_of_cell = cell_sections(run, cell);
      if (sections_of_cell.empty()) continue;
      out << "<h3>" << h(cell.model) << " × " << h(cell.task)
          << (report.runs.size() > 1 ? " · " + h(run.label) : "") << "</h3>";
      render_json_block("", sections_of_cell, out, 0);
    }
  }
  out << "</section>\n";
}

// ---------------------------------------------------------------------------------------------
// Sample browser data

nlohmann::json gold_counts(const std::vector<std::string>& answers) {
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& a : answers) {
    auto it =
        std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == a; });
    if (it == counts.end()) {
      counts.emplace_back(a, 1);
    } else {
      ++it->second;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [text, n] : counts)
    out.push_back({text, n});
  return out;
}

struct BrowserSample {
  const SampleRecord* info = nullptr;  ///< Gold data (the first record with a question).
  std::vector<const SampleRecord*> answers;
  bool disagreement = false;
  bool failure = false;
};

nlohmann::json sample_browser_data(const Report& report) {
  const auto& options = report.options;
  struct TaskData {
    std::string name;
    std::vector<std::size_t> entries;
    std::vector<std::string> ids;  ///< Union of ids, in first-seen order.
    std::map<std::string, BrowserSample> samples;
    std::vector<std::string> selected;  ///< Kept for the browser, in display order.
    std::size_t omitted = 0;
  };
  std::vector<TaskData> tasks;
  for (const auto& task : report.tasks) {
    TaskData t;
    t.name = task;
    for (std::size_t e = 0; e < report.entries.size(); ++e) {
      if (report.samples.count({e, task})) t.entries.push_back(e);
    }
    if (t.entries.empty()) continue;
    for (std::size_t k = 0; k < t.entries.size(); ++k) {
      for (const auto& r : report.samples.at({t.entries[k], task})) {
        auto [it, inserted] = t.samples.try_emplace(r.id);
        if (inserted) {
          t.ids.push_back(r.id);
          it->second.answers.assign(t.entries.size(), nullptr);
        }
        it->second.answers[k] = &r;
        if (it->second.info == nullptr ||
            (it->second.info->question.empty() && !r.question.empty()))
          it->second.info = &r;
      }
    }
    for (auto& [id, s] : t.samples) {
      std::set<std::string> extracted;
      for (const auto* a : s.answers) {
        const bool failed = a == nullptr || a->score < 1.0 || !a->error_kind.empty() ||
                            (!a->status.empty() && a->status != "parsed");
        s.failure = s.failure || failed;
        if (a != nullptr && a->error_kind.empty()) extracted.insert(a->extracted);
      }
      s.disagreement = extracted.size() > 1;
    }
    // Disagreements first, then failures, then the rest, each in dataset order.
    std::vector<std::string> priority = t.ids;
    std::stable_sort(priority.begin(), priority.end(), [&](const auto& a, const auto& b) {
      const auto rank = [&](const BrowserSample& s) {
        return s.disagreement ? 0 : s.failure ? 1 : 2;
      };
      return rank(t.samples.at(a)) < rank(t.samples.at(b));
    });
    if (priority.size() > options.max_browser_samples) {
      t.omitted = priority.size() - options.max_browser_samples;
      priority.resize(options.max_browser_samples);
    }
    t.selected = std::move(priority);
    tasks.push_back(std::move(t));
  }

  // Thumbnails: the budget is shared evenly by the tasks (what one leaves unused passes on), and
  // within a task goes to samples in priority order. Identical image files share one thumbnail.
  std::map<std::string, int> thumb_index;
  nlohmann::json thumbs = nlohmann::json::array();
  std::map<std::pair<std::size_t, std::string>, int> sample_thumb;
  std::size_t remaining = options.max_thumbnails;
  for (std::size_t ti = 0; ti < tasks.size(); ++ti) {
    std::size_t budget = remaining / (tasks.size() - ti);
    for (const auto& id : tasks[ti].selected) {
      const auto& s = tasks[ti].samples.at(id);
      if (s.info->images.empty()) continue;
      const auto& image = s.info->images.front();
      const std::string key = image.path.string() + '\0' + std::to_string(image.base64_offset);
      auto it = thumb_index.find(key);
      if (it == thumb_index.end()) {
        if (budget == 0) continue;
        const auto uri = thumbnail_data_uri(image, options.thumbnail_size);
        --budget;
        --remaining;
        if (!uri) continue;
        thumbs.push_back(*uri);
        it = thumb_index.emplace(key, static_cast<int>(thumbs.size()) - 1).first;
      }
      sample_thumb[{ti, id}] = it->second;
    }
  }

  nlohmann::json out{{"cap", options.max_browser_samples}, {"thumbs", std::move(thumbs)}};
  out["tasks"] = nlohmann::json::array();
  for (std::size_t ti = 0; ti < tasks.size(); ++ti) {
    auto& t = tasks[ti];
    // Display in dataset order.
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < t.ids.size(); ++i)
      position[t.ids[i]] = i;
    std::sort(t.selected.begin(), t.selected.end(),
              [&](const auto& a, const auto& b) { return position[a] < position[b]; });
    nlohmann::json task{{"name", t.name}, {"omitted", t.omitted}};
    task["models"] = nlohmann::json::array();
    for (const auto e : t.entries)
      task["models"].push_back(report.entries[e].label);
    task["samples"] = nlohmann::json::array();
    for (const auto& id : t.selected) {
      const auto& s = t.samples.at(id);
      const auto thumb = sample_thumb.find({ti, id});
      nlohmann::json j{{"id", id},
                       {"q", s.info->question},
                       {"c", s.info->category},
                       {"g", gold_counts(s.info->answers)},
                       {"o", s.info->options},
                       {"n", s.info->images.size()},
                       {"i", thumb == sample_thumb.end() ? -1 : thumb->second},
                       {"d", s.disagreement}};
      j["a"] = nlohmann::json::array();
      for (const auto* a : s.answers) {
        if (a == nullptr) {
          j["a"].push_back(nullptr);
          continue;
        }
        j["a"].push_back(
            {a->prediction ? nlohmann::json(cut_utf8(*a->prediction, kMaxAnswerBytes))
                           : nlohmann::json(),
             a->extracted, a->score, a->status.empty() ? "parsed" : a->status,
             a->error_kind.empty() ? nlohmann::json() : nlohmann::json(a->error_kind)});
        // The judge's verdicts (judge-scored tasks only), shown as text like the answer.
        if (const auto verdicts = a->judge_replies(); !verdicts.empty()) {
          auto& replies = j["a"].back().emplace_back(nlohmann::json::array());
          for (const auto& reply : verdicts)
            replies.push_back(cut_utf8(reply, kMaxAnswerBytes));
        }
      }
      task["samples"].push_back(std::move(j));
    }
    out["tasks"].push_back(std::move(task));
  }
  return out;
}

void render_samples(const Report& report, std::ostream& out) {
  out << "<section id=\"samples\"><h2>Samples</h2><p class=\"lead\">Every sample's question, gold "
         "answers and each model's answer with its score. Model output is shown as text, exactly "
         "as received.</p>";
  const auto data = sample_browser_data(report);
  if (data["tasks"].empty()) {
    out << "<p class=\"empty\">No per-sample scores in these runs.</p></section>\n";
    return;
  }
  out << "<div id=\"sample-browser\"><div class=\"controls\"><label>Task <select id=\"sb-task\">"
         "</select></label><span class=\"seg\" role=\"group\" aria-label=\"Filter\">"
         "<button type=\"button\" data-filter=\"all\" aria-pressed=\"true\">All</button>"
         "<button type=\"button\" data-filter=\"failures\" aria-pressed=\"false\">Failures</button>"
         "<button type=\"button\" data-filter=\"disagreements\" "
         "aria-pressed=\"false\">Disagreements</button></span><label>of <select "
         "id=\"sb-who\"></select></label><label>Search <input type=\"search\" id=\"sb-search\" "
         "placeholder=\"id, question, answer\"></label></div>"
         "<div class=\"scroll\"><table class=\"samples\"><thead><tr><th>Image</th><th>Question</th>"
         "<th>Gold</th><th>Answers</th></tr></thead><tbody id=\"sb-body\"><tr><td colspan=\"4\" "
         "class=\"empty\">The sample browser needs JavaScript.</td></tr></tbody></table></div>"
         "<div class=\"pager\"><button type=\"button\" id=\"sb-prev\">‹ Previous</button><span "
         "id=\"sb-status\"></span><button type=\"button\" id=\"sb-next\">Next ›</button><span "
         "id=\"sb-note\"></span></div></div>"
      << "<script type=\"application/json\" id=\"sample-data\">" << json_for_script(data)
      << "</script></section>\n";
}

// ---------------------------------------------------------------------------------------------
// Provenance

void kv(std::ostream& out, std::string_view key, std::string_view value) {
  out << "<tr><th>" << h(key) << "</th><td>" << h(value) << "</td></tr>";
}

/// The datasets and cells of a run (none for a run of `lmmbench gpu` alone).
void render_cells_provenance(const RunRecord& r, std::ostream& out) {
  out << "<div class=\"scroll\"><table><thead><tr><th>Task</th><th>Dataset</th><th>Format</th>"
         "<th>Manifest sha256</th><th class=\"num\">Files</th><th class=\"num\">Samples</th><th "
         "class=\"num\">Selected</th></tr></thead><tbody>";
  std::set<std::string> tasks_done;
  for (const auto& cell : r.cells) {
    if (!tasks_done.insert(cell.task).second) continue;
    const auto& d = cell.dataset;
    out << "<tr><td>" << h(cell.task) << "</td><td>" << h(d.name) << "</td><td>" << h(d.format)
        << "</td><td class=\"mono\">" << h(d.manifest_sha256) << "</td><td class=\"num\">"
        << d.n_files << "</td><td class=\"num\">" << d.n_samples << "</td><td class=\"num\">"
        << d.n_selected << "</td></tr>";
  }
  out << "</tbody></table></div><div class=\"scroll\"><table><thead><tr><th>Model</th><th>Task"
         "</th><th>Backend fingerprint</th><th>Outcome</th><th class=\"num\">Answered</th><th "
         "class=\"num\">Resumed</th><th class=\"num\">Wall time</th></tr></thead><tbody>";
  for (const auto& cell : r.cells) {
    out << "<tr><td>" << h(cell.model) << "</td><td>" << h(cell.task) << "</td><td class=\"mono\">"
        << h(cell.backend_fingerprint) << "</td><td>" << h(to_string(cell.outcome))
        << (cell.message.empty() ? "" : ": " + h(cell.message)) << "</td><td class=\"num\">"
        << cell.counts.ok << " / " << cell.counts.total << "</td><td class=\"num\">"
        << cell.counts.resumed << "</td><td class=\"num\">" << h(wall_time(cell.wall_seconds))
        << "</td></tr>";
  }
  out << "</tbody></table></div>";
}

void render_provenance(const Report& report, std::ostream& out) {
  out << "<section id=\"provenance\"><h2>Provenance</h2><p class=\"lead\">What produced these "
         "numbers: tool, machine, configuration and the exact data.</p>";
  for (const auto& run : report.runs) {
    const auto& r = run.record;
    out << "<h3>" << h(run.label) << "</h3><div class=\"split\"><table class=\"kv\"><tbody>";
    kv(out, "run directory", run.dir.string());
    kv(out, "status", r.status);
    kv(out, "started / finished",
       pretty_time(r.started_at) + " → " +
           (r.finished_at.empty() ? "—" : pretty_time(r.finished_at)));
    kv(out, "wall time",
       wall_time(r.wall_seconds) +
           (r.resume_count ? fmt::format(" (resumed {}×)", r.resume_count) : ""));
    kv(out, "lmmbench",
       fmt::format("{} · {}{} · {}{}", r.tool.version, r.tool.git_revision,
                   r.tool.git_dirty ? " (modified)" : "", r.tool.build_type,
                   r.tool.sanitizers.empty() ? "" : " · " + r.tool.sanitizers));
    kv(out, "schema version", std::to_string(r.schema_version));
    kv(out, "config", r.config_path);
    kv(out, "config sha256", r.config_sha256);
    kv(out, "seed · concurrency", fmt::format("{} · {}", r.seed, r.concurrency));
    const auto& sel = r.selection;
    kv(out, "selection",
       fmt::format("models: {} · tasks: {} · limit: {} · shard {}/{}",
                   sel.models.empty() ? "all" : fmt::format("{}", fmt::join(sel.models, ", ")),
                   sel.tasks.empty() ? "all" : fmt::format("{}", fmt::join(sel.tasks, ", ")),
                   sel.limit ? std::to_string(*sel.limit) : "none", sel.shard_index,
                   sel.shard_count));
    for (const auto& shard : r.merged_from) {
      kv(out, fmt::format("merged from shard {}/{}", shard.shard_index, shard.shard_count),
         shard.dir);
    }
    out << "</tbody></table><table class=\"kv\"><tbody>";
    const auto host = run.raw.find("host");
    if (host != run.raw.end() && host->is_object()) {
      for (const auto& [key, value] : host->items())
        kv(out, "host · " + key, scalar_text(value));
    }
    out << "</tbody></table></div>";
    if (!r.cells.empty()) render_cells_provenance(r, out);
    out << "<details><summary>Resolved configuration (models and tasks inlined)</summary><pre>"
        << h(r.resolved_config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
        << "</pre></details>";
  }
  out << "</section>\n";
}

}  // namespace

std::string csp_hash(std::string_view text) {
  return "'sha256-" + base64_encode(hex_to_bytes(sha256_hex(text))) + "'";
}

void HtmlRenderer::do_render(const Report& report, std::ostream& out) const {
  const bool perf = has_sections(report);
  // Only the report's own style and scripts may run (matched by hash); nothing may be fetched.
  const std::string csp = fmt::format(
      "default-src 'none'; img-src data:; style-src {}; script-src {} {}; base-uri 'none'; "
      "form-action 'none'",
      csp_hash(assets::kReportCss), csp_hash(assets::kErrorGuardJs), csp_hash(assets::kReportJs));
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\""
      << csp << "\">\n<meta name=\"generator\" content=\"lmmbench "
      << h(report.runs.empty() ? "" : report.runs.front().record.tool.version) << "\">\n<title>"
      << h((report.gate ? "lmmbench compare · " : "lmmbench · ") + report.title())
      << "</title>\n<style>" << assets::kReportCss << "</style>\n<script>" << assets::kErrorGuardJs
      << "</script>\n</head>\n<body>\n";
  const auto typed = typed_sections(report);
  render_header(report, out, perf, typed);
  out << "<main>\n";
  render_banners(report, out);
  if (report.gate) render_gate(report, out);
  // A run without cells (`lmmbench gpu` alone) has nothing for the score sections to show.
  const bool scored = has_cells(report);
  if (scored) {
    render_results(report, out);
    render_charts(report, out);
    render_categories(report, out);
  } else if (typed.empty() && !perf) {
    out << "<section id=\"results\"><h2>Results</h2><p class=\"empty\">No scored tasks in "
           "this run.</p></section>\n";
  }
  for (const auto& k : typed) {
    out << "<section id=\"" << h(k.key) << "\"><h2>" << h(k.title) << "</h2>";
    for (const auto& [label, section] : k.sections)
      render_section_html(section, report.runs.size() > 1 ? label : "", out);
    render_sections_side_by_side(k.sections, out);
    out << "</section>\n";
  }
  if (perf) render_sections(report, out);
  if (scored) render_samples(report, out);
  render_provenance(report, out);
  out << "</main>\n<footer>Made by lmmbench from run.json";
  if (report.runs.size() > 1) out << " of " << report.runs.size() << " runs";
  out << ". Self-contained: this page loads nothing from the network.</footer>\n<script>"
      << assets::kReportJs << "</script>\n</body>\n</html>\n";
}

}  // namespace lmmbench::reports
