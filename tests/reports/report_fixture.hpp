#pragma once

// Builds small run directories (run.json + per-sample scores files) for the reports tests, so the
// renderers and the gate are tested on exactly what `lmmbench run` leaves on disk.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/statistics.hpp"
#include "reports/loaded_run.hpp"
#include "reports/renderer.hpp"
#include "reports/report.hpp"
#include "reports/run_record.hpp"
#include "reports/section.hpp"

namespace lmmbench::reports::testing {

/// A fresh directory, removed with its contents at the end of the scope.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("lmmbench-reports-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// One model x task cell to write: per-sample scores (ids "s0", "s1", ...) and answers.
struct CellSpec {
  CellSpec(std::string model_name, std::string task_name, std::vector<double> sample_scores)
      : model(std::move(model_name)),
        task(std::move(task_name)),
        scores(std::move(sample_scores)) {}

  std::string model;
  std::string task;
  std::vector<double> scores;
  std::vector<std::string> predictions;  ///< Defaults to "right"/"wrong" by score.
  std::string manifest = std::string(64, 'a');
  std::string prompt = "{question}";
  CellOutcome outcome = CellOutcome::ok;
};

inline std::string fixed_revision() {
  return "0123456789abcdef0123456789abcdef01234567";
}

/// A headline like MeanAggregator's: 100 × mean in percent with the analytic interval.
inline metrics::MetricResult mean_headline(const std::vector<double>& scores) {
  const auto m = metrics::estimate_mean(scores);
  metrics::MetricResult r;
  r.metric = "exact_match";
  r.variant = "default";
  r.n = scores.size();
  r.score = 100 * m.mean;
  r.standard_error = 100 * m.standard_error;
  r.ci95 = {100 * m.ci95[0], 100 * m.ci95[1]};
  r.interval_method = "normal";
  r.unit = Unit::percent;
  return r;
}

/// Writes `dir`/run.json and the scores files of `cells`; returns the loaded run, labelled `label`.
inline LoadedRun write_run(const std::filesystem::path& dir, const std::string& label,
                           const std::vector<CellSpec>& cells) {
  RunRecord r;
  r.tool.version = "0.1.0";
  r.tool.git_revision = fixed_revision();
  r.tool.build_type = "Release";
  r.host.hostname = "testhost";
  r.host.os = "Linux";
  r.host.cpu_count = 4;
  r.run_name = "fixture";
  r.config_sha256 = std::string(64, 'c');
  r.status = "complete";
  r.started_at = "2026-01-02T03:04:05Z";
  r.finished_at = "2026-01-02T03:04:06Z";
  r.seed = 7;
  r.concurrency = 2;
  r.predictions_file = "predictions.jsonl";
  r.resolved_config = {{"name", "fixture"}, {"tasks", nlohmann::json::array()}};
  std::vector<std::string> tasks_done;
  for (const auto& spec : cells) {
    Cell c;
    c.model = spec.model;
    c.task = spec.task;
    c.outcome = spec.outcome;
    c.backend_fingerprint = spec.model + "/v1";
    c.dataset.name = spec.task;
    c.dataset.format = "lmmbench-jsonl";
    c.dataset.manifest_sha256 = spec.manifest;
    c.dataset.n_samples = c.dataset.n_selected = spec.scores.size();
    c.wall_seconds = 0.25;
    if (std::find(tasks_done.begin(), tasks_done.end(), spec.task) == tasks_done.end()) {
      tasks_done.push_back(spec.task);
      r.resolved_config["tasks"].push_back({{"name", spec.task},
                                            {"prompt", {{"template", spec.prompt}}},
                                            {"generation", {{"max_tokens", 16}}},
                                            {"metrics", {"exact_match"}}});
    }
    if (spec.outcome == CellOutcome::ok) {
      c.counts.total = c.counts.ok = spec.scores.size();
      c.scores.push_back(mean_headline(spec.scores));
      c.scores_file = "scores/" + spec.model + "/" + spec.task + ".jsonl";
      std::filesystem::create_directories(dir / "scores" / spec.model);
      std::ofstream out(dir / c.scores_file);
      for (std::size_t i = 0; i < spec.scores.size(); ++i) {
        const std::string prediction = i < spec.predictions.size()
                                           ? spec.predictions[i]
                                           : (spec.scores[i] >= 1 ? "right" : "wrong");
        out << nlohmann::json{{"id", "s" + std::to_string(i)},
                              {"score", spec.scores[i]},
                              {"status", "parsed"},
                              {"extracted", prediction},
                              {"prediction", prediction},
                              {"question", "Question " + std::to_string(i) + "?"},
                              {"answers", {"right"}},
                              {"category", i % 2 ? "odd" : "even"}}
                   .dump()
            << '\n';
      }
    } else {
      c.message = "the backend cannot serve this task";
    }
    r.cells.push_back(std::move(c));
  }
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "run.json") << nlohmann::json(r).dump(2);
  auto run = load_run(dir);
  run.label = label;
  return run;
}

/// n scores: the first `right` are 1, the rest 0.
inline std::vector<double> binary_scores(std::size_t n, std::size_t right) {
  std::vector<double> s(n, 0.0);
  for (std::size_t i = 0; i < right && i < n; ++i)
    s[i] = 1.0;
  return s;
}

/// How many times `needle` occurs in `text` (overlaps counted).
inline std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

inline bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

/// The rendering of `runs` in `format`, with default options.
inline std::string render(Format format, std::vector<LoadedRun> runs) {
  std::ostringstream out;
  make_renderer(format)->render(make_report(std::move(runs), ReportOptions{}), out);
  return out.str();
}

/// The HTML report of `runs` with default options.
inline std::string render_html(std::vector<LoadedRun> runs) {
  return render(Format::html, std::move(runs));
}

/// The table of `section` with this title; throws when there is none.
inline const Table& table(const Section& section, const std::string& title) {
  for (const auto& t : section.tables) {
    if (t.title == title) return t;
  }
  throw std::runtime_error("no table " + title);
}

/// The formatted value of `row` in the column named `column` of `t`.
inline std::string cell(const Table& t, std::size_t row, const std::string& column) {
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (t.columns[c].name == column) return format_value(t.columns[c], t.rows.at(row).at(c));
  }
  throw std::runtime_error("no column " + column);
}

}  // namespace lmmbench::reports::testing
