#include "harness/prompt.hpp"

#include <memory>

#include "core/sha256.hpp"
#include "datasets/image_io.hpp"

namespace lmmbench::harness {

std::string render_prompt(const std::string& template_text, const datasets::Sample& sample) {
  std::string out;
  out.reserve(template_text.size() + sample.question.size());
  for (std::size_t i = 0; i < template_text.size(); ++i) {
    const char c = template_text[i];
    if ((c == '{' || c == '}') && i + 1 < template_text.size() && template_text[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const auto close = template_text.find('}', i);
    const std::string name = template_text.substr(i + 1, close - i - 1);
    if (name == "question") {
      out += sample.question;
    } else if (name == "category") {
      out += sample.category;
    } else if (name == "options") {
      for (std::size_t k = 0; k < sample.options.size(); ++k) {
        if (k > 0) out += '\n';
        out += datasets::option_letter(k);
        out += ". ";
        out += sample.options[k];
      }
    } else if (name.starts_with("meta.")) {
      const auto it = sample.meta.find(name.substr(5));
      if (it != sample.meta.end()) out += it->is_string() ? it->get<std::string>() : it->dump();
    }
    i = close;
  }
  return out;
}

models::Request build_request(const TaskConfig& task, const datasets::Sample& sample) {
  models::Request request;
  request.task = task.name;
  request.sample_id = sample.id;
  request.system_prompt = task.prompt.system;
  request.params = task.generation;
  std::vector<models::ContentPart> images;
  if (task.prompt.image_placement != PromptConfig::ImagePlacement::none) {
    for (const auto& image : sample.images) {
      auto bytes = std::make_shared<const std::string>(datasets::read_file_bytes(image.path));
      std::string digest = sha256_hex(*bytes);
      images.emplace_back(models::ImagePart{std::move(bytes), image.mime_type, std::move(digest),
                                            image.path.string()});
    }
  }
  models::TextPart text{render_prompt(task.prompt.template_text, sample)};
  if (task.prompt.image_placement == PromptConfig::ImagePlacement::after) {
    request.content.emplace_back(std::move(text));
    for (auto& part : images)
      request.content.push_back(std::move(part));
  } else {
    request.content = std::move(images);
    request.content.emplace_back(std::move(text));
  }
  return request;
}

std::string prompt_sha256(const models::Request& request) {
  Sha256 hash;
  // Length-prefixed fields, so no two different prompts serialise to the same bytes.
  auto field = [&hash](std::string_view tag, std::string_view value) {
    hash.update(tag).update(std::to_string(value.size())).update(":").update(value);
  };
  field("system", request.system_prompt);
  for (const auto& part : request.content) {
    if (const auto* text = std::get_if<models::TextPart>(&part)) {
      field("text", text->text);
    } else {
      const auto& image = std::get<models::ImagePart>(part);
      field("image", image.mime_type + " " + image.sha256);
    }
  }
  return hash.hex_digest();
}

std::string params_sha256(const models::GenerationParams& params) {
  return sha256_hex(nlohmann::json(params).dump());
}

}  // namespace lmmbench::harness
