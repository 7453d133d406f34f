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

/// Hugging Face parquet files as the `datasets` library writes them and lmms-lab publishes its
/// benchmarks (lmms-lab/POPE: question_id, question, answer, image struct<bytes, path>,
/// category; lmms-lab/ScienceQA: question, choices list<string>, answer int64, image; lmms-lab/
/// MMBench: index, question, hint, A, B, C, D, answer, category, image), read as they are and
/// mapped onto Sample by the task config's "fields", column by column:
///
///   "dataset": {"format": "hf-parquet", "path": ["test-00000-of-00002.parquet", ...],
///               "fields": {"id": "question_id", "question": "question", "answers": "answer",
///                          "images": "image", "category": "category"}}
///
/// `question` may be absent (caption sets: the question is ""); `id` defaults to the row's 0-based
/// position over all files (as lmms-eval's doc_id). `answers`: a string or number column, or a list
/// of strings, numbers or
/// {"answer": ...} structs (VQAv2's). `options`: a list<string> column, or a list of column names
/// (["A", "B", "C", "D"]; a null or pandas-NaN cell ends the options, as VLMEvalKit reads them).
/// `answer_index`: the 0-based index of the right option, stored as its letter. `images`: a
/// column name or list of names, each cell an image struct<bytes, path>, binary bytes, or a list
/// of those (a null cell is no image). `category`: a string or number column. `meta`: {name:
/// column} copied as JSON. In `category` and `meta`, "column.member" names a member of a struct
/// column (AI4Math/MathVista's "metadata.task"). An `options` column of strings holds a Python
/// list of strings each (lmms-lab/MMMU's "['1', '2']", read as ast.literal_eval reads it). Every
/// mapped column must exist. Errors name the file, the 1-based row (as the line) and the column.
///
/// Images are not converted first: each is hashed, probed and kept within image_memory_mb like
/// any dataset image, and extracted once to "image_cache" (ImageAttacher::attach_bytes), from
/// where a request past the budget and the reports read it. The manifest names the parquet files.
class HfParquetLoader final : public Loader {
 public:
  struct Options {
    std::vector<std::filesystem::path> paths;
    std::filesystem::path image_cache;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images", the ImageBudget's.
    std::optional<std::string> id;
    std::optional<std::string> question;
    std::optional<std::string> answers;
    std::vector<std::string> options;  ///< One list column, or one column per option.
    bool options_list = false;         ///< `options` names one list<string> column.
    std::optional<std::string> answer_index;
    std::optional<std::string> category;
    std::vector<std::string> images_columns;
    /// Columns of image file names under ImageOptions::root ("image_root"), for sets whose
    /// parquet files hold captions but not the images (yerevann/coco-karpathy).
    std::vector<std::string> image_file_columns;
    std::vector<std::pair<std::string, std::string>> meta;
  };
  explicit HfParquetLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (a file or a list of files, read in that order) and "fields" (required),
  /// "image_cache" (default $XDG_CACHE_HOME/lmmbench/images, else ~/.cache/lmmbench/images),
  /// "image_root" (for `image_files`; required with it unless load_images is false),
  /// "load_images", "verify_images", "max_image_pixels", "image_memory_mb".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
