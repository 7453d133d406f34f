#include "datasets/vqa_official.hpp"

#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

namespace {

struct Annotation {
  std::vector<std::string> answers;
  std::string question_type;
  std::string answer_type;
};

std::vector<std::string> answer_texts(const ConfigNode& list) {
  std::vector<std::string> out;
  for (const auto& answer : list.elements()) {
    ObjectReader reader = answer.object();
    out.push_back(reader.required_string("answer"));
  }
  if (out.empty()) list.fail("expected at least one answer");
  return out;
}

const std::vector<std::string> kTemplateNames = {"image_id", "data_subtype", "image_subtype"};

}  // namespace

Dataset VqaOfficialLoader::load() const {
  require_file(options_.questions, "VQA questions file");
  if (options_.annotations) require_file(*options_.annotations, "VQA annotations file");
  Dataset dataset;
  dataset.name = options_.questions.stem().string();
  dataset.root = options_.questions.parent_path();
  dataset.files.push_back(options_.questions);

  std::unordered_map<std::string, Annotation> annotations;
  if (options_.annotations) {
    dataset.files.push_back(*options_.annotations);
    for_each_json_record(*options_.annotations, "annotations",
                         [&](const ConfigNode& record, const std::string&) {
                           ObjectReader fields(record);
                           const ConfigNode id = fields.required("question_id");
                           Annotation a;
                           a.answers = answer_texts(fields.required("answers"));
                           a.question_type = fields.get_string("question_type", "");
                           a.answer_type = fields.get_string("answer_type", "");
                           if (!annotations.emplace(id_text(id), std::move(a)).second) {
                             id.fail("duplicate annotation for question " + id_text(id));
                           }
                         });
  }

  const std::string data_subtype =
      top_level_string(options_.questions, "data_subtype").value_or("");
  std::string image_subtype = data_subtype;
  if (image_subtype.starts_with("test-dev")) image_subtype = "test" + image_subtype.substr(8);
  const ImageAttacher images(options_.images);
  IdSet ids;
  for_each_json_record(
      options_.questions, "questions", [&](const ConfigNode& record, const std::string&) {
        ObjectReader fields(record);
        Sample sample;
        const ConfigNode question_id = fields.required("question_id");
        sample.id = id_text(question_id);
        ids.insert(sample.id, question_id);
        sample.question = fields.required_string("question");
        const ConfigNode image_id = fields.required("image_id");
        sample.meta["question_id"] = question_id.json();
        sample.meta["image_id"] = image_id.json();
        if (options_.annotations) {
          const auto it = annotations.find(sample.id);
          if (it == annotations.end()) {
            question_id.fail(fmt::format("question {} has no annotation in {}", sample.id,
                                         options_.annotations->string()));
          }
          sample.references = std::move(it->second.answers);
          sample.meta["question_type"] = it->second.question_type;
          sample.meta["answer_type"] = it->second.answer_type;
          sample.category = it->second.answer_type;
          annotations.erase(it);
        }
        if (options_.images.load) {
          const std::string name = expand_template(options_.image_template,
                                                   {{"image_id", id_text(image_id)},
                                                    {"data_subtype", data_subtype},
                                                    {"image_subtype", image_subtype}},
                                                   options_.template_node);
          images.attach(sample, name, image_id.location(), dataset.files);
        }
        dataset.samples.push_back(std::move(sample));
      });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> VqaOfficialLoader::create(ObjectReader& options) {
  Options o;
  o.questions = options.required("questions").as_path();
  if (const auto a = options.find("annotations")) o.annotations = a->as_path();
  o.image_template = "COCO_{image_subtype}_{image_id:012}.jpg";
  if (const auto t = options.find("image_template")) {
    o.image_template = t->as_string();
    o.template_node = *t;
  } else {
    o.template_node = options.node();
  }
  validate_template_names(o.image_template, kTemplateNames, o.template_node);
  o.images = read_image_options(options);
  options.finish();
  return std::make_unique<VqaOfficialLoader>(std::move(o));
}

Dataset VizWizLoader::load() const {
  Dataset dataset;
  dataset.name = options_.path.stem().string();
  dataset.root = options_.path.parent_path();
  dataset.files.push_back(options_.path);
  const ImageAttacher images(options_.images);
  IdSet ids;
  std::size_t index = 0;
  for_each_json_record(options_.path, "", [&](const ConfigNode& record, const std::string&) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode image = fields.required("image");
    sample.id = image.as_string();
    ids.insert(sample.id, image);
    sample.meta["question_id"] = index++;
    sample.meta["image"] = sample.id;
    sample.question = fields.required_string("question");
    if (const auto answers = fields.find("answers")) sample.references = answer_texts(*answers);
    if (const auto type = fields.find("answer_type")) {
      sample.category = type->as_string();
      sample.meta["answer_type"] = sample.category;
    }
    if (const auto answerable = fields.find("answerable")) {
      sample.meta["answerable"] = answerable->json();
    }
    images.attach(sample, sample.id, image.location(), dataset.files);
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> VizWizLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  o.images = read_image_options(options);
  options.finish();
  return std::make_unique<VizWizLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
