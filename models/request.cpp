#include "models/request.hpp"

#include "core/json_fields.hpp"

namespace lmmbench::models {

template <class S, class F>
requires json_fields::Record<S, GenerationParams>
void visit(S& p, F&& f) {
  f("max_tokens", p.max_tokens);
  f("temperature", p.temperature);
  f("top_p", p.top_p);
  f("stop", p.stop);
  f("seed", p.seed);
}

void to_json(nlohmann::json& j, const GenerationParams& p) {
  json_fields::write(j, p);
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
