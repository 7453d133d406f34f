#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// ScienceQA's own files (lupantech/ScienceQA data/scienceqa/: problems.json and
/// pid_splits.json; https://scienceqa.github.io/):
///
///   problems.json  {"4": {"question": "...", "choices": ["chiasmus", "apostrophe"], "answer": 1,
///                   "hint": "...", "image": "image.png" | null, "subject": "language science",
///                   "category": "Figurative language", "grade": "grade11", "split": "test",
///                   ...}, ...}
///   pid_splits.json {"train": ["1", ...], "val": [...], "test": ["4", "5", ...], ...}
///
/// Samples are the split's problems in pid_splits order (the order LLaVA's eval_science_qa.py
/// iterates). id = pid; options = choices; references = {the answer's letter}; category =
/// subject; meta question_id, hint, image (true when the problem has one: what the scienceqa
/// metric's IMG-accuracy reads), image_file, grade, topic, skill. "image_only" keeps only problems
/// with an image: the ScienceQA-IMG test set (2017 problems) LLaVA-1.5 reports. Images:
/// image_root / "<pid>/<image>", default <problems dir>/images/<split>.
class ScienceQaLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path problems;
    std::filesystem::path pid_splits;
    std::string split = "test";
    bool image_only = false;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit ScienceQaLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "problems", "pid_splits" (required), "split" (default test), "image_only",
  /// "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// The option texts at the end of a LLaVA ScienceQA prompt: the lines from the last one starting
/// "A. " on, each "X. " line (X = A, B, C, ... in order) starting an option and any other line
/// continuing the previous option (ScienceQA choices may hold line breaks). Empty when no line
/// starts with "A. ".
std::vector<std::string> llava_prompt_options(std::string_view prompt);

/// LLaVA's ScienceQA question file (llava_test_CQM-A.json from LLaVA's eval.zip, the
/// --question-file of scripts/v1_5/eval/sqa.sh; haotian-liu/LLaVA@c121f04 docs/Evaluation.md):
///
///   [{"id": "5", "image": "5/image.png", "conversations": [{"from": "human", "value":
///     "<image>\nContext: ...\nWhich of the following could Gordon's test show?\nA. ...\nB. ..."},
///     {"from": "gpt", "value": "B"}]}, ...]
///
/// question = the human turn with "<image>" removed and surrounding whitespace stripped, exactly
/// the text LLaVA's model_vqa_science.py sends (so a task uses the template "{question}\nAnswer
/// with the option's letter from the given choices directly."); options = llava_prompt_options of
/// it; references = {the gpt turn's letter}; meta question_id, image (true for image questions),
/// image_file. Images: image_root / record "image", default <file dir>/images/test. "image_only"
/// keeps the image questions (ScienceQA-IMG).
class LlavaSqaLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    bool image_only = false;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit LlavaSqaLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "image_only", "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// Calls `on_output(pid, text, where)` for every entry of "outputs" in a LLaVA ScienceQA result
/// file (llava/eval/eval_science_qa.py --output-result: {"acc", "correct", "count", "results":
/// {pid: index}, "outputs": {pid: model text}}), in file order.
void for_each_llava_sqa_output(
    const std::filesystem::path& path,
    const std::function<void(const std::string& pid, const std::string& text,
                             const Location& where)>& on_output);

}  // namespace lmmbench::datasets
