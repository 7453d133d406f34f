#include "datasets/judged_benchmarks.hpp"

#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "core/text.hpp"

namespace lmmbench::datasets {

namespace {

/// A caption as eval_gpt_review_bench.py shows it to the judge: a list joined with '\n'.
std::string caption_text(const ConfigNode& caption) {
  if (caption.is_array()) return join(caption.as_string_list(), "\n");
  return caption.as_string();
}

}  // namespace

Dataset LlavaBenchLoader::load() const {
  require_directory(options_.root, "LLaVA-Bench directory");
  const auto questions_path = options_.root / "questions.jsonl";
  const auto context_path = options_.root / "context.jsonl";
  const auto answers_path = options_.root / "answers_gpt4.jsonl";
  require_file(questions_path, "LLaVA-Bench questions.jsonl");
  require_file(context_path, "LLaVA-Bench context.jsonl");
  require_file(answers_path, "LLaVA-Bench answers_gpt4.jsonl");

  std::map<std::string, std::string, std::less<>> captions;  // image -> caption
  for_each_jsonl_record(context_path, [&](const ConfigNode& record) {
    ObjectReader fields(record);
    const ConfigNode image = fields.required("image");
    if (!captions.emplace(image.as_string(), caption_text(fields.required("caption"))).second)
      image.fail("duplicate image " + image.as_string());
  });
  std::map<std::string, std::string, std::less<>> answers;  // question_id -> GPT-4 answer
  for_each_jsonl_record(answers_path, [&](const ConfigNode& record) {
    ObjectReader fields(record);
    const ConfigNode question_id = fields.required("question_id");
    if (!answers.emplace(id_text(question_id), fields.required_string("text")).second)
      question_id.fail("duplicate answer for question_id " + id_text(question_id));
  });

  Dataset dataset;
  dataset.name = "llava-bench-in-the-wild";
  dataset.root = options_.root;
  dataset.files = {questions_path, context_path, answers_path};
  const ImageAttacher images(options_.images);
  IdSet ids;
  for_each_jsonl_record(questions_path, [&](const ConfigNode& record) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode question_id = fields.required("question_id");
    sample.id = id_text(question_id);
    ids.insert(sample.id, question_id);
    sample.meta["question_id"] = question_id.json();
    sample.question = fields.required_string("text");
    sample.category = fields.required_string("category");
    const auto answer = answers.find(sample.id);
    if (answer == answers.end()) {
      question_id.fail(fmt::format("no reference answer for question_id {} in {}", sample.id,
                                   answers_path.generic_string()));
    }
    sample.references = {answer->second};
    const ConfigNode image = fields.required("image");
    const std::string name = image.as_string();
    const auto caption = captions.find(name);
    if (caption == captions.end()) {
      image.fail(
          fmt::format("no context for image '{}' in {}", name, context_path.generic_string()));
    }
    sample.meta["image"] = name;
    sample.meta["caption"] = caption->second;
    images.attach(sample, name, image.location(), dataset.files);
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> LlavaBenchLoader::create(ObjectReader& options) {
  Options o;
  o.root = options.required("root").as_path();
  o.images = read_image_options(options, o.root / "images");
  options.finish();
  return std::make_unique<LlavaBenchLoader>(std::move(o));
}

Dataset MmVetLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "MM-Vet mm-vet.json");
  const ImageAttacher images(options_.images);
  for_each_json_record(options_.path, "", [&](const ConfigNode& record, const std::string& key) {
    ObjectReader fields(record);
    Sample sample;
    sample.id = key;
    sample.question = fields.required_string("question");
    sample.references = {fields.required_string("answer")};
    const ConfigNode capability = fields.required("capability");
    const auto capabilities = capability.as_string_list();
    if (capabilities.empty()) capability.fail("expected at least one capability");
    sample.meta["capability"] = join(capabilities, ",");
    const ConfigNode image = fields.required("imagename");
    sample.meta["imagename"] = image.as_string();
    images.attach(sample, image.as_string(), image.location(), dataset.files);
    dataset.samples.push_back(std::move(sample));
  });
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> MmVetLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  o.images = read_image_options(options, o.path.parent_path() / "images");
  options.finish();
  return std::make_unique<MmVetLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
