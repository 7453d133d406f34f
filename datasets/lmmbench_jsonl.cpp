#include "datasets/lmmbench_jsonl.hpp"

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

Dataset LmmbenchJsonlLoader::load() const {
  require_file(options_.path, "dataset file");
  Dataset dataset;
  dataset.name = options_.path.stem().string();
  dataset.files.push_back(options_.path);
  const ImageAttacher images(
      ImageOptions{options_.image_root.empty() ? options_.path.parent_path() : options_.image_root,
                   options_.load_images, options_.verify_images, options_.image_budget});
  dataset.root = images.options().root;
  IdSet ids;

  for_each_jsonl_record(options_.path, [&](const ConfigNode& record) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode id = fields.required("id");
    sample.id = id_text(id);
    ids.insert(sample.id, id);
    sample.question = fields.required_string("question");
    sample.references = fields.get_string_list("answers");
    sample.options = fields.get_string_list("options");
    if (const auto answers = fields.find("answers")) check_gold_letter(sample, answers->location());
    sample.category = fields.get_string("category", "");
    if (const auto meta = fields.find("meta")) {
      if (!meta->is_object()) meta->fail("expected an object");
      sample.meta = meta->json();
    }
    if (const auto list = fields.find("images")) {
      for (const auto& image : list->elements())
        images.attach(sample, image.as_string(), image.location(), dataset.files);
    }
    fields.finish();
    dataset.samples.push_back(std::move(sample));
  });

  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> LmmbenchJsonlLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  if (const auto root = options.find("image_root")) o.image_root = root->as_path();
  o.verify_images = options.get_bool("verify_images", true);
  o.load_images = options.get_bool("load_images", true);
  o.image_budget = read_image_budget(options);
  options.finish();
  return std::make_unique<LmmbenchJsonlLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
