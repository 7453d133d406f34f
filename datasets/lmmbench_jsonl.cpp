#include "datasets/lmmbench_jsonl.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "datasets/image_io.hpp"

namespace lmmbench::datasets {

Dataset LmmbenchJsonlLoader::load() const {
  Dataset dataset;
  dataset.name = options_.path.stem().string();
  dataset.files.push_back(options_.path);
  const auto image_root =
      options_.image_root.empty() ? options_.path.parent_path() : options_.image_root;
  std::set<std::string, std::less<>> seen_ids;

  for_each_jsonl_record(options_.path, [&](const ConfigNode& record) {
    ObjectReader fields(record);
    Sample sample;
    const ConfigNode id = fields.required("id");
    if (id.json().is_number_integer()) {
      sample.id = std::to_string(id.json().get<std::int64_t>());
    } else {
      sample.id = id.as_string();
    }
    if (sample.id.empty()) id.fail("sample id must not be empty");
    if (!seen_ids.insert(sample.id).second)
      id.fail(fmt::format("duplicate sample id '{}'", sample.id));
    sample.question = fields.required_string("question");
    sample.references = fields.get_string_list("answers");
    sample.options = fields.get_string_list("options");
    sample.category = fields.get_string("category", "");
    if (const auto meta = fields.find("meta")) {
      if (!meta->is_object()) meta->fail("expected an object");
      sample.meta = meta->json();
    }
    if (const auto images = fields.find("images")) {
      for (const auto& image : images->elements()) {
        std::filesystem::path path = image.as_string();
        if (path.is_relative()) path = (image_root / path).lexically_normal();
        const auto mime = image_mime_type(path);
        if (!mime)
          image.fail("unsupported image type (expected png, jpg, webp, gif or bmp): " +
                     path.string());
        if (!std::filesystem::is_regular_file(path))
          image.fail("image file not found: " + path.string());
        if (options_.verify_images) {
          try {
            probe_image(path);
          } catch (const InputError& e) {
            image.fail(e.what());
          }
        }
        sample.images.push_back(ImageRef{path, *mime});
        dataset.files.push_back(path);
      }
    }
    fields.finish();
    dataset.samples.push_back(std::move(sample));
  });

  std::sort(dataset.files.begin(), dataset.files.end());
  dataset.files.erase(std::unique(dataset.files.begin(), dataset.files.end()), dataset.files.end());
  return dataset;
}

std::unique_ptr<Loader> LmmbenchJsonlLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  if (const auto root = options.find("image_root")) o.image_root = root->as_path();
  o.verify_images = options.get_bool("verify_images", true);
  options.finish();
  return std::make_unique<LmmbenchJsonlLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
