#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lmmbench::datasets {

/// An image that belongs to a sample. The bytes stay on disk until a request needs them
/// (read_image_bytes), so loading a dataset never holds every image in memory.
struct ImageRef {
  std::filesystem::path path;  ///< Absolute or relative to the working directory.
  std::string mime_type;       ///< "image/png", "image/jpeg", ...; from the file name.

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
};

/// A loaded dataset: its samples in a fixed, deterministic order, plus what identifies its bytes.
struct Dataset {
  std::string name;
  std::vector<Sample> samples;
  /// Every file the samples were read from (question files, annotation files, images), sorted.
  std::vector<std::filesystem::path> files;
};

/// The option letter for index i (0 -> 'A').
inline char option_letter(std::size_t index) {
  return static_cast<char>('A' + index);
}

}  // namespace lmmbench::datasets
