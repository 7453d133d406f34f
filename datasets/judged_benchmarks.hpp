#pragma once

#include <filesystem>
#include <memory>

#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// LLaVA-Bench (In-the-Wild) as released
/// (https://huggingface.co/datasets/liuhaotian/llava-bench-in-the-wild), a directory with
///
///   questions.jsonl     {"question_id", "image", "text", "category": "conv" | "detail" |
///   "complex"} context.jsonl       {"image", "caption": text or list of texts, ...} per image
///   answers_gpt4.jsonl  {"question_id", "text", ...}: GPT-4's reference answer (the judge's answer
///   1) images/
///
/// read as haotian-liu/LLaVA@c121f04 llava/eval/eval_gpt_review_bench.py reads them: the caption of
/// a question's image (a list joined with '\n'), its text, the reference answer. Sample id =
/// question_id, question = text, category = the question's category, references = {the GPT-4
/// answer}, meta: question_id, image, caption (what the judge is shown). The reference pairs the
/// answer file with the question file line by line; this loader joins on question_id and fails on
/// a question without exactly one answer or an image without a context.
class LlavaBenchLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path root;
    ImageOptions images;  ///< "image_root" (default root/images), "load_images", "verify_images".
  };
  explicit LlavaBenchLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "root" (required), "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// MM-Vet as released (https://github.com/yuweihao/MM-Vet/releases/download/v1/mm-vet.zip):
/// mm-vet.json, an object {"v1_0": {"imagename", "capability": [...], "question", "answer"}, ...},
/// and images/. Sample id = the key, question, references = {answer} (the ground truth, with its
/// <AND> / <OR> markers), meta: imagename, capability (comma-separated, as the mmvet metric reads
/// it). Samples keep the file's order (the official grader's order).
class MmVetLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    ImageOptions images;  ///< "image_root" (default: images/ beside the file), ...
  };
  explicit MmVetLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (mm-vet.json, required), "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
