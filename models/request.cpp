#include "models/request.hpp"

namespace lmmbench::models {

void to_json(nlohmann::json& j, const GenerationParams& p) {
  j = nlohmann::json::object();
  j["max_tokens"] = p.max_tokens;
  j["temperature"] = p.temperature;
  j["top_p"] = p.top_p;
  j["stop"] = p.stop;
  j["seed"] = p.seed ? nlohmann::json(*p.seed) : nlohmann::json();
}

std::size_t Request::image_count() const {
  std::size_t n = 0;
  for (const auto& part : content)
    n += std::holds_alternative<ImagePart>(part) ? 1 : 0;
  return n;
}

std::string Request::text() const {
  std::string out;
  for (const auto& part : content) {
    if (const auto* text = std::get_if<TextPart>(&part)) out += text->text;
  }
  return out;
}

}  // namespace lmmbench::models
