#pragma once

// Runs of the quickstart suite under controlled models, for the report, compare and browser tests.

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"

namespace lmmbench::testing {

inline const std::filesystem::path kOpenTask = kSource / "configs/tasks/synthetic_open.json";
inline const std::filesystem::path kMcTask = kSource / "configs/tasks/synthetic_mc.json";
inline const std::filesystem::path kModels = kSource / "configs/models";

/// Writes a run config over the quickstart tasks (or `tasks`) to `dir`/`name`.run.json.
inline std::filesystem::path write_run_config(const std::filesystem::path& dir,
                                              const std::string& name, const nlohmann::json& models,
                                              std::uint64_t seed = 2026,
                                              const std::vector<std::filesystem::path>& tasks = {
                                                  kOpenTask, kMcTask}) {
  nlohmann::json config{{"name", name},     {"output_dir", (dir / "runs").string()},
                        {"concurrency", 8}, {"seed", seed},
                        {"models", models}, {"tasks", nlohmann::json::array()}};
  for (const auto& t : tasks)
    config["tasks"].push_back(t.string());
  const auto path = dir / (name + ".run.json");
  write_text(path, config.dump(2));
  return path;
}

/// A model that replays the {"id", "prediction"} lines of `answers`, under `name`.
inline nlohmann::json replay_model(const std::string& name, const std::filesystem::path& answers) {
  return {{"name", name}, {"backend", "replay"}, {"options", {{"path", answers.string()}}}};
}

/// Runs `config` into `out` and expects success.
inline void run_config(const std::filesystem::path& config, const std::filesystem::path& out,
                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"run", config.string(), "--out", out.string(), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = lmmbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

/// sample id → answer of `model`, from a run's prediction log.
inline std::map<std::string, std::string> logged_answers(const std::filesystem::path& run_dir,
                                                         const std::string& model) {
  std::map<std::string, std::string> out;
  std::istringstream in(read_text(run_dir / "predictions.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    if (j.at("model") == model && j.at("prediction").is_string()) {
      out[j.at("sample_id").get<std::string>()] = j.at("prediction").get<std::string>();
    }
  }
  return out;
}

inline void write_answers(const std::filesystem::path& path,
                          const std::map<std::string, std::string>& answers) {
  std::string text;
  for (const auto& [id, prediction] : answers)
    text += nlohmann::json{{"id", id}, {"prediction", prediction}}.dump() + "\n";
  write_text(path, text);
}

/// Model output that would run script if a report inserted it as HTML: each payload sets a marker
/// the browser test looks for (a data-xss attribute or the document title).
/// A copy of a quickstart task config in `dir` with `change` applied; its relative paths are made
/// absolute so the copy reads the same data.
inline std::filesystem::path task_copy(const std::filesystem::path& task,
                                       const std::filesystem::path& dir,
                                       const std::function<void(nlohmann::json&)>& change) {
  auto config = nlohmann::json::parse(read_text(task), nullptr, true, /*ignore_comments=*/true);
  const auto base = task.parent_path();
  for (auto* member :
       {&config["prepare"]["path"], &config["dataset"]["path"], &config["calibration"]["path"]}) {
    *member = (base / member->get<std::string>()).lexically_normal().string();
  }
  change(config);
  const auto path = dir / task.filename();
  write_text(path, config.dump(2));
  return path;
}

/// How many times `needle` occurs in `text` (overlaps counted).
inline std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

inline const std::vector<std::string> kXssPayloads = {
    "<script>document.documentElement.setAttribute('data-xss','script')</script>",
    "<img src=x onerror=\"document.documentElement.setAttribute('data-xss','img')\">",
    "</td></tr></table><h1 id=\"xss-injected\">injected</h1>",
    "<a href=\"javascript:document.title='XSS-link'\">javascript link</a>",
};

/// Runs the quickstart suite with one model, "hostile", whose every answer is an XSS payload.
inline void run_hostile(const std::filesystem::path& dir, const std::filesystem::path& out) {
  const auto oracle_dir = dir / "oracle-for-ids";
  run_config(write_run_config(dir, "ids", {{{"name", "oracle"}, {"backend", "oracle"}}}),
             oracle_dir);
  std::map<std::string, std::string> answers;
  std::size_t i = 0;
  for (const auto& [id, _] : logged_answers(oracle_dir, "oracle"))
    answers[id] = kXssPayloads[i++ % kXssPayloads.size()];
  write_answers(dir / "hostile.jsonl", answers);
  run_config(
      write_run_config(dir, "hostile",
                       nlohmann::json::array({replay_model("hostile", dir / "hostile.jsonl")})),
      out);
}

/// The title given to reports in these tests: itself a payload.
inline const std::string kHostileTitle =
    "quickstart <script>document.documentElement.setAttribute('data-xss','title')</script>";

}  // namespace lmmbench::testing
