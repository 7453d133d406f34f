#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// TextVQA's JSON (https://textvqa.org/dataset/, TextVQA_0.5.1_val.json):
///
///   {"dataset_name": "textvqa", "dataset_version": "0.5.1", "data": [{"question": "...",
///    "image_id": "003a8ae2ef43b901", "question_id": 34602, "answers": [... ten ...],
///    "image_classes": [...], "set_name": "val", ...}, ...]}
///
/// with optional OCR tokens: a record's own "ocr_tokens", or the Rosetta OCR file
/// (TextVQA_Rosetta_OCR_v0.2_val.json, {"data": [{"image_id", "ocr_tokens": [...]}, ...]}) joined
/// by image_id. meta.ocr_tokens is the tokens joined with ", " — the "Reference OCR token: ..."
/// line of LLaVA's llava_textvqa_val_v051_ocr.jsonl (empty when an image has none). Sample id =
/// question_id; references = the ten answers; meta question_id, image_id, set_name. Images:
/// image_root / "{image_id}.jpg" (val images are in train_images/).
class TextVqaLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    std::optional<std::filesystem::path> ocr;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit TextVqaLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "ocr" (Rosetta OCR file), "image_root", "load_images",
  /// "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// GQA's questions JSON (https://cs.stanford.edu/people/dorarad/gqa/download.html,
/// questions1.2.zip: testdev_balanced_questions.json, the split LLaVA-1.5 reports), an object
/// keyed by question id:
///
///   {"201307251": {"imageId": "n161313", "question": "Is it overcast?", "answer": "no",
///    "fullAnswer": "No, it is clear.", "types": {"structural": "verify", "semantic": "attr",
///    "detailed": "weather"}, ...}, ...}
///
/// Samples in file order; id = the key; references = {answer}; category = types.structural;
/// meta question_id, image_id, full_answer, semantic_type, detailed_type. Images: image_root /
/// "{imageId}.jpg" (allImages.zip: images/).
class GqaLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit GqaLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
