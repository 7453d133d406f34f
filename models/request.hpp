#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace lmmbench::models {

/// A run of prompt text.
struct TextPart {
  std::string text;
};

/// An image, already read from disk. The bytes are shared so that retries and several backends can
/// reuse one buffer without copying.
struct ImagePart {
  std::shared_ptr<const std::string> bytes;  ///< Encoded file bytes (PNG, JPEG, ...).
  std::string mime_type;                     ///< "image/png", ...
  std::string sha256;                        ///< Hex digest of `bytes` (part of the prompt hash).
  std::string source;                        ///< Where the bytes came from, for logs.
};

/// One element of an interleaved multimodal prompt.
using ContentPart = std::variant<TextPart, ImagePart>;

/// Decoding parameters. Defaults are greedy decoding (temperature 0), as LLaVA's evaluation uses.
struct GenerationParams {
  std::int64_t max_tokens = 128;
  double temperature = 0.0;
  double top_p = 1.0;
  std::vector<std::string> stop;
  std::optional<std::uint64_t> seed;

  friend bool operator==(const GenerationParams&, const GenerationParams&) = default;
};

/// Canonical JSON (fixed key order) — hashed into the prediction-log key.
void to_json(nlohmann::json& j, const GenerationParams& p);

/// What the harness asks a backend to answer. Owned by value; moved into Backend::submit.
struct Request {
  std::string task;           ///< Task name, for backends that look up per-task data (baselines).
  std::string sample_id;      ///< The sample being answered.
  std::string system_prompt;  ///< Empty for none.
  std::vector<ContentPart> content;
  GenerationParams params;

  /// Number of image parts.
  [[nodiscard]] std::size_t image_count() const;
  /// The concatenated text parts (images left out), for logs and text-only backends.
  [[nodiscard]] std::string text() const;
};

}  // namespace lmmbench::models
