#include "harness/perf/workload.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "datasets/image_io.hpp"
#include "harness/prompt.hpp"
#include "harness/task_loading.hpp"

namespace lmmbench::harness::perf {

namespace {

// Short, frequent English words: one token each in the Llama / Vicuna vocabulary (leading space
// included), so N words make about N prompt tokens.
constexpr std::array<const char*, 64> kWords = {
    "the",  "of",    "and",   "to",   "in",   "is",    "you",   "that",  "it",   "he",    "was",
    "for",  "on",    "are",   "as",   "with", "his",   "they",  "at",    "be",   "this",  "have",
    "from", "or",    "one",   "had",  "by",   "word",  "but",   "not",   "what", "all",   "were",
    "we",   "when",  "your",  "can",  "said", "there", "use",   "an",    "each", "which", "she",
    "do",   "how",   "their", "if",   "will", "up",    "other", "about", "out",  "many",  "then",
    "them", "these", "so",    "some", "her",  "would", "make",  "like",  "him"};

std::shared_ptr<const std::string> noise_image(std::mt19937_64& rng, const SyntheticWorkload& w,
                                               std::string& mime) {
  datasets::RgbImage image;
  image.width = w.image_width;
  image.height = w.image_height;
  image.pixels.resize(static_cast<std::size_t>(w.image_width) *
                      static_cast<std::size_t>(w.image_height) * 3);
  for (std::size_t i = 0; i < image.pixels.size(); i += 8) {
    const std::uint64_t bits = rng();
    for (std::size_t b = 0; b < 8 && i + b < image.pixels.size(); ++b)
      image.pixels[i + b] = static_cast<std::uint8_t>(bits >> (8 * b));
  }
  if (w.image_format == "png") {
    mime = "image/png";
    return std::make_shared<const std::string>(datasets::encode_png(image));
  }
  mime = "image/jpeg";
  return std::make_shared<const std::string>(datasets::encode_jpeg(image, 90));
}

}  // namespace

std::vector<models::Request> synthetic_requests(const SyntheticWorkload& w, std::size_t count) {
  if (w.image_format != "jpeg" && w.image_format != "png") {
    throw InputError(Location{"--image-format", 0, ""},
                     fmt::format("'{}' is not jpeg or png", w.image_format));
  }
  if (w.images > 0 && (w.image_width < 1 || w.image_height < 1)) {
    throw InputError(Location{"--image-size", 0, ""}, "image sides must be >= 1 pixel");
  }
  if (w.output_tokens < 1) {
    throw InputError(Location{"--output-tokens", 0, ""}, "must be >= 1");
  }
  std::mt19937_64 rng(w.seed);
  std::vector<models::Request> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    models::Request r;
    r.task = "synthetic";
    r.sample_id = fmt::format("synthetic-{}", i);
    for (std::size_t k = 0; k < w.images; ++k) {
      models::ImagePart image;
      image.bytes = noise_image(rng, w, image.mime_type);
      image.sha256 = sha256_hex(*image.bytes);
      image.source =
          fmt::format("synthetic noise {}x{} #{}.{}", w.image_width, w.image_height, i, k);
      r.content.emplace_back(std::move(image));
    }
    std::string text;
    for (std::int64_t t = 0; t < w.prompt_tokens; ++t) {
      if (t > 0) text += ' ';
      text += kWords[rng() % kWords.size()];
    }
    r.content.emplace_back(models::TextPart{std::move(text)});
    r.params.max_tokens = w.output_tokens;
    r.params.temperature = 0.0;
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::json describe(const SyntheticWorkload& w) {
  return {{"kind", "synthetic"},
          {"images", w.images},
          {"image_width", w.image_width},
          {"image_height", w.image_height},
          {"image_format", w.image_format},
          {"prompt_tokens", w.prompt_tokens},
          {"output_tokens", w.output_tokens},
          {"seed", w.seed}};
}

std::vector<models::Request> task_requests(const TaskConfig& task,
                                           const models::Capabilities& capabilities,
                                           std::size_t count, std::uint64_t seed,
                                           std::optional<std::int64_t> max_tokens,
                                           std::size_t& skipped) {
  const LoadedTask loaded = load_task(task, SampleSelection{});
  std::vector<models::Request> pool;
  skipped = 0;
  for (const auto& sample : loaded.selected) {
    auto prepared = prepare_request(task, sample, capabilities);
    if (!prepared.request) {
      ++skipped;
      continue;
    }
    if (max_tokens) prepared.request->params.max_tokens = *max_tokens;
    pool.push_back(std::move(*prepared.request));
  }
  if (pool.empty()) {
    throw InputError(task.where, fmt::format("task '{}' has no sample that makes a request ({} "
                                             "skipped: unreadable or unfittable images)",
                                             task.name, skipped));
  }
  std::mt19937_64 rng(seed);
  std::vector<models::Request> out;
  out.reserve(count);
  std::vector<std::size_t> order(pool.size());
  while (out.size() < count) {
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    // Fisher-Yates with the standard engine only (std::shuffle's use of it is unspecified).
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[rng() % i]);
    for (std::size_t i = 0; i < order.size() && out.size() < count; ++i)
      out.push_back(pool[order[i]]);
  }
  return out;
}

}  // namespace lmmbench::harness::perf
