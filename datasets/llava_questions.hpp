#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// LLaVA's evaluation question files (JSON Lines, the `--question-file` of
/// haotian-liu/LLaVA@c121f04 llava/eval/model_vqa_loader.py and model_vqa.py):
///
///   {"question_id": 1, "image": "COCO_val2014_000000310196.jpg",
///    "text": "Is there a snowboard in the image?\nAnswer the question using a single word or
///    phrase.", "category": "adversarial"}
///
/// `question_id` (integer or string) and `text` are required; `image` (relative to image_root),
/// `category` and POPE's `label` (the gold answer) are optional; other members are kept in meta.
/// `text` is the whole prompt LLaVA sent (its instruction suffix included), so a task over these
/// files uses the template "{question}". A question_id that repeats (llava_mme.jsonl gives both
/// questions of an image the image's id) gets "#2", "#3" appended to its sample id;
/// meta.question_id keeps the file's value, which LLaVA's answer files repeat.
class LlavaQuestionsLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit LlavaQuestionsLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "image_root" (default: the file's directory), "load_images",
  /// "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// POPE's question/label files (RUCAIBox/POPE@3df3ba1 output/coco/coco_pope_<split>.json; the
/// annotation files LLaVA's eval_pope.py reads): JSON Lines of
///
///   {"question_id": 1, "image": "COCO_val2014_000000310196.jpg",
///    "text": "Is there a snowboard in the image?", "label": "yes"}
///
/// One file per split. Sample id "<split>/<question_id>" (ids restart at 1 in every split),
/// category = the split (what the pope metric groups by), references = {label} ("yes"/"no").
class PopeLoader final : public Loader {
 public:
  using Split = SplitFile;  ///< name: adversarial, popular, random, ...
  struct Options {
    std::vector<Split> splits;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit PopeLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "splits" ({"adversarial": path, ...}, split order as written) or "path" + "split";
  /// "image_root" (COCO val2014; required unless load_images is false), "load_images",
  /// "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
