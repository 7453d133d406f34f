#include "e2e_support.hpp"

#include <iostream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace lmmbench::testing {

std::filesystem::path write_medium_suite(const std::filesystem::path& dir, double latency_ms,
                                         double jitter_ms, int concurrency) {
  // Image paths in a dataset are relative to its root (absolute ones are refused), so the suite
  // gets its own copy of the three fixture images.
  const auto images = kSource / "tests/fixtures/tiny_vqa/images";
  const char* colours[] = {"red", "blue", "green"};
  std::filesystem::create_directories(dir / "images");
  for (const char* colour : colours) {
    const std::string name = std::string(colour) + ".png";
    std::filesystem::copy_file(images / name, dir / "images" / name,
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::string open_lines;
  std::string mc_lines;
  std::string calibration;
  for (int i = 0; i < 240; ++i) {
    const std::string colour = colours[i % 3];
    const std::string image = "images/" + colour + ".png";
    nlohmann::json item{{"id", "q" + std::to_string(i)},
                        {"images", {image}},
                        {"meta", {{"question_type", i % 2 ? "what color is the" : "is the"}}}};
    if (i % 2) {
      item["question"] = "What color is the image?";
      item["answers"] = nlohmann::json::array();
      for (int k = 0; k < 10; ++k)
        item["answers"].push_back(k < 8 ? colour : "dark " + colour);
      item["category"] = "colour";
    } else {
      const bool yes = (i / 2) % 3 == 0;
      item["question"] = std::string("Is the image ") + (yes ? colour : "purple") + "?";
      item["answers"] = nlohmann::json::array();
      for (int k = 0; k < 10; ++k)
        item["answers"].push_back(yes ? "yes" : "no");
      item["category"] = "yes/no";
    }
    open_lines += item.dump() + "\n";
    if (i < 24) calibration += item.dump() + "\n";
    nlohmann::json mc{
        {"id", "m" + std::to_string(i)},        {"images", {image}},
        {"question", "Which colour is shown?"}, {"options", {"red", "blue", "green", "purple"}},
        {"answers", nlohmann::json::array()},   {"category", "which colour"}};
    for (int k = 0; k < 10; ++k)
      mc["answers"].push_back(std::string(1, static_cast<char>('A' + i % 3)));
    if (i < 120) mc_lines += mc.dump() + "\n";
  }
  write_text(dir / "open.jsonl", open_lines);
  write_text(dir / "mc.jsonl", mc_lines);
  write_text(dir / "calibration.jsonl", calibration);
  const nlohmann::json latency{{"latency_ms", latency_ms}, {"latency_jitter_ms", jitter_ms}};
  auto with = [&](nlohmann::json options) {
    for (const auto& [k, v] : latency.items())
      options[k] = v;
    return options;
  };
  const nlohmann::json run{
      {"name", "medium"},
      {"output_dir", "runs"},
      {"concurrency", concurrency},
      {"seed", 11},
      {"models",
       {{{"name", "oracle"}, {"backend", "oracle"}, {"options", with(nlohmann::json::object())}},
        {{"name", "prior"}, {"backend", "prior"}, {"options", with(nlohmann::json::object())}},
        {{"name", "yes"}, {"backend", "constant"}, {"options", with({{"answer", "yes"}})}},
        {{"name", "chance"},
         {"backend", "random-choice"},
         {"options", with(nlohmann::json::object())}}}},
      {"tasks",
       {{{"name", "open"},
         {"dataset", {{"format", "lmmbench-jsonl"}, {"path", "open.jsonl"}}},
         {"calibration", {{"format", "lmmbench-jsonl"}, {"path", "calibration.jsonl"}}},
         {"prompt",
          {{"template", "{question}\nAnswer the question using a single word or phrase."}}},
         {"metrics", {"exact_match"}}},
        {{"name", "mc"},
         {"dataset", {{"format", "lmmbench-jsonl"}, {"path", "mc.jsonl"}}},
         {"calibration", {{"format", "lmmbench-jsonl"}, {"path", "mc.jsonl"}}},
         {"prompt",
          {{"template",
            "{question}\n{options}\nAnswer with the option's letter from the given choices "
            "directly."}}},
         {"metrics", {"multiple_choice"}}}}}};
  const auto path = dir / "medium.run.json";
  write_text(path, run.dump(2));
  return path;
}

std::map<std::string, nlohmann::json> cell_summaries(const std::filesystem::path& run_dir) {
  const auto record = nlohmann::json::parse(read_text(run_dir / "run.json"));
  std::map<std::string, nlohmann::json> out;
  for (const auto& cell : record.at("cells")) {
    nlohmann::json s{{"outcome", cell.at("outcome")}};
    if (!cell.at("scores").empty()) {
      const auto& h = cell.at("scores").at(0);
      s["score"] = h.at("score");
      s["n"] = h.at("n");
      s["n_unparsed"] = h.at("n_unparsed");
      s["n_missing"] = h.at("n_missing");
    }
    s["total"] = cell.at("counts").at("total");
    s["ok"] = cell.at("counts").at("ok");
    s["error"] = cell.at("counts").at("error");
    out[cell.at("model").get<std::string>() + "/" + cell.at("task").get<std::string>()] = s;
  }
  return out;
}

void validate_run_record(const std::filesystem::path& record) {
  const auto r =
      run_process({LMMBENCH_PYTHON, LMMBENCH_SCHEMA_VALIDATOR,
                   (kSource / "reports/schema/run.schema.json").string(), record.string()});
  if (r.exit_code == 77) {
    static bool noted = false;
    if (!noted) std::cerr << "note: run records not validated: " << r.out;
    noted = true;
    return;
  }
  EXPECT_EQ(r.exit_code, 0) << record.string()
                            << " does not match reports/schema/run.schema.json:\n"
                            << r.out << r.err;
}

ProcessResult lmmbench(std::vector<std::string> args, const std::filesystem::path& cwd) {
  const bool is_run = !args.empty() && args.front() == "run";
  args.insert(args.begin(), kBinary.string());
  auto result = run_process(args, cwd);
  // Every record a test run writes must match the published schema.
  const std::string marker = "Results: ";
  if (const auto at = result.out.rfind(marker); is_run && at != std::string::npos) {
    std::filesystem::path record(
        result.out.substr(at + marker.size(), result.out.find('\n', at) - at - marker.size()));
    if (record.is_relative() && !cwd.empty()) record = cwd / record;
    if (std::filesystem::exists(record)) validate_run_record(record);
  }
  return result;
}

nlohmann::json synthetic_suite_tasks(const std::vector<std::string>& open_metrics) {
  const nlohmann::json prepare{{"generator", "synthetic-vqa"},
                               {"path", "data"},
                               {"seed", 7},
                               {"open_items", 60},
                               {"mc_items", 30},
                               {"open_calibration_items", 0},
                               {"mc_calibration_items", 0}};
  return {
      {{"name", "open"},
       {"prepare", prepare},
       {"dataset", {{"format", "lmmbench-jsonl"}, {"path", "data/open.jsonl"}}},
       {"prompt", {{"template", "{question}\nAnswer the question using a single word or phrase."}}},
       {"generation", {{"max_tokens", 16}, {"temperature", 0}}},
       {"metrics", open_metrics}},
      {{"name", "mc"},
       {"prepare", prepare},
       {"dataset", {{"format", "lmmbench-jsonl"}, {"path", "data/mc.jsonl"}}},
       {"prompt",
        {{"template",
          "{question}\n{options}\nAnswer with the option's letter from the given choices "
          "directly."}}},
       {"generation", {{"max_tokens", 16}, {"temperature", 0}}},
       {"metrics", {"multiple_choice"}}}};
}

const nlohmann::json& find_cell(const nlohmann::json& record, std::string_view model,
                                std::string_view task) {
  for (const auto& c : record.at("cells")) {
    if ((model.empty() || c.at("model") == model) && (task.empty() || c.at("task") == task))
      return c;
  }
  throw std::runtime_error("no cell " + std::string(model) + " x " + std::string(task));
}

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  if (!std::filesystem::exists(path)) return out;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace lmmbench::testing
