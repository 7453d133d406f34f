#include "harness/config.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/resource_paths.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"

namespace lmmbench::harness {

namespace {

/// A config entry that is either a path to a JSON file (relative to the naming file), the name of
/// a shipped config (<subdir>/NAME.json in the config search path, core/resource_paths.hpp; a
/// file of that name beside the naming file wins), or an inline object.
ConfigNode resolve_entry(const ConfigNode& entry, const std::string& subdir) {
  if (entry.is_string()) {
    auto path = entry.as_path();
    const std::string text = entry.as_string();
    if (text.find_first_of("/$") == std::string::npos && !std::filesystem::exists(path)) {
      try {
        path = resolve_config_file(text, subdir);
      } catch (const InputError& e) {
        entry.fail(e.detail());
      }
    }
    if (!std::filesystem::is_regular_file(path))
      entry.fail("config file not found: " + path.string());
    return ConfigNode(JsonSource::from_file(path));
  }
  if (!entry.is_object()) entry.fail("expected a config file path or an inline object");
  return entry;
}

std::string checked_name(ObjectReader& reader) {
  const ConfigNode node = reader.required("name");
  std::string name = node.as_string();
  if (name.empty()) node.fail("name must not be empty");
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok)
      node.fail(fmt::format("name '{}' may only contain letters, digits, '-', '_' and '.'", name));
  }
  return name;
}

DatasetConfig load_dataset(const ConfigNode& node) {
  ObjectReader reader(node);
  DatasetConfig d;
  d.format = reader.required_string("format");
  d.node = node;
  d.source = reader.get_string("source", "");
  return d;
}

SubmissionConfig load_submission(const ConfigNode& node) {
  ObjectReader reader(node);
  SubmissionConfig s;
  const ConfigNode format = reader.required("format");
  s.format = format.as_string();
  const std::vector<std::string> formats = {"vqav2-evalai", "vizwiz-evalai", "mmbench-xlsx"};
  if (std::find(formats.begin(), formats.end(), s.format) == formats.end()) {
    format.fail(fmt::format("unknown submission format '{}'{}; known: {}", s.format,
                            did_you_mean(s.format, formats), join(formats, ", ")));
  }
  reader.finish();
  return s;
}

models::GenerationParams load_generation(const ConfigNode& node) {
  ObjectReader reader(node);
  models::GenerationParams p;
  p.max_tokens = reader.get_int("max_tokens", p.max_tokens, 1, 1'000'000);
  p.temperature = reader.get_number("temperature", p.temperature);
  if (p.temperature < 0) reader.required("temperature").fail("temperature must be >= 0");
  p.top_p = reader.get_number("top_p", p.top_p);
  if (p.top_p <= 0 || p.top_p > 1) reader.required("top_p").fail("top_p must be in (0, 1]");
  p.stop = reader.get_string_list("stop");
  if (const auto seed = reader.find("seed")) p.seed = static_cast<std::uint64_t>(seed->as_int(0));
  reader.finish();
  return p;
}

PromptConfig load_prompt(const ConfigNode& node) {
  ObjectReader reader(node);
  PromptConfig p;
  if (const auto t = reader.find("template")) {
    p.template_text = t->as_string();
    validate_template(p.template_text, *t);
  }
  p.system = reader.get_string("system", "");
  if (const auto placement = reader.find("image_placement")) {
    const std::string v = placement->as_string();
    if (v == "before") {
      p.image_placement = PromptConfig::ImagePlacement::before;
    } else if (v == "after") {
      p.image_placement = PromptConfig::ImagePlacement::after;
    } else if (v == "none") {
      p.image_placement = PromptConfig::ImagePlacement::none;
    } else {
      const std::vector<std::string> valid = {"before", "after", "none"};
      placement->fail(fmt::format("image_placement must be before, after or none, not '{}'{}", v,
                                  did_you_mean(v, valid)));
    }
  }
  reader.finish();
  return p;
}

/// A share of samples in [0, 1].
double load_error_rate(const ConfigNode& node) {
  const double rate = node.as_number();
  if (!(rate >= 0.0 && rate <= 1.0)) {
    node.fail(
        fmt::format("max_error_rate must be a share of the samples between 0 and 1 (0.05 = "
                    "5 %), not {}",
                    node.json().dump()));
  }
  return rate;
}

MetricConfig load_metric(const ConfigNode& node) {
  if (node.is_string()) return MetricConfig{node.as_string(), "", std::nullopt, node.location()};
  ObjectReader reader(node);
  MetricConfig m;
  m.where = node.location();
  m.name = reader.required_string("name");
  m.variant = reader.get_string("variant", "");
  m.options = reader.find("options");
  reader.finish();
  return m;
}

JudgeConfig load_judge(const ConfigNode& node) {
  ObjectReader reader(node);
  JudgeConfig j;
  j.where = node.location();
  const ConfigNode parser = reader.required("parser");
  j.parser = parser.as_string();
  static const std::vector<std::string> kParsers = {"llava_bench", "mmvet", "mathvista",
                                                    "hallusionbench"};
  if (std::find(kParsers.begin(), kParsers.end(), j.parser) == kParsers.end()) {
    parser.fail(fmt::format("unknown judge parser '{}'; known: {}{}", j.parser,
                            fmt::join(kParsers, ", "), did_you_mean(j.parser, kParsers)));
  }
  if (const auto model = reader.find("model")) j.model = load_model_config(*model);
  j.prompt = reader.required("prompt").as_path();
  j.system = reader.get_string("system", "");
  j.runs = static_cast<std::size_t>(reader.get_int("runs", 1, 1, 100));
  if (const auto generation = reader.find("generation"))
    j.generation = load_generation(*generation);
  reader.finish();
  return j;
}

}  // namespace

void validate_template(const std::string& text, const ConfigNode& where) {
  static const std::vector<std::string> kNames = {"question", "options", "category"};
  auto known = [](const std::string& name) {
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end() ||
           (name.starts_with("meta.") && name.size() > 5);
  };
  std::size_t open_sections = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      if (i + 1 < text.size() && text[i + 1] == '{') {
        ++i;
        continue;
      }
      const auto close = text.find('}', i);
      if (close == std::string::npos) where.fail("unclosed '{' in prompt template");
      const std::string name = text.substr(i + 1, close - i - 1);
      if (name.starts_with("if ")) {
        // "{if !NAME}" keeps its section when NAME is empty, "{if NAME=VALUE}" when it equals
        // VALUE.
        std::string condition = name.substr(name.starts_with("if !") ? 4 : 3);
        condition = condition.substr(0, condition.find('='));
        if (!known(condition)) {
          where.fail(fmt::format("unknown placeholder in {{{}}} in prompt template{}", name,
                                 did_you_mean(condition, kNames)));
        }
        ++open_sections;
      } else if (name == "end") {
        if (open_sections == 0) where.fail("{end} without an {if ...} in prompt template");
        --open_sections;
      } else if (!known(name)) {
        where.fail(
            fmt::format("unknown placeholder {{{}}} in prompt template; known: {{question}}, "
                        "{{options}}, {{category}}, {{meta.KEY}}, {{if NAME}}...{{end}}, {{if "
                        "!NAME}}...{{end}}{}",
                        name, did_you_mean(name, kNames)));
      }
      i = close;
    } else if (text[i] == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        ++i;
        continue;
      }
      where.fail("unmatched '}' in prompt template (write '}}' for a literal brace)");
    }
  }
  if (open_sections > 0) where.fail("{if ...} without {end} in prompt template");
}

ModelConfig load_model_config(const ConfigNode& entry) {
  const ConfigNode node = resolve_entry(entry, "models");
  ObjectReader reader(node);
  ModelConfig m;
  m.where = reader.required("name").location();
  m.name = checked_name(reader);
  m.description = reader.get_string("description", "");
  m.backend = reader.required_string("backend");
  m.options = reader.find("options");
  if (m.options && !m.options->is_object()) m.options->fail("expected an object");
  if (const auto retry = reader.find("retry")) m.retry = load_retry_config(*retry);
  reader.finish();
  m.resolved = node.json();
  return m;
}

TaskConfig load_task_config(const ConfigNode& entry) {
  const ConfigNode node = resolve_entry(entry, "tasks");
  ObjectReader reader(node);
  TaskConfig t;
  t.where = reader.required("name").location();
  t.name = checked_name(reader);
  t.description = reader.get_string("description", "");
  if (const auto prepare = reader.find("prepare")) {
    ObjectReader p(*prepare);
    t.prepare = PrepareConfig{p.required_string("generator"), *prepare};
  }
  t.dataset = load_dataset(reader.required("dataset"));
  if (const auto calibration = reader.find("calibration"))
    t.calibration = load_dataset(*calibration);
  if (const auto submission = reader.find("submission"))
    t.submission = load_submission(*submission);
  if (const auto prompt = reader.find("prompt")) t.prompt = load_prompt(*prompt);
  if (const auto generation = reader.find("generation"))
    t.generation = load_generation(*generation);
  const ConfigNode metrics = reader.required("metrics");
  for (const auto& m : metrics.elements())
    t.metrics.push_back(load_metric(m));
  if (const auto rate = reader.find("max_error_rate")) t.max_error_rate = load_error_rate(*rate);
  if (const auto judge = reader.find("judge")) t.judge = load_judge(*judge);
  // A split scored only by a remote server (VQAv2 test-dev, MMBench test) has no gold answers:
  // such a task writes its submission file and has no metric.
  if (t.metrics.empty() && !t.submission) {
    metrics.fail(
        "a task needs at least one metric (or a \"submission\" for a server-scored split)");
  }
  reader.finish();
  t.resolved = node.json();
  return t;
}

double error_budget(const RunConfig& run, const TaskConfig& task) {
  return task.max_error_rate.value_or(run.max_error_rate);
}

RunConfig load_run_config(const std::filesystem::path& path) {
  const auto source = JsonSource::from_file(path);
  ObjectReader reader{ConfigNode(source)};
  RunConfig run;
  run.path = path;
  run.name = checked_name(reader);
  run.output_dir = reader.required("output_dir").as_path();
  run.concurrency = static_cast<std::size_t>(reader.get_int("concurrency", 1, 1, 4096));
  run.seed = static_cast<std::uint64_t>(reader.get_int("seed", 0, 0));
  if (const auto rate = reader.find("max_error_rate")) run.max_error_rate = load_error_rate(*rate);
  if (const auto prices = reader.find("prices")) run.prices = prices->as_path();
  if (const auto judge = reader.find("judge")) run.judge = load_model_config(*judge);

  std::set<std::string, std::less<>> names;
  const ConfigNode models = reader.required("models");
  for (const auto& entry : models.elements()) {
    auto m = load_model_config(entry);
    if (!names.insert(m.name).second) {
      throw InputError(m.where, fmt::format("duplicate model name '{}'", m.name));
    }
    run.models.push_back(std::move(m));
  }
  if (run.models.empty()) models.fail("a run needs at least one model");
  names.clear();
  const ConfigNode tasks = reader.required("tasks");
  for (const auto& entry : tasks.elements()) {
    auto t = load_task_config(entry);
    if (!names.insert(t.name).second) {
      throw InputError(t.where, fmt::format("duplicate task name '{}'", t.name));
    }
    run.tasks.push_back(std::move(t));
  }
  if (run.tasks.empty()) tasks.fail("a run needs at least one task");
  reader.finish();

  run.resolved = source->root();
  run.resolved["models"] = nlohmann::json::array();
  for (const auto& m : run.models)
    run.resolved["models"].push_back(m.resolved);
  run.resolved["tasks"] = nlohmann::json::array();
  for (const auto& t : run.tasks)
    run.resolved["tasks"].push_back(t.resolved);
  run.sha256 = sha256_hex(run.resolved.dump());
  return run;
}

}  // namespace lmmbench::harness
