#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// The official VQA JSON (VQAv2, https://visualqa.org/download.html; OK-VQA,
/// https://okvqa.allenai.org/download.html, same layout): a questions file
///
///   {"data_subtype": "val2014", "questions": [{"image_id": 262148, "question": "...",
///    "question_id": 262148000}, ...], ...}
///
/// and, except for the test splits, an annotations file joined to it by question_id:
///
///   {"annotations": [{"question_id": 262148000, "question_type": "where is the",
///    "answer_type": "other", "multiple_choice_answer": "...", "answers": [{"answer": "...",
///    "answer_confidence": "yes", "answer_id": 1}, ... ten ...], "image_id": 262148}, ...]}
///
/// (GT-Vision-Lab/VQA@a013f00 PythonEvaluationTools/vqaTools/vqa.py reads the same two files.)
/// Sample id = question_id; references = the ten answers; meta question_id, image_id,
/// question_type, answer_type; category = answer_type. Without annotations (test-dev, test) the
/// samples have no references: such a task writes a submission file instead of a score.
/// Images: image_root / image_template, default "COCO_{image_subtype}_{image_id:012}.jpg", where
/// image_subtype is data_subtype with test-dev2015 mapped to test2015 (test-dev images are in
/// the test2015 folder).
class VqaOfficialLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path questions;
    std::optional<std::filesystem::path> annotations;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
    std::string image_template;
    ConfigNode template_node;  ///< For errors in the template.
  };
  explicit VqaOfficialLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "questions" (required), "annotations", "image_root" (required unless load_images is
  /// false), "image_template", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// VizWiz-VQA's annotation files (https://vizwiz.org/tasks-and-datasets/vqa/; Annotations.zip:
/// train.json, val.json, test.json), a JSON array of
///
///   {"image": "VizWiz_val_00000000.jpg", "question": "...", "answers": [{"answer": "...",
///    "answer_confidence": "yes"}, ... ten ...], "answer_type": "other", "answerable": 1}
///
/// (test.json has only image and question). Sample id = the image file name (one question per
/// image); meta.question_id = the record's 0-based position, which is the question_id of LLaVA's
/// llava_test.jsonl; references = the ten answers; category = answer_type; meta answerable.
class VizWizLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit VizWizLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "image_root" (required unless load_images is false),
  /// "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
