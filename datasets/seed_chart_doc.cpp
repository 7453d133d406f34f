#include "datasets/seed_chart_doc.hpp"

#include <unordered_map>

#include <fmt/format.h>

#include "core/text.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

Dataset SeedBenchLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "SEED-Bench.json");
  std::unordered_map<std::string, std::string> type_names;
  for_each_json_record(options_.path, "question_type",
                       [&](const ConfigNode& record, const std::string& name) {
                         type_names[std::to_string(record.as_int())] = name;
                       });
  const ImageAttacher images(options_.images);
  const ImageAttacher frames(
      ImageOptions{options_.video_frame_root, options_.images.load, options_.images.probe});
  IdSet ids;
  for_each_json_record(
      options_.path, "questions", [&](const ConfigNode& record, const std::string&) {
        ObjectReader fields(record);
        const ConfigNode data_type = fields.required("data_type");
        const std::string type = data_type.as_string();
        if (type != "image" && type != "video") {
          data_type.fail("expected data_type \"image\" or \"video\", got \"" + type + "\"");
        }
        if (type == "video" && !options_.include_video) return;
        Sample sample;
        const ConfigNode question_id = fields.required("question_id");
        sample.id = id_text(question_id);
        ids.insert(sample.id, question_id);
        sample.question = fields.required_string("question");
        for (const char* key : {"choice_a", "choice_b", "choice_c", "choice_d"})
          sample.options.push_back(fields.required_string(key));
        if (const auto answer = fields.find("answer")) {
          sample.references = {answer->as_string()};
          check_gold_letter(sample, answer->location());
        }
        sample.category = type;
        const ConfigNode type_id = fields.required("question_type_id");
        const std::string type_key = std::to_string(type_id.as_int());
        const auto name = type_names.find(type_key);
        if (name == type_names.end()) {
          type_id.fail("question_type_id " + type_key + " is not in /question_type");
        }
        sample.meta["question_id"] = question_id.json();
        sample.meta["question_type"] = name->second;
        sample.meta["question_type_id"] = type_id.json();
        const ConfigNode data_id = fields.required("data_id");
        sample.meta["data_id"] = data_id.as_string();
        if (type == "image") {
          images.attach(sample, data_id.as_string(), data_id.location(), dataset.files);
        } else {
          frames.attach(sample, type_key + "_" + sample.id + ".png", data_id.location(),
                        dataset.files);
        }
        dataset.samples.push_back(std::move(sample));
      });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> SeedBenchLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  o.include_video = options.get_bool("include_video", false);
  o.images = read_image_options(options, o.path.parent_path() / "SEED-Bench-image");
  o.video_frame_root = o.path.parent_path() / "SEED-Bench-video-image";
  if (const auto frames = options.find("video_frame_root")) o.video_frame_root = frames->as_path();
  options.finish();
  return std::make_unique<SeedBenchLoader>(std::move(o));
}

Dataset ChartQaLoader::load() const {
  Dataset dataset;
  dataset.name = "chartqa";
  const ImageAttacher images(options_.images);
  for (const auto& split : options_.splits) {
    require_file(split.path, fmt::format("ChartQA '{}' file", split.name));
    if (dataset.root.empty()) dataset.root = split.path.parent_path();
    dataset.files.push_back(split.path);
    std::size_t index = 0;
    for_each_json_record(split.path, "", [&](const ConfigNode& record, const std::string&) {
      ObjectReader fields(record);
      Sample sample;
      sample.id = split.name + "/" + std::to_string(index++);
      sample.question = fields.required_string("query");
      const ConfigNode label = fields.required("label");
      sample.references = {label.is_string() ? label.as_string() : label.json().dump()};
      sample.category = split.name;
      const ConfigNode image = fields.required("imgname");
      sample.meta["imgname"] = image.as_string();
      images.attach(sample, image.as_string(), image.location(), dataset.files);
      dataset.samples.push_back(std::move(sample));
    });
  }
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> ChartQaLoader::create(ObjectReader& options) {
  Options o;
  o.splits = read_split_files(options);
  o.images = read_image_options(options);
  options.finish();
  return std::make_unique<ChartQaLoader>(std::move(o));
}

Dataset DocVqaLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "DocVQA file");
  const ImageAttacher images(options_.images);
  IdSet ids;
  for_each_json_record(options_.path, "data", [&](const ConfigNode& record, const std::string&) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode question_id = fields.required("questionId");
    sample.id = id_text(question_id);
    ids.insert(sample.id, question_id);
    sample.question = fields.required_string("question");
    if (const auto answers = fields.find("answers")) sample.references = answers->as_string_list();
    sample.meta["question_id"] = question_id.json();
    if (const auto doc = fields.find("docId")) sample.meta["doc_id"] = doc->json();
    if (const auto types = fields.find("question_types")) {
      const auto list = types->as_string_list();
      sample.meta["question_types"] = join(list, ", ");
      if (!list.empty()) sample.category = list.front();
    }
    const ConfigNode image = fields.required("image");
    images.attach(sample, image.as_string(), image.location(), dataset.files);
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> DocVqaLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  o.images = read_image_options(options, o.path.parent_path());
  options.finish();
  return std::make_unique<DocVqaLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
