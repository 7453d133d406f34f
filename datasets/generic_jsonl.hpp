#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json_source.hpp"
#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// Any JSON Lines benchmark, mapped onto Sample by the task config alone (no code):
///
///   "dataset": {"format": "generic-jsonl", "path": "my_bench.jsonl", "image_root": "images",
///               "fields": {"id": "qid", "question": "prompt", "images": "image",
///                          "answers": "gold", "options": "choices", "answer_index": "label",
///                          "category": "type", "meta": {"question_type": "qtype"}}}
///
/// A field path names a member, with '.' stepping into objects and a number into arrays
/// ("doc.question", "resps.0.0"), so e.g. lmms-eval's samples_*.jsonl can serve as a dataset.
/// `question` is required; `id` defaults to the record's 0-based position in the file (how
/// lmms-eval numbers docs, its `doc_id`). `images`: a string or a list of
/// strings (paths under image_root). `answers`: a string, a number, or a list of strings /
/// {"answer": ...} objects. `answer_index`: the 0-based index of the right option, stored as its
/// letter. `category`: a string or number. `meta`: {name: path} copied as JSON. A record without
/// a mapped optional field simply lacks it, but a mapping that matches no record at all is an
/// error (a typo would otherwise drop every answer silently).
class GenericJsonlLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    ImageOptions image_files;  ///< "image_root", "load_images", "verify_images".
    std::optional<std::string> id;
    std::string question;
    std::optional<std::string> images;
    std::optional<std::string> answers;
    std::optional<std::string> options;
    std::optional<std::string> answer_index;
    std::optional<std::string> category;
    std::vector<std::pair<std::string, std::string>> meta;
    ConfigNode fields_node;  ///< For "matched no record" errors.
  };
  explicit GenericJsonlLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" and "fields" (required), "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
