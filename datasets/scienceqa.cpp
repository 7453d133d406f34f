#include "datasets/scienceqa.hpp"

#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/text.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

namespace {

std::string letter(std::size_t index) {
  return std::string(1, option_letter(index));
}

}  // namespace

Dataset ScienceQaLoader::load() const {
  require_file(options_.problems, "ScienceQA problems.json");
  require_file(options_.pid_splits, "ScienceQA pid_splits.json");
  Dataset dataset;
  dataset.name = "scienceqa-" + options_.split;
  dataset.root = options_.problems.parent_path();
  dataset.files = {options_.problems, options_.pid_splits};

  const ConfigNode splits = read_json_file(options_.pid_splits, "ScienceQA pid_splits.json");
  const ConfigNode split = ObjectReader(splits).required(options_.split);
  std::vector<std::string> order;
  std::unordered_map<std::string, std::size_t> position;
  for (const auto& pid : split.elements()) {
    order.push_back(id_text(pid));
    if (!position.emplace(order.back(), order.size() - 1).second) {
      pid.fail("pid " + order.back() + " is listed twice");
    }
  }

  std::vector<std::optional<Sample>> by_position(order.size());
  const ImageAttacher images(options_.images);
  for_each_json_record(
      options_.problems, "", [&](const ConfigNode& record, const std::string& pid) {
        const auto at = position.find(pid);
        if (at == position.end()) return;  // another split
        ObjectReader fields(record);
        Sample sample;
        sample.id = pid;
        sample.question = fields.required_string("question");
        const ConfigNode choices = fields.required("choices");
        sample.options = choices.as_string_list();
        if (sample.options.empty() || sample.options.size() > 5) {
          choices.fail(fmt::format("expected 1 to 5 choices, found {}", sample.options.size()));
        }
        const ConfigNode answer = fields.required("answer");
        const auto index = answer.as_int(0, static_cast<std::int64_t>(sample.options.size()) - 1);
        sample.references = {letter(static_cast<std::size_t>(index))};
        sample.category = fields.get_string("subject", "");
        sample.meta["question_id"] = pid;
        sample.meta["hint"] = fields.get_string("hint", "");
        for (const char* key : {"grade", "topic", "skill"})
          sample.meta[key] = fields.get_string(key, "");
        const auto image = fields.find("image");
        sample.meta["image"] = image.has_value();
        if (image) {
          const std::string name = pid + "/" + image->as_string();
          sample.meta["image_file"] = name;
          images.attach(sample, name, image->location(), dataset.files);
        }
        if (by_position[at->second]) record.fail("problem " + pid + " appears twice");
        by_position[at->second] = std::move(sample);
      });
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (!by_position[i]) {
      throw InputError(Location{options_.pid_splits.string(), 0, "/" + options_.split},
                       fmt::format("pid {} of split '{}' is not in {}", order[i], options_.split,
                                   options_.problems.string()));
    }
    if (options_.image_only && !by_position[i]->meta.at("image").get<bool>()) continue;
    dataset.samples.push_back(std::move(*by_position[i]));
  }
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> ScienceQaLoader::create(ObjectReader& options) {
  Options o;
  o.problems = options.required("problems").as_path();
  o.pid_splits = options.required("pid_splits").as_path();
  o.split = options.get_string("split", "test");
  o.image_only = options.get_bool("image_only", false);
  o.images = read_image_options(options, o.problems.parent_path() / "images" / o.split);
  options.finish();
  return std::make_unique<ScienceQaLoader>(std::move(o));
}

std::vector<std::string> llava_prompt_options(std::string_view prompt) {
  const auto lines = split(prompt, '\n');
  std::size_t start = lines.size();
  for (std::size_t i = lines.size(); i-- > 0;) {
    if (lines[i].starts_with("A. ")) {
      start = i;
      break;
    }
  }
  std::vector<std::string> options;
  for (std::size_t i = start; i < lines.size(); ++i) {
    const std::string next = letter(options.size()) + ". ";
    if (lines[i].starts_with(next)) {
      options.push_back(lines[i].substr(next.size()));
    } else {
      options.back() += "\n" + lines[i];
    }
  }
  return options;
}

Dataset LlavaSqaLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "LLaVA ScienceQA question file");
  const ImageAttacher images(options_.images);
  IdSet ids;
  for_each_json_record(options_.path, "", [&](const ConfigNode& record, const std::string&) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode id = fields.required("id");
    sample.id = id_text(id);
    ids.insert(sample.id, id);
    const auto image = fields.find("image");
    if (options_.image_only && !image) return;
    const auto turns = fields.required("conversations").elements();
    if (turns.size() < 2) record.fail("expected a human and a gpt turn in /conversations");
    std::string text = ObjectReader(turns[0]).required_string("value");
    for (auto at = text.find("<image>"); at != std::string::npos; at = text.find("<image>", at))
      text.erase(at, 7);
    sample.question = std::string(trim(text));
    sample.options = llava_prompt_options(sample.question);
    if (sample.options.empty()) turns[0].fail("no options (lines \"A. ...\") in the question");
    const ConfigNode gold = ObjectReader(turns[1]).required("value");
    const std::string answer = gold.as_string();
    if (answer.size() != 1 || answer[0] < 'A' ||
        static_cast<std::size_t>(answer[0] - 'A') >= sample.options.size()) {
      gold.fail(fmt::format("expected the letter of one of the {} options, got '{}'",
                            sample.options.size(), answer));
    }
    sample.references = {answer};
    sample.meta["question_id"] = sample.id;
    sample.meta["image"] = image.has_value();
    if (image) {
      sample.meta["image_file"] = image->as_string();
      images.attach(sample, image->as_string(), image->location(), dataset.files);
    }
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> LlavaSqaLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  o.image_only = options.get_bool("image_only", false);
  o.images = read_image_options(options, o.path.parent_path() / "images" / "test");
  options.finish();
  return std::make_unique<LlavaSqaLoader>(std::move(o));
}

void for_each_llava_sqa_output(
    const std::filesystem::path& path,
    const std::function<void(const std::string&, const std::string&, const Location&)>& on_output) {
  for_each_json_record(path, "outputs", [&](const ConfigNode& record, const std::string& pid) {
    if (pid.empty()) record.fail("expected an object {pid: model output}");
    on_output(pid, record.as_string(), record.location());
  });
}

}  // namespace lmmbench::datasets
