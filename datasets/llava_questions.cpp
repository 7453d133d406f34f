#include "datasets/llava_questions.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

namespace {

constexpr std::array<std::string_view, 5> kLlavaKeys = {"question_id", "image", "text", "category",
                                                        "label"};

}  // namespace

Dataset LlavaQuestionsLoader::load() const {
  require_file(options_.path, "LLaVA question file");
  Dataset dataset;
  dataset.name = options_.path.stem().string();
  dataset.files.push_back(options_.path);
  const ImageAttacher images(options_.images);
  dataset.root = options_.path.parent_path();
  IdDisambiguator disambiguate;
  IdSet ids;
  for_each_jsonl_record(options_.path, [&](const ConfigNode& record) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode question_id = fields.required("question_id");
    sample.id = disambiguate.next(id_text(question_id));
    ids.insert(sample.id, question_id);
    sample.meta["question_id"] = question_id.json();
    sample.question = fields.required_string("text");
    sample.category = fields.get_string("category", "");
    if (const auto label = fields.find("label")) sample.references = {label->as_string()};
    if (const auto image = fields.find("image")) {
      const std::string name = image->as_string();
      sample.meta["image"] = name;
      images.attach(sample, name, image->location(), dataset.files);
    }
    for (const auto& [key, value] : record.json().items()) {
      if (std::find(kLlavaKeys.begin(), kLlavaKeys.end(), key) == kLlavaKeys.end()) {
        sample.meta[key] = value;
      }
    }
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> LlavaQuestionsLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  o.images = read_image_options(options, o.path.parent_path());
  options.finish();
  return std::make_unique<LlavaQuestionsLoader>(std::move(o));
}

Dataset PopeLoader::load() const {
  Dataset dataset;
  dataset.name = "pope";
  const ImageAttacher images(options_.images);
  IdSet ids;
  for (const auto& split : options_.splits) {
    require_file(split.path, fmt::format("POPE '{}' file", split.name));
    if (dataset.root.empty()) dataset.root = split.path.parent_path();
    dataset.files.push_back(split.path);
    const std::size_t before = dataset.samples.size();
    for_each_jsonl_record(split.path, [&](const ConfigNode& record) {
      ObjectReader fields(record);
      Sample sample;
      const ConfigNode question_id = fields.required("question_id");
      sample.id = split.name + "/" + id_text(question_id);
      ids.insert(sample.id, question_id);
      sample.meta["question_id"] = question_id.json();
      sample.question = fields.required_string("text");
      sample.category = split.name;
      const ConfigNode label = fields.required("label");
      const std::string value = label.as_string();
      if (value != "yes" && value != "no") {
        label.fail(fmt::format("POPE labels are \"yes\" or \"no\", not \"{}\"", value));
      }
      sample.references = {value};
      const ConfigNode image = fields.required("image");
      sample.meta["image"] = image.as_string();
      images.attach(sample, image.as_string(), image.location(), dataset.files);
      dataset.samples.push_back(std::move(sample));
    });
    if (dataset.samples.size() == before) {
      throw InputError(Location{split.path.string(), 0, ""},
                       fmt::format("the POPE '{}' file holds no questions", split.name));
    }
  }
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> PopeLoader::create(ObjectReader& options) {
  Options o;
  o.splits = read_split_files(options);
  // POPE names COCO val2014 images, never beside the files.
  o.images = read_image_options(options);
  options.finish();
  return std::make_unique<PopeLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
