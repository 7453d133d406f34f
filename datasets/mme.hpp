#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/mme_subtasks.hpp"
#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// MME's question without its closing instruction: "Is there a dog? Please answer yes or no." ->
/// "Is there a dog?" (the suffix and the spaces before it removed; MME's files have one or two).
/// LLaVA-1.5 and lmms-eval replace that instruction with their own.
std::string mme_question_without_instruction(std::string_view question);

/// Where a subtask's images are inside MME_Benchmark_release_version: <subtask>/images/ for the
/// five subtasks that have that folder, else <subtask>/ (as LLaVA's convert_answer_to_mme.py
/// get_gt decides).
std::filesystem::path mme_image_dir(const std::filesystem::path& root, std::string_view subtask);

/// An MME question's id as LLaVA's llava_mme.jsonl (and so its answer files) write it: the image's
/// path inside MME_Benchmark_release_version, "<subtask>/images/<image>" for artwork, celebrity,
/// landmark, posters and scene (the release's layout), "<subtask>/<image>" for the others.
std::string mme_question_id(std::string_view subtask, std::string_view image);

/// MME's official layout (MME_Benchmark_release_version, from the MME authors; see
/// docs/datasets.md): one folder per subtask, a "<image stem>.txt" per image holding two lines
/// "question\tYes|No", the image (.jpg or .png) beside it or in images/ (with the .txt files in
/// questions_answers_YN/). Subtasks in the official order, files by name, lines in order.
/// Sample id = mme_question_id for an image's first question, with "#2" appended for the second;
/// question = the question without " Please answer yes or no."; references = {Yes|No}; category
/// and meta.subtask = the subtask; meta image (file name), question_id (mme_question_id, LLaVA's),
/// original_question.
class MmeLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path root;
    std::vector<std::string> subtasks;  ///< Default: all 14.
    bool load_images = true;
    bool verify_images = true;
    ImageBudget image_budget{};
  };
  explicit MmeLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "root" (required), "subtasks", "load_images", "verify_images", "max_image_pixels",
  /// "image_memory_mb".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

/// One line of an MME result file.
struct MmeResultLine {
  std::string subtask;
  std::string image;
  std::string question;    ///< As written, instruction included.
  std::string gold;        ///< "Yes" or "No".
  std::string prediction;  ///< Everything after the third tab ('\r' at the end removed).
  Location where;          ///< File and line.
};

/// Reads MME result files — the input of the official calculation.py: a directory with one
/// "<subtask>.txt" per subtask, lines "image\tquestion\tgold\tprediction" (readme.txt of
/// tools/eval_tool.zip, branch Evaluation of BradyFU/Awesome-Multimodal-Large-Language-Models).
/// Subtask files are read in the official order; files with other names are ignored; at least
/// one must exist (MissingDataError otherwise). Throws InputError naming file and line for a line
/// without four fields or a gold answer other than Yes/No.
void for_each_mme_result(const std::filesystem::path& directory,
                         const std::function<void(const MmeResultLine&)>& on_line,
                         std::vector<std::filesystem::path>* files = nullptr);

/// MME result files as a dataset (their gold answers; the predictions are the replay backend's
/// "mme-results" format). Same ids, question and meta as MmeLoader, so results replay against
/// either. Images are attached only when "image_root" names MME_Benchmark_release_version.
class MmeResultsLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    std::optional<std::filesystem::path> image_root;
    bool verify_images = true;
    ImageBudget image_budget{};
  };
  explicit MmeResultsLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (the results directory, required), "image_root", "verify_images",
  /// "max_image_pixels", "image_memory_mb".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
