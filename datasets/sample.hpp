#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lmmbench::datasets {

/// The default decoding budget of an image, in pixels: Pillow's Image.MAX_IMAGE_PIXELS
/// (89,478,485, about 0.25 GiB of 24-bit pixels), above which Pillow warns of a "decompression
/// bomb" (and refuses above twice that; Pillow 5.0.0 release notes). An image above the budget is
/// refused before it is decoded.
inline constexpr std::uint64_t kDefaultMaxImagePixels = 89'478'485;

/// An image that belongs to a sample. The loader reads each file once (ImageAttacher): it keeps
/// the bytes in `data` while the dataset's image memory budget lasts, and records their SHA-256,
/// so a request uses the very bytes that were checked; an image past the budget is read again
/// when a request needs it (read_image_bytes in image_io.hpp), beneath `root`, and must still
/// have that hash.
struct ImageRef {
  std::filesystem::path path;  ///< The image file (absolute or relative to the working directory),
                               ///< or the file that holds its base64 text (see base64_length).
  std::string mime_type;       ///< "image/png", "image/jpeg", ...; from the content when probed,
                               ///< else from the file name.
  /// When base64_length > 0 the image is the base64 text at bytes [base64_offset, base64_offset +
  /// base64_length) of `path` (a VLMEvalKit TSV cell), decoded when a request needs it.
  std::uint64_t base64_offset = 0;
  std::uint64_t base64_length = 0;
  /// What the loader's probe of the image header found; 0 when it did not probe.
  int width = 0;
  int height = 0;
  std::uint64_t bytes = 0;  ///< Encoded size in bytes.
  /// The dataset's image root (canonical) and the image's path beneath it with every symbolic
  /// link resolved: a later read opens exactly this, following no link (file_beneath.hpp).
  /// Empty when the image is not a file under a dataset root (base64 slices, hand-made refs).
  std::filesystem::path root{};
  std::filesystem::path beneath{};
  std::string sha256{};  ///< Of the encoded bytes as loaded; empty when not read at load.
  /// The encoded bytes, shared by every request that sends the image; null when not kept.
  std::shared_ptr<const std::string> data{};
  /// The most pixels (width x height) decoding this image may produce (ImageOptions::max_pixels).
  std::uint64_t max_pixels = kDefaultMaxImagePixels;

  /// Equal when every field is, `data` included: the same kept copy of the bytes (a loader
  /// gives every record that names one image the same copy).
  friend bool operator==(const ImageRef&, const ImageRef&) = default;
};

/// One benchmark item, format-independent. Loaders fill it; the harness turns it into a Request
/// (prompt template) and a metrics::ScoringItem (gold answers). Plain value type.
struct Sample {
  std::string id;                       ///< Unique within its dataset; stable across runs.
  std::vector<ImageRef> images;         ///< In prompt order; may be empty (text-only items).
  std::string question;                 ///< The question text as the benchmark gives it.
  std::vector<std::string> references;  ///< Gold answers: VQA's 10 human answers, or one gold
                                        ///< answer / option letter / yes-no label.
  std::vector<std::string> options;     ///< Multiple-choice option texts, option A first;
                                        ///< empty for open questions.
  std::string category;                 ///< Breakdown key (question family, benchmark split, ...).
  nlohmann::json meta = nlohmann::json::object();  ///< Format-specific extras, always an object
                                                   ///< (question_type, answer_type, hint, ...).
  /// Non-empty when this sample's own input is unusable (an image that is missing, corrupt, or
  /// whose path escapes the dataset root): "file:line: field ...: what". The harness records it
  /// as the sample's failure (ErrorKind::invalid_input) without asking a model; the rest of the
  /// dataset runs.
  std::string error;
};

/// A loaded dataset: its samples in a fixed, deterministic order, plus what identifies its bytes.
struct Dataset {
  std::string name;
  std::vector<Sample> samples;
  /// Every file the samples were read from (question files, annotation files, images), sorted.
  std::vector<std::filesystem::path> files;
  /// The directory the manifest names files relative to (the dataset's top directory); empty:
  /// the directory of the first file.
  std::filesystem::path root;
};

/// The option letter for index i (0 -> 'A').
inline char option_letter(std::size_t index) {
  return static_cast<char>('A' + index);
}

}  // namespace lmmbench::datasets
