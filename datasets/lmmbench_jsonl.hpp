#pragma once

#include <filesystem>
#include <memory>

#include "datasets/loader.hpp"

namespace lmmbench::datasets {

/// The project's own dataset format, one JSON object per line:
///
///   {"id": "q1", "images": ["images/q1.png"], "question": "...", "answers": ["red", ...],
///    "options": ["red", "blue"], "category": "colour", "meta": {"question_type": "what color"}}
///
/// `id` and `question` are required; `images` (paths relative to `image_root`, default the
/// file's directory), `answers`, `options`, `category` and `meta` are optional. Every image must
/// exist and be decodable; ids must be unique. Samples keep file order.
class LmmbenchJsonlLoader final : public Loader {
 public:
  struct Options {
    std::filesystem::path path;
    std::filesystem::path image_root;  ///< Empty: the directory of `path`.
    bool verify_images = true;         ///< Decode each image's header while loading.
  };

  explicit LmmbenchJsonlLoader(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Dataset load() const override;

  /// Registry factory: options "path" (required), "image_root", "verify_images".
  static std::unique_ptr<Loader> create(ObjectReader& options);

 private:
  Options options_;
};

}  // namespace lmmbench::datasets
