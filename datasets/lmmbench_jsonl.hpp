#pragma once

#include <filesystem>
#include <memory>

#include "datasets/loader.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

/// The project's own dataset format, one JSON object per line:
///
///   {"id": "q1", "images": ["images/q1.png"], "question": "...", "answers": ["red", ...],
///    "options": ["red", "blue"], "category": "colour", "meta": {"question_type": "what color"}}
///
/// `id` and `question` are required; `images` (paths relative to `image_root`, default the
/// file's directory), `answers`, `options`, `category` and `meta` are optional; ids must be unique.
/// Samples keep file order. An image that is missing, undecodable or outside `image_root` is that
/// sample's error (Sample::error), not the dataset's.
class LmmbenchJsonlLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    std::filesystem::path image_root;  ///< Empty: the directory of `path`.
    bool verify_images = true;         ///< Decode each image's header while loading.
    bool load_images = true;           ///< False: samples get no images (re-scoring only).
    ImageBudget image_budget{};
  };

  explicit LmmbenchJsonlLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;

  /// Registry factory: options "path" (required), "image_root", "verify_images", "load_images",
  /// "max_image_pixels", "image_memory_mb".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
