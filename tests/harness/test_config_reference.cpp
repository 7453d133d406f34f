// docs/configs.md against the keys the config readers accept. The readers record every key they
// ask for (core's KeyRecorder); this test feeds them every shipped config and a maximal config of
// each kind (every optional object present, every backend created), then checks that each key
// accepted is documented and that each key documented is accepted. A new key in a reader needs
// only its row in docs/configs.md.
//
// The document marks each table with an HTML comment naming the configs its rows belong to:
//   <!-- keys: run -->, <!-- keys: task -->, <!-- keys: model -->,
//   <!-- keys: backend openai gemini anthropic --> (options of these backends)
// and each row starts with the key in backticks: | `prompt.system` | ... Nested keys are dotted;
// an array's elements are "[]" ("metrics[].name").
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/json_source.hpp"
#include "core/key_recorder.hpp"
#include "core/text.hpp"
#include "harness/config.hpp"
#include "harness/registry.hpp"

namespace lmmbench::harness {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = LMMBENCH_SOURCE_DIR;

/// Scope ("run", "task", "model", "backend NAME") -> keys.
using Keys = std::map<std::string, std::set<std::string>>;

/// "/metrics/0/name" -> "metrics[].name".
std::string dotted(const std::string& pointer) {
  std::string out;
  for (const auto& token : split(pointer.substr(1), '/')) {
    if (!token.empty() && token.find_first_not_of("0123456789") == std::string::npos) {
      out += "[]";
    } else {
      out += (out.empty() ? "" : ".") + token;
    }
  }
  return out;
}

/// The keys `recorder` saw in document `name`, dotted.
std::vector<std::string> keys_of(const KeyRecorder& recorder, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [document, pointer] : recorder.keys()) {
    if (document == name) out.push_back(dotted(pointer));
  }
  return out;
}

std::vector<fs::path> shipped(const std::string& subdir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSource / "configs" / subdir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  return files;
}

/// Keys of a model config file or text: its own, and its options as its backend's.
void add_model(Keys& keys, const std::shared_ptr<const JsonSource>& source) {
  KeyRecorder recorder;
  const ModelConfig model = load_model_config(ConfigNode(source));
  const Clock clock;
  try {
    (void)Registry::builtin().create_backend(model, models::BackendContext{clock, 1});
  } catch (const InputError& e) {
    // Only a data file the backend reads after its options (a replay file) may fail here.
    ADD_FAILURE_AT(source->name().c_str(), 0) << e.what();
  }
  for (const auto& key : keys_of(recorder, source->name())) {
    if (key.starts_with("options.")) {
      keys["backend " + model.backend].insert(key.substr(8));
    } else {
      keys["model"].insert(key);
    }
  }
}

void add_task(Keys& keys, const std::shared_ptr<const JsonSource>& source) {
  KeyRecorder recorder;
  (void)load_task_config(ConfigNode(source));
  for (const auto& key : keys_of(recorder, source->name()))
    keys["task"].insert(key);
}

/// Run config keys; entries written inline count as model and task keys.
void add_run(Keys& keys, const fs::path& path) {
  KeyRecorder recorder;
  (void)load_run_config(path);
  for (const auto& key : keys_of(recorder, path.string())) {
    if (key.starts_with("models[].")) {
      keys["model"].insert(key.substr(9));
    } else if (key.starts_with("tasks[].")) {
      keys["task"].insert(key.substr(8));
    } else {
      keys["run"].insert(key);
    }
  }
}

std::shared_ptr<const JsonSource> text(const std::string& name, const std::string& json) {
  return JsonSource::from_text(json, name, kSource / "configs" / "models");
}

/// Every key the readers accept.
Keys accepted() {
  Keys keys;
  // Shipped API model configs (the judges') name their key's variable, which must be set for them
  // to load; a value here never reaches a server.
  ::setenv("OPENAI_API_KEY", "config-reference-test", 0);
  for (const auto& file : shipped("tasks"))
    add_task(keys, JsonSource::from_file(file));
  for (const auto& file : shipped("models"))
    add_model(keys, JsonSource::from_file(file));
  for (const auto& file : shipped("runs"))
    add_run(keys, file);

  add_task(keys, text("maximal-task.json", R"({
    "name": "t", "description": "d",
    "prepare": {"generator": "synthetic-vqa"},
    "dataset": {"format": "lmmbench-jsonl", "source": "s"},
    "calibration": {"format": "lmmbench-jsonl"},
    "submission": {"format": "vqav2-evalai"},
    "prompt": {}, "generation": {},
    "metrics": ["exact_match", {"name": "vqa"}]})"));

  ::setenv("LMMBENCH_CONFIG_REFERENCE_KEY", "not-a-key", 1);
  // Options that make a backend read the keys it reads only in some forms.
  const std::multimap<std::string, std::string> options = {
      {"constant", R"({"answer": "yes"})"},
      {"replay", R"({"path": "../../tests/fixtures/tiny_vqa/replay.jsonl"})"},
      {"replay",
       R"({"path": "../../tests/fixtures/formats/lmms_eval_samples_pope.jsonl",
           "format": "lmms-eval-samples"})"},
      {"openai",
       R"({"model": "m", "api_key_env": "LMMBENCH_CONFIG_REFERENCE_KEY",
           "azure": {"deployment": "d", "api_version": "v"}})"},
      {"gemini", R"({"model": "m"})"},
      {"anthropic", R"({"model": "m"})"},
      // The worker backend starts its worker: the fake one of the tests, every option given.
      {"worker", R"({"command": "python3", "args": [")" +
                     (kSource / "tests/servers/fake_worker.py").string() +
                     R"("], "env": {"LMMBENCH_CONFIG_REFERENCE": "1"}, "timeout_s": 60,
           "startup_timeout_s": 60, "shutdown_timeout_s": 5, "max_restarts": 1,
           "max_in_flight": 2, "max_line_bytes": 65536, "truncation": "error", "images": "path",
           "max_images": 1, "max_image_side": 512, "max_image_bytes": 1000000,
           "image_formats": ["png"]})"},
  };
  for (const auto& backend : Registry::builtin().backends()) {
    std::vector<std::string> forms;
    for (auto [it, end] = options.equal_range(backend.name); it != end; ++it)
      forms.push_back(it->second);
    if (forms.empty()) forms.emplace_back("{}");
    for (std::size_t i = 0; i < forms.size(); ++i) {
      add_model(keys, text("maximal-" + backend.name + "-" + std::to_string(i) + ".json",
                           R"({"name": "m", "description": "d", "backend": ")" + backend.name +
                               R"(", "retry": {}, "options": )" + forms[i] + "}"));
    }
  }

  const fs::path run = fs::temp_directory_path() / "lmmbench-config-reference-run.json";
  std::ofstream(run) << R"({"name": "r", "output_dir": "runs", "concurrency": 2, "seed": 1,
    "prices": "prices.json", "models": ["oracle"], "tasks": ["synthetic_open"]})";
  add_run(keys, run);
  fs::remove(run);
  return keys;
}

/// The keys docs/configs.md documents, by scope.
Keys documented() {
  std::ifstream in(kSource / "docs" / "configs.md");
  EXPECT_TRUE(in) << "docs/configs.md is missing";
  const std::regex marker(R"(^<!-- keys: (.+) -->\s*$)");
  const std::regex row(R"(^\| `([^`]+)` \|)");
  Keys keys;
  std::vector<std::string> scopes;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, marker)) {
      const auto words = split(m[1].str(), ' ');
      scopes.clear();
      if (words.front() == "backend") {
        for (std::size_t i = 1; i < words.size(); ++i)
          scopes.push_back("backend " + words[i]);
      } else {
        scopes = words;
      }
    } else if (line.starts_with("#")) {
      scopes.clear();  // a heading ends the keyed tables
    } else if (std::regex_search(line, m, row)) {
      for (const auto& scope : scopes)
        keys[scope].insert(m[1].str());
    }
  }
  return keys;
}

TEST(ConfigReference, EveryAcceptedKeyIsDocumentedAndEveryDocumentedKeyIsAccepted) {
  const Keys reader = accepted();
  const Keys doc = documented();
  for (const char* scope : {"run", "task", "model"}) {
    ASSERT_TRUE(reader.contains(scope)) << scope;
    ASSERT_TRUE(doc.contains(scope)) << "docs/configs.md has no <!-- keys: " << scope << " -->";
  }
  for (const auto& [scope, keys] : reader) {
    const auto it = doc.find(scope);
    for (const auto& key : keys) {
      EXPECT_TRUE(it != doc.end() && it->second.contains(key))
          << "docs/configs.md does not document `" << key << "` (" << scope << ")";
    }
  }
  const auto& backends = Registry::builtin().backends();
  for (const auto& [scope, keys] : doc) {
    if (scope.starts_with("backend ") &&
        std::none_of(backends.begin(), backends.end(),
                     [&](const auto& b) { return "backend " + b.name == scope; })) {
      continue;  // a backend this build leaves out (LMMBENCH_WITH_HTTP=OFF)
    }
    const auto it = reader.find(scope);
    for (const auto& key : keys) {
      EXPECT_TRUE(it != reader.end() && it->second.contains(key))
          << "docs/configs.md documents `" << key << "` (" << scope << "), which no reader accepts";
    }
  }
}

TEST(ConfigReference, TheRecorderSeesKeysAskedForEvenWhenAbsent) {
  const auto source = JsonSource::from_text(R"({"a": {"b": 1}, "list": [{"c": 2}]})", "x.json");
  KeyRecorder recorder;
  ObjectReader reader{ConfigNode(source)};
  (void)reader.get_int("not_present", 0);
  ObjectReader a(reader.required("a"));
  (void)a.get_int("b", 0);
  for (const auto& element : reader.required("list").elements())
    ObjectReader(element).allow({"c"});
  EXPECT_EQ(keys_of(recorder, "x.json"),
            (std::vector<std::string>{"a", "a.b", "list", "list[].c", "not_present"}));
}

}  // namespace
}  // namespace lmmbench::harness
