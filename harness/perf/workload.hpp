#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/config.hpp"
#include "models/backend.hpp"
#include "models/request.hpp"

/// The requests `lmmbench perf` sends: synthetic ones or a task's samples. Built entirely before
/// the first request is sent (images generated or read and encoded), so no data loading happens
/// inside a timed region.
namespace lmmbench::harness::perf {

/// Synthetic requests in the spirit of vLLM's `random-mm` dataset.
struct SyntheticWorkload {
  std::size_t images = 1;  ///< Per request.
  int image_width = 336;
  int image_height = 336;
  std::string image_format = "jpeg";  ///< "jpeg" (quality 90) or "png".
  /// Words of prompt text, drawn from a list of common English words that Llama-family
  /// tokenizers encode as one token each; the server's usage gives the exact count (image tokens
  /// included).
  std::int64_t prompt_tokens = 64;
  std::int64_t output_tokens = 128;  ///< max_tokens; exact only with ignore_eos.
  std::uint64_t seed = 0;
};

/// `count` distinct requests: each image is fresh uniform-random RGB noise (JPEG's worst case,
/// and no two alike, so a server's multimodal cache cannot serve one from another), each prompt
/// a fresh word sequence; the same seed gives byte-identical requests.
std::vector<models::Request> synthetic_requests(const SyntheticWorkload& workload,
                                                std::size_t count);

/// The description the run record keeps.
nlohmann::json describe(const SyntheticWorkload& workload);

/// `count` requests from a task's samples (its prompt template, images and generation
/// parameters; images fitted to `capabilities`): the selected samples in a seeded random order,
/// repeated as needed. `max_tokens`, when given, overrides the task's. Throws InputError when no
/// sample yields a request; samples that cannot (unreadable or unfittable image) are skipped and
/// counted in `skipped`.
std::vector<models::Request> task_requests(const TaskConfig& task,
                                           const models::Capabilities& capabilities,
                                           std::size_t count, std::uint64_t seed,
                                           std::optional<std::int64_t> max_tokens,
                                           std::size_t& skipped);

}  // namespace lmmbench::harness::perf
