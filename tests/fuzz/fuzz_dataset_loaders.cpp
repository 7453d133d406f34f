// Every dataset loader on the same bytes: the input is written where each format expects its
// file (a JSON or JSONL file, a TSV, an MME question or result file), and each registered loader
// loads it with images off. Only InputError may escape.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_source.hpp"
#include "datasets/loader.hpp"
#include "fuzz_support.hpp"
#include "harness/config.hpp"
#include "harness/registry.hpp"

namespace {

/// The options that point each format at the input; every format must be listed (a new loader
/// without an entry aborts, so the target keeps covering all of them).
nlohmann::json options_for(const std::string& format, const std::filesystem::path& dir) {
  const std::string input = (dir / "input").string();
  if (format == "vqa-official") return {{"questions", input}, {"annotations", input}};
  if (format == "pope") return {{"path", input}, {"split", "random"}};
  if (format == "chartqa") return {{"path", input}, {"split", "human"}};
  if (format == "mme") return {{"root", (dir / "mme").string()}, {"subtasks", {"existence"}}};
  if (format == "mme-results") return {{"path", (dir / "results").string()}};
  if (format == "llava-bench") return {{"root", (dir / "llava-bench").string()}};
  if (format == "scienceqa") return {{"problems", input}, {"pid_splits", input}};
  if (format == "generic-jsonl") {
    return {{"path", input},
            {"fields",
             {{"id", "id"},
              {"question", "q"},
              {"options", "o"},
              {"answer_index", "k"},
              {"category", "c"},
              {"meta", {{"x", "m.x"}}}}}};
  }
  if (format == "hf-parquet") {
    return {{"path", input},
            {"image_cache", (dir / "images").string()},
            {"fields",
             {{"id", "id"},
              {"question", "q"},
              {"options", {"A", "B"}},
              {"answers", "a"},
              {"images", "image"},
              {"meta", {{"x", "m"}}}}}};
  }
  for (const char* plain : {"lmmbench-jsonl", "llava-questions", "vizwiz", "textvqa", "gqa",
                            "llava-sqa", "seed-bench", "docvqa", "vlmevalkit-tsv", "mmvet"}) {
    if (format == plain) return {{"path", input}};
  }
  std::abort();
}

/// One loader per registered format, made once: the options are fixed, so a loader that cannot
/// be made is a broken target (abort), not a finding.
const std::vector<std::unique_ptr<lmmbench::datasets::Loader>>& loaders() {
  static const auto all = [] {
    const auto& dir = lmmbench::fuzz::scratch_dir();
    const auto& registry = lmmbench::harness::Registry::builtin();
    std::vector<std::unique_ptr<lmmbench::datasets::Loader>> out;
    for (const auto& entry : registry.loaders()) {
      nlohmann::json config = options_for(entry.name, dir);
      config["format"] = entry.name;
      // mme-results and hf-parquet (images inside the input) read their images too.
      if (entry.name != "mme-results" && entry.name != "hf-parquet") config["load_images"] = false;
      const auto source = lmmbench::JsonSource::from_value(config, "fuzz-task.json", 1);
      try {
        out.push_back(registry.create_loader(
            lmmbench::harness::DatasetConfig{entry.name, lmmbench::ConfigNode(source), ""}));
      } catch (const lmmbench::InputError& e) {
        std::fprintf(stderr, "cannot make the %s loader: %s\n", entry.name.c_str(), e.what());
        std::abort();
      }
    }
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using lmmbench::fuzz::write_file;
  const auto text = lmmbench::fuzz::text_of(data, size);
  const auto& dir = lmmbench::fuzz::scratch_dir();
  write_file(dir / "input", text);
  write_file(dir / "mme/existence/a.txt", text);
  write_file(dir / "results/existence.txt", text);
  for (const char* name : {"questions.jsonl", "context.jsonl", "answers_gpt4.jsonl"})
    write_file(dir / "llava-bench" / name, text);
  for (const auto& loader : loaders()) {
    try {
      (void)loader->load();
    } catch (const lmmbench::InputError&) {
    }
  }
  return 0;
}
