#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// True for the texts pandas.read_csv reads as NaN by default (pandas 2.x `na_values` default:
/// "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
/// "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"): VLMEvalKit drops such option
/// cells and hints (`pd.isna`), so an option whose text is "None" does not exist for it either.
bool is_pandas_na(std::string_view cell);

/// VLMEvalKit's benchmark TSV (open-compass/VLMEvalKit vlmeval/dataset/image_base.py
/// ImageBaseDataset; MMBench, MMBench-CN, SEED-Bench, ... from
/// https://github.com/open-compass/MMBench "Download Link (VLMEvalKit)" or "(Legacy)"): a header
/// row, then one row per question, tab-separated, quoted the way pandas writes (a cell in '"' may
/// hold tabs and line breaks, '""' is a quote). Columns: `index` (integer, required), `question`
/// (required), `hint`, option columns `A`, `B`, ... (a pandas-NaN cell is no option), `answer`
/// (absent in test splits), `category`, `l2-category`, and the image as `image` (base64, or —
/// VLMEvalKit's de-duplication — the index of the row whose image it shares, when at most 64
/// characters) or `image_path` (relative to image_root, default <file dir>/images/<file stem>).
///
/// id = index; options = the option cells from A on; references = {answer}, or the strings of an
/// answer cell holding a Python list of string literals (`['120', '120 million']`: InfoVQA,
/// DocVQA, which VLMEvalKit reads with eval); category = category;
/// meta index, group (index modulo 1e6: MMBench's circular copies of question g have indices
/// g + k * 1e6, so the mmbench metric scores them as one group), hint ("" for NaN), l2_category,
/// and every other column by name. Base64 images are not copied: a sample refers to the bytes
/// inside the TSV (ImageRef::base64_offset) and a request decodes them when it needs them, so
/// loading holds the metadata only.
class VlmEvalKitTsvLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    ImageOptions images;  ///< "image_root", "load_images", "verify_images".
  };
  explicit VlmEvalKitTsvLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;
  /// Options: "path" (required), "image_root", "load_images", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
