#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// SEED-Bench's JSON (AILab-CVC/SEED-Bench, SEED-Bench.json;
/// https://github.com/AILab-CVC/SEED-Bench):
///
///   {"question_type": {"Scene Understanding": 1, ...}, "questions": [{"question_id": "101669",
///    "question": "...", "choice_a": "...", ..., "choice_d": "...", "answer": "A",
///    "data_id": "1454426_2591111986.jpg", "data_type": "image", "question_type_id": 1}, ...]}
///
/// id = question_id; options = choice_a..d; references = {answer}; category = data_type (image or
/// video: the seedbench metric's breakdown gives SEED's image and video accuracies); meta
/// question_id, question_type (its name), question_type_id. Image questions show image_root /
/// data_id (default <file dir>/SEED-Bench-image). Video questions are kept only with
/// "include_video": they show the middle frame LLaVA extracts (llava's
/// playground/data/eval/seed_bench/extract_video_frames.py: "<question_type_id>_<question_id>.png"
/// under video_frame_root, default <file dir>/SEED-Bench-video-image).
class SeedBenchLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    bool include_video = false;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
    std::filesystem::path video_frame_root;
  };
  explicit SeedBenchLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "include_video", "image_root", "video_frame_root",
  /// "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// ChartQA's test files (vis-nlp/ChartQA, ChartQA Dataset/test/test_human.json and
/// test_augmented.json): a JSON array of {"imgname": "41699051005347.png", "query": "...",
/// "label": "..."}. Sample id "<split>/<0-based position>" (the files have no question ids);
/// references = {label}; category = the split (the relaxed_accuracy metric's human_test /
/// augmented_test breakdown); meta imgname. Images: image_root / imgname (test/png/).
class ChartQaLoader final : public Loader {
 public:
  using Split = SplitFile;
  struct Options {
    std::vector<Split> splits;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit ChartQaLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "splits" ({"human_test": path, "augmented_test": path}) or "path" + "split";
  /// "image_root" (required unless load_images is false), "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// DocVQA's JSON (Task 1 of https://rrc.cvc.uab.es/?ch=17, val_v1.0.json / test_v1.0.json):
///
///   {"dataset_name": "docvqa", "dataset_split": "val", "data": [{"questionId": 49153,
///    "question": "...", "image": "documents/pybv0228_81.png", "docId": 14465,
///    "answers": ["0.28"], "question_types": ["figure/diagram"], ...}, ...]}
///
/// id = questionId; references = answers (none in test); meta question_id, doc_id,
/// question_types (joined with ", "); category = the first question type. Images: image_root /
/// image, default the file's directory.
class DocVqaLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit DocVqaLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
