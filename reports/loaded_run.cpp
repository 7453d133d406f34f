#include "reports/loaded_run.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "core/jsonl.hpp"

namespace lmmbench::reports {

namespace {

std::vector<std::string> string_list(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_object() && v.contains("answer") && v["answer"].is_string()) {
      out.push_back(v["answer"].get<std::string>());  // VQA annotation objects
    } else {
      out.push_back(v.dump());
    }
  }
  return out;
}

std::string string_or_empty(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

LoadedRun load_run(const std::filesystem::path& path) {
  const auto file = std::filesystem::is_directory(path) ? path / "run.json" : path;
  if (!std::filesystem::exists(file)) {
    throw InputError(Location{file.string(), 0, ""},
                     "no run record here (expected a run directory holding run.json)");
  }
  LoadedRun run;
  run.dir = file.parent_path();
  nlohmann::json root = JsonSource::from_file(file)->root();
  try {
    // Migrated first, so that renderers of `raw` see the current names too.
    run.raw = migrate_run_record(std::move(root));
    run.record = run.raw.get<RunRecord>();
  } catch (const InputError& e) {
    throw InputError(Location{file.string(), 0, e.where().field}, e.detail());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(Location{file.string(), 0, ""},
                     fmt::format("not a valid run record: {}", e.what()));
  }
  const auto name = std::filesystem::weakly_canonical(run.dir).filename().string();
  run.label = name.empty() ? run.record.run_name : name;
  return run;
}

LoadedRun loaded_run(const std::filesystem::path& dir, const RunRecord& record) {
  LoadedRun run;
  run.dir = dir;
  run.record = record;
  run.raw = record;
  const auto name = std::filesystem::weakly_canonical(dir).filename().string();
  run.label = name.empty() ? record.run_name : name;
  return run;
}

std::vector<SampleRecord> read_sample_records(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw InputError(Location{path.string(), 0, ""}, "per-sample scores file not found");
  }
  std::vector<SampleRecord> out;
  for_each_jsonl_record(path, [&](const ConfigNode& node) {
    const auto& j = node.json();
    if (!j.is_object()) node.fail("expected a JSON object per line");
    SampleRecord r;
    const auto id = j.find("id");
    if (id == j.end() || !(id->is_string() || id->is_number_integer())) {
      node.fail("missing string field \"id\"");
    }
    r.id = id->is_string() ? id->get<std::string>() : id->dump();
    const auto score = j.find("score");
    if (score == j.end() || !score->is_number()) node.fail("missing numeric field \"score\"");
    r.score = score->get<double>();
    r.status = string_or_empty(j, "status");
    r.extracted = string_or_empty(j, "extracted");
    if (const auto p = j.find("prediction"); p != j.end() && p->is_string()) {
      r.prediction = p->get<std::string>();
    }
    r.error_kind = string_or_empty(j, "error_kind");
    r.question = string_or_empty(j, "question");
    r.category = string_or_empty(j, "category");
    if (const auto a = j.find("answers"); a != j.end()) r.answers = string_list(*a);
    if (const auto o = j.find("options"); o != j.end()) r.options = string_list(*o);
    // "judge": the exchanges of the judge stage, in order; a later one of a run replaces the
    // earlier (a re-ask after an unreadable reply).
    if (const auto judge = j.find("judge"); judge != j.end() && judge->is_array()) {
      std::size_t last_run = 0;
      for (const auto& exchange : *judge) {
        if (!exchange.is_object() || !exchange.value("reply", nlohmann::json()).is_string()) {
          continue;
        }
        const auto run = exchange.value("run", std::size_t{0});
        auto reply = exchange["reply"].get<std::string>();
        if (!r.judge_replies.empty() && run == last_run) {
          r.judge_replies.back() = std::move(reply);
        } else {
          r.judge_replies.push_back(std::move(reply));
        }
        last_run = run;
      }
    }
    if (const auto i = j.find("images"); i != j.end() && i->is_array()) {
      for (const auto& image : *i) {
        if (image.is_string()) {
          r.images.push_back(ImageSource{image.get<std::string>(), 0, 0});
        } else if (image.is_object() && image.value("path", nlohmann::json()).is_string()) {
          r.images.push_back(ImageSource{image["path"].get<std::string>(),
                                         image.value("base64_offset", std::uint64_t{0}),
                                         image.value("base64_length", std::uint64_t{0})});
        }
      }
    }
    out.push_back(std::move(r));
  });
  return out;
}

std::optional<std::filesystem::path> sample_file(const LoadedRun& run, const Cell& cell) {
  if (cell.scores_file.empty()) return std::nullopt;
  const std::filesystem::path relative(cell.scores_file);
  return relative.is_absolute() ? relative : run.dir / relative;
}

const nlohmann::json* task_config(const RunRecord& record, const std::string& task) {
  const auto tasks = record.resolved_config.find("tasks");
  if (tasks == record.resolved_config.end() || !tasks->is_array()) return nullptr;
  for (const auto& t : *tasks) {
    if (t.is_object() && t.value("name", "") == task) return &t;
  }
  return nullptr;
}

}  // namespace lmmbench::reports
