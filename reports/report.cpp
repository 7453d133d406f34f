#include "reports/report.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

/// The record's core fields, which the renderers show with dedicated code. Every other key (a perf
/// or GPU section, token usage, cost) is a section, shown generically until it gets its own code.
const std::vector<std::string> kRecordCoreKeys = {
    "schema_version",   "tool",         "host",
    "run_name",         "config_path",  "config_sha256",
    "resolved_config",  "seed",         "concurrency",
    "selection",        "status",       "started_at",
    "finished_at",      "wall_seconds", "resume_count",
    "predictions_file", "cells",        "merged_from"};
const std::vector<std::string> kCellCoreKeys = {
    "model", "task",   "outcome",      "message",     "backend_fingerprint", "dataset", "counts",
    "usage", "scores", "wall_seconds", "scores_file", "max_error_rate",      "replicas"};

bool in(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void build_grid(Report& report) {
  std::map<std::string, std::size_t> name_count;
  for (const auto& run : report.runs) {
    std::set<std::string> seen;
    for (const auto& cell : run.record.cells) {
      if (seen.insert(cell.model).second) ++name_count[cell.model];
    }
  }
  for (std::size_t r = 0; r < report.runs.size(); ++r) {
    std::vector<std::string> models;
    for (const auto& cell : report.runs[r].record.cells) {
      if (!in(models, cell.model)) models.push_back(cell.model);
      if (!in(report.tasks, cell.task)) report.tasks.push_back(cell.task);
    }
    for (const auto& model : models) {
      Entry e;
      e.run = r;
      e.model = model;
      e.label = name_count[model] > 1 ? model + " · " + report.runs[r].label : model;
      report.entries.push_back(std::move(e));
    }
  }
}

/// Loads the per-sample records of every cell; a file that cannot be read is noted, not fatal.
void load_samples(Report& report) {
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    const auto& run = report.runs[report.entries[e].run];
    for (const auto& task : report.tasks) {
      const Cell* cell = report.cell(e, task);
      if (cell == nullptr || !cell->scored()) continue;
      const auto file = sample_file(run, *cell);
      if (!file) {
        report.sample_errors[{e, task}] = "the record names no per-sample scores file";
        continue;
      }
      try {
        report.samples[{e, task}] = read_sample_records(*file);
      } catch (const std::exception& ex) {
        report.sample_errors[{e, task}] = ex.what();
      }
    }
  }
}

ScoreComparison compare_entries(const Report& report, std::size_t base, std::size_t cand,
                                const std::string& task) {
  ScoreComparison c;
  const Cell* a = report.cell(base, task);
  const Cell* b = report.cell(cand, task);
  if (a == nullptr || b == nullptr) {
    c.verdict = Verdict::not_comparable;
    c.reason = a == nullptr ? "the baseline has no such cell" : "the new run has no such cell";
  } else if (auto reason =
                 not_comparable_reason(report.record(base), *a, report.record(cand), *b)) {
    c.verdict = Verdict::not_comparable;
    c.reason = *reason;
  } else if (b->outcome == CellOutcome::failed || b->outcome == CellOutcome::too_many_errors) {
    c.verdict = Verdict::failed;
    c.reason = b->message.empty() ? "the cell failed" : b->message;
    if (b->outcome == CellOutcome::too_many_errors) c.reason = "over the error budget: " + c.reason;
  } else {
    const auto sa = report.samples.find({base, task});
    const auto sb = report.samples.find({cand, task});
    if (sa == report.samples.end() || sb == report.samples.end()) {
      c.verdict = Verdict::not_comparable;
      const auto err = report.sample_errors.find(
          sa == report.samples.end() ? std::pair{base, task} : std::pair{cand, task});
      c.reason = "per-sample scores unavailable: " +
                 (err == report.sample_errors.end() ? std::string("not recorded") : err->second);
    } else {
      c = compare_scores(*a, sa->second, *b, sb->second);
    }
  }
  // Without a comparison of the per-sample scores, the headlines as recorded.
  if (c.metric.empty()) {
    const double no_score = std::numeric_limits<double>::quiet_NaN();
    if (a != nullptr && a->headline() != nullptr) {
      const auto& h = *a->headline();
      c.unit = h.unit;
      c.baseline_score = a->has_score() ? h.score : no_score;
      c.metric = h.variant.empty() ? h.metric : h.metric + "/" + h.variant;
    }
    if (b != nullptr && b->headline() != nullptr)
      c.candidate_score = b->has_score() ? b->headline()->score : no_score;
  }
  c.task = task;
  c.baseline_entry = base;
  c.candidate_entry = cand;
  return c;
}

}  // namespace

const Cell* Report::cell(std::size_t entry, const std::string& task) const {
  const auto& e = entries[entry];
  for (const auto& c : runs[e.run].record.cells) {
    if (c.model == e.model && c.task == task) return &c;
  }
  return nullptr;
}

const ScoreComparison* Report::comparison(std::size_t entry, const std::string& task) const {
  for (const auto& c : comparisons) {
    if (c.candidate_entry == entry && c.task == task && c.candidate_entry != c.baseline_entry)
      return &c;
  }
  return nullptr;
}

bool Report::is_baseline(std::size_t entry) const {
  if (!gate) return baseline && *baseline == entry;
  return std::any_of(comparisons.begin(), comparisons.end(), [&](const ScoreComparison& c) {
    return c.baseline_entry == entry && c.candidate_entry != entry;
  });
}

std::string Report::title() const {
  if (!options.title.empty()) return options.title;
  std::vector<std::string> names;
  for (const auto& run : runs) {
    const auto& name = run.record.run_name.empty() ? run.label : run.record.run_name;
    if (!in(names, name)) names.push_back(name);
  }
  return join(names, " vs ");
}

GateSummary summarize(const Report& report) {
  GateSummary s;
  for (const auto& c : report.comparisons) {
    ++s.compared;
    if (c.verdict == Verdict::regression || c.verdict == Verdict::failed) ++s.regressions;
    if (c.verdict == Verdict::not_comparable) ++s.not_comparable;
    if (c.verdict == Verdict::improvement) ++s.improvements;
  }
  for (const auto& o : report.objectives) {
    ++s.compared;
    if (o.verdict == Verdict::regression) ++s.regressions;
    if (o.verdict == Verdict::improvement) ++s.improvements;
  }
  return s;
}

Report make_report(std::vector<LoadedRun> runs, ReportOptions options) {
  Report report;
  report.runs = std::move(runs);
  report.options = std::move(options);
  build_grid(report);
  load_samples(report);
  if (report.entries.empty()) return report;
  std::size_t base = 0;
  if (!report.options.baseline.empty()) {
    const auto& wanted = report.options.baseline;
    const auto it = std::find_if(report.entries.begin(), report.entries.end(),
                                 [&](const Entry& e) { return e.label == wanted; });
    const auto by_model = std::find_if(report.entries.begin(), report.entries.end(),
                                       [&](const Entry& e) { return e.model == wanted; });
    if (it != report.entries.end()) {
      base = static_cast<std::size_t>(it - report.entries.begin());
    } else if (by_model != report.entries.end()) {
      base = static_cast<std::size_t>(by_model - report.entries.begin());
    } else {
      std::vector<std::string> labels;
      for (const auto& e : report.entries)
        labels.push_back(e.label);
      throw InputError(fmt::format("--baseline: no model '{}' in these runs{}; models: {}", wanted,
                                   did_you_mean(wanted, labels), join(labels, ", ")));
    }
  }
  report.baseline = base;
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    if (e == base) continue;
    for (const auto& task : report.tasks) {
      const Cell* a = report.cell(base, task);
      const Cell* b = report.cell(e, task);
      // A cell that did not run (unsupported, skipped) shows its outcome; there is nothing to
      // compare. A failed one is compared (and shown failed).
      if (a == nullptr || b == nullptr || b->outcome == CellOutcome::unsupported ||
          b->outcome == CellOutcome::skipped) {
        continue;
      }
      report.comparisons.push_back(compare_entries(report, base, e, task));
    }
  }
  apply_gate(report.comparisons, report.options.gate);
  return report;
}

Report make_gate_report(LoadedRun baseline, LoadedRun candidate, const GatePairing& pairing,
                        ReportOptions options) {
  Report report;
  report.gate = true;
  if (baseline.label == candidate.label) {
    baseline.label = "baseline";
    candidate.label = "new";
  }
  report.runs = {std::move(baseline), std::move(candidate)};
  report.options = std::move(options);
  build_grid(report);
  load_samples(report);
  auto find_entry = [&](std::size_t run, const std::string& model) -> std::optional<std::size_t> {
    for (std::size_t e = 0; e < report.entries.size(); ++e) {
      if (report.entries[e].run == run && report.entries[e].model == model) return e;
    }
    return std::nullopt;
  };
  const bool explicit_pair = !pairing.baseline_model.empty() || !pairing.candidate_model.empty();
  if (explicit_pair) {
    if (pairing.baseline_model.empty() || pairing.candidate_model.empty()) {
      throw InputError("--baseline-model and --new-model go together");
    }
    for (const auto& [run, model] : {std::pair{std::size_t{0}, pairing.baseline_model},
                                     std::pair{std::size_t{1}, pairing.candidate_model}}) {
      if (!find_entry(run, model)) {
        throw InputError(fmt::format("no model '{}' in the {} run ({})", model,
                                     run == 0 ? "baseline" : "new", report.runs[run].dir.string()));
      }
    }
  }
  for (const auto& task : pairing.tasks) {
    if (!in(report.tasks, task)) {
      throw InputError(fmt::format("--tasks: no task '{}' in either run{}", task,
                                   did_you_mean(task, report.tasks)));
    }
  }
  for (std::size_t e = 0; e < report.entries.size(); ++e) {
    const auto& entry = report.entries[e];
    if (entry.run != 0) continue;
    if (explicit_pair ? entry.model != pairing.baseline_model
                      : !pairing.models.empty() && !in(pairing.models, entry.model)) {
      continue;
    }
    const auto cand = find_entry(1, explicit_pair ? pairing.candidate_model : entry.model);
    for (const auto& task : report.tasks) {
      if (!pairing.tasks.empty() && !in(pairing.tasks, task)) continue;
      const Cell* base_cell = report.cell(e, task);
      if (base_cell == nullptr) continue;
      // A cell that did not run in either run (e.g. unsupported both times) is no comparison.
      const Cell* cand_cell = cand ? report.cell(*cand, task) : nullptr;
      if (cand_cell != nullptr && base_cell->outcome != CellOutcome::ok &&
          base_cell->outcome != CellOutcome::failed && cand_cell->outcome == base_cell->outcome) {
        continue;
      }
      if (!cand) {
        ScoreComparison c;
        c.task = task;
        c.baseline_entry = c.candidate_entry = e;
        c.verdict = Verdict::not_comparable;
        c.reason = fmt::format("model '{}' is not in the new run", entry.model);
        if (const auto* h = report.cell(e, task)->headline()) {
          c.unit = h->unit;
          c.baseline_score = h->score;
          c.metric = h->variant.empty() ? h->metric : h->metric + "/" + h->variant;
        }
        report.comparisons.push_back(std::move(c));
        continue;
      }
      report.comparisons.push_back(compare_entries(report, e, *cand, task));
      const Cell* a = report.cell(e, task);
      const Cell* b = report.cell(*cand, task);
      if (a != nullptr && b != nullptr) {
        // The cell's API cost is an objective too ("usage" is a core field, not a section).
        auto with_cost = [](nlohmann::json sections, const Cell& cell) {
          if (cell.usage.cost_usd) {
            sections["usage"] = {{"name", "cost_usd"},
                                 {"value", *cell.usage.cost_usd},
                                 {"unit", "usd"},
                                 {"higher_is_better", false}};
          }
          return sections;
        };
        auto objectives = compare_objectives(with_cost(cell_sections(report.runs[0], *a), *a),
                                             with_cost(cell_sections(report.runs[1], *b), *b),
                                             entry.model + " × " + task, report.options.gate);
        for (auto& o : objectives)
          report.objectives.push_back(std::move(o));
      }
    }
  }
  // The run's sections: the typed ones' own objectives, named "key/name", and any self-describing
  // value in sections this build does not model.
  const auto run_objectives = [](const LoadedRun& run) {
    NamedObjectives out = objectives_in(untyped_sections(run), "");
    for (const auto& section : sections_of(run)) {
      for (const auto& o : section.objectives)
        out.emplace_back(section.key + "/" + o.name, o);
    }
    return out;
  };
  for (auto& o : compare_objectives(run_objectives(report.runs[0]), run_objectives(report.runs[1]),
                                    "run", report.options.gate)) {
    report.objectives.push_back(std::move(o));
  }
  // Two `perf` runs have no cells: their objectives are the comparison.
  if (report.comparisons.empty() && report.objectives.empty()) {
    throw InputError(
        "nothing to compare: the two runs share no model × task and no performance objective "
        "(name the models with --baseline-model and --new-model)");
  }
  apply_gate(report.comparisons, report.options.gate);
  return report;
}

nlohmann::json untyped_sections(const LoadedRun& run) {
  nlohmann::json out = nlohmann::json::object();
  if (!run.raw.is_object()) return out;
  for (const auto& [key, value] : run.raw.items()) {
    const bool typed = (key == "gpu" && run.record.gpu) || (key == "perf" && run.record.perf) ||
                       (key == "train_cost" && run.record.train_cost);
    if (!in(kRecordCoreKeys, key) && !typed) out[key] = value;
  }
  return out;
}

nlohmann::json cell_sections(const LoadedRun& run, const Cell& cell) {
  nlohmann::json out = nlohmann::json::object();
  const auto cells = run.raw.find("cells");
  if (cells == run.raw.end() || !cells->is_array()) return out;
  for (const auto& c : *cells) {
    if (!c.is_object() || c.value("model", "") != cell.model || c.value("task", "") != cell.task)
      continue;
    for (const auto& [key, value] : c.items()) {
      if (!in(kCellCoreKeys, key)) out[key] = value;
    }
  }
  return out;
}

}  // namespace lmmbench::reports
