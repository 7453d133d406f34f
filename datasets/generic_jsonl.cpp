#include "datasets/generic_jsonl.hpp"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "core/text.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

namespace {

std::string scalar_text(const ConfigNode& node) {
  if (node.is_string()) return node.as_string();
  if (node.json().is_number() || node.json().is_boolean()) return node.json().dump();
  node.fail("expected a string or a number");
}

std::vector<std::string> answer_list(const ConfigNode& node) {
  if (!node.is_array()) return {scalar_text(node)};
  std::vector<std::string> out;
  for (const auto& element : node.elements()) {
    if (element.is_object()) {
      out.push_back(element.object().required_string("answer"));
    } else {
      out.push_back(scalar_text(element));
    }
  }
  return out;
}

}  // namespace

Dataset GenericJsonlLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "dataset file");
  const ImageAttacher images(options_.image_files);
  IdSet ids;
  std::size_t position = 0;  // 0-based record number: the default id, as lmms-eval's doc_id
  std::map<std::string, std::size_t> matched;  // mapping name -> records that had it
  auto get = [&](const ConfigNode& record, const std::optional<std::string>& path,
                 const std::string& name) -> std::optional<ConfigNode> {
    if (!path) return std::nullopt;
    auto node = find_path(record, *path);
    if (node) ++matched[name];
    return node;
  };

  for_each_jsonl_record(options_.path, [&](const ConfigNode& record) {
    Sample sample;
    if (const auto id = get(record, options_.id, "id")) {
      sample.id = id_text(*id);
      ids.insert(sample.id, *id);
    } else if (options_.id) {
      record.fail(fmt::format("no id at '{}'", *options_.id));
    } else {
      sample.id = std::to_string(position);
      ids.insert(sample.id, record);
    }
    ++position;
    const auto question = get(record, options_.question, "question");
    if (!question) record.fail(fmt::format("no question at '{}'", options_.question));
    sample.question = question->as_string();
    if (const auto answers = get(record, options_.answers, "answers")) {
      sample.references = answer_list(*answers);
    }
    if (const auto list = get(record, options_.options, "options")) {
      sample.options = list->as_string_list();
    }
    if (const auto index = get(record, options_.answer_index, "answer_index")) {
      const auto k = index->as_int(0, 25);
      if (static_cast<std::size_t>(k) >= sample.options.size()) {
        index->fail(
            fmt::format("answer index {} is beyond the {} options", k, sample.options.size()));
      }
      sample.references = {std::string(1, option_letter(static_cast<std::size_t>(k)))};
    }
    if (const auto category = get(record, options_.category, "category")) {
      sample.category = scalar_text(*category);
    }
    for (const auto& [key, path] : options_.meta) {
      if (const auto value = get(record, path, "meta." + key)) sample.meta[key] = value->json();
    }
    if (const auto list = get(record, options_.images, "images")) {
      if (list->is_array()) {
        for (const auto& image : list->elements())
          images.attach(sample, image.as_string(), image.location(), dataset.files);
      } else {
        images.attach(sample, list->as_string(), list->location(), dataset.files);
      }
    }
    dataset.samples.push_back(std::move(sample));
  });

  if (!dataset.samples.empty()) {
    auto check = [&](const std::optional<std::string>& path, const std::string& name) {
      if (path && matched[name] == 0) {
        options_.fields_node.fail(fmt::format("fields.{}: the path '{}' matched no record of {}",
                                              name, *path, options_.path.string()));
      }
    };
    check(options_.images, "images");
    check(options_.answers, "answers");
    check(options_.options, "options");
    check(options_.answer_index, "answer_index");
    check(options_.category, "category");
    for (const auto& [key, path] : options_.meta)
      check(path, "meta." + key);
  }
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> GenericJsonlLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  const ConfigNode fields_node = options.required("fields");
  o.fields_node = fields_node;
  ObjectReader fields = fields_node.object();
  auto optional = [&](std::string_view key) -> std::optional<std::string> {
    if (const auto node = fields.find(key)) {
      const std::string path = node->as_string();
      if (path.empty()) node->fail("expected a field path, got an empty string");
      return path;
    }
    return std::nullopt;
  };
  o.id = optional("id");
  o.question = fields.required_string("question");
  o.images = optional("images");
  o.answers = optional("answers");
  o.options = optional("options");
  o.answer_index = optional("answer_index");
  o.category = optional("category");
  if (o.answers && o.answer_index) {
    fields.required("answer_index").fail("give either \"answers\" or \"answer_index\", not both");
  }
  if (const auto meta = fields.find("meta")) {
    ObjectReader reader = meta->object();
    for (const auto& [key, value] : meta->json().items())
      o.meta.emplace_back(key, reader.required_string(key));
  }
  fields.finish();
  o.image_files = read_image_options(options, o.path.parent_path());
  options.finish();
  return std::make_unique<GenericJsonlLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
