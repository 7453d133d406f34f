#include "datasets/textvqa_gqa.hpp"

#include <unordered_map>

#include <fmt/format.h>

#include "core/text.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

namespace {

std::string joined_tokens(const ConfigNode& tokens) {
  return join(tokens.as_string_list(), ", ");
}

}  // namespace

Dataset TextVqaLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "TextVQA file");
  std::unordered_map<std::string, std::string> ocr_by_image;
  if (options_.ocr) {
    require_file(*options_.ocr, "TextVQA OCR file");
    dataset.files.push_back(*options_.ocr);
    for_each_json_record(*options_.ocr, "data", [&](const ConfigNode& record, const std::string&) {
      ObjectReader fields(record);
      ocr_by_image[id_text(fields.required("image_id"))] =
          joined_tokens(fields.required("ocr_tokens"));
    });
  }
  const ImageAttacher images(options_.images);
  IdSet ids;
  for_each_json_record(options_.path, "data", [&](const ConfigNode& record, const std::string&) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode question_id = fields.required("question_id");
    sample.id = id_text(question_id);
    ids.insert(sample.id, question_id);
    sample.question = fields.required_string("question");
    const ConfigNode image_id = fields.required("image_id");
    const std::string image = id_text(image_id);
    sample.meta["question_id"] = question_id.json();
    sample.meta["image_id"] = image;
    sample.meta["set_name"] = fields.get_string("set_name", "");
    if (const auto answers = fields.find("answers")) sample.references = answers->as_string_list();
    if (const auto tokens = fields.find("ocr_tokens")) {
      sample.meta["ocr_tokens"] = joined_tokens(*tokens);
    } else if (options_.ocr) {
      const auto it = ocr_by_image.find(image);
      if (it == ocr_by_image.end()) {
        image_id.fail(
            fmt::format("image {} has no entry in the OCR file {}", image, options_.ocr->string()));
      }
      sample.meta["ocr_tokens"] = it->second;
    }
    images.attach(sample, image + ".jpg", image_id.location(), dataset.files);
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> TextVqaLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  if (const auto ocr = options.find("ocr")) o.ocr = ocr->as_path();
  o.images = read_image_options(options);
  options.finish();
  return std::make_unique<TextVqaLoader>(std::move(o));
}

Dataset GqaLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "GQA questions file");
  const ImageAttacher images(options_.images);
  IdSet ids;
  for_each_json_record(options_.path, "", [&](const ConfigNode& record, const std::string& key) {
    if (key.empty()) record.fail("expected an object keyed by question id");
    ObjectReader fields(record);
    Sample sample;
    sample.id = key;
    ids.insert(sample.id, record);
    sample.question = fields.required_string("question");
    if (const auto answer = fields.find("answer")) sample.references = {answer->as_string()};
    const ConfigNode image_id = fields.required("imageId");
    const std::string image = id_text(image_id);
    sample.meta["question_id"] = key;
    sample.meta["image_id"] = image;
    if (const auto full = fields.find("fullAnswer")) sample.meta["full_answer"] = full->as_string();
    if (const auto types = fields.find("types")) {
      ObjectReader t = types->object();
      sample.category = t.get_string("structural", "");
      sample.meta["semantic_type"] = t.get_string("semantic", "");
      sample.meta["detailed_type"] = t.get_string("detailed", "");
    }
    images.attach(sample, image + ".jpg", image_id.location(), dataset.files);
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> GqaLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  o.images = read_image_options(options);
  options.finish();
  return std::make_unique<GqaLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
