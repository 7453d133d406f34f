#include "harness/prompt.hpp"

#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/sha256.hpp"
#include "datasets/image_fit.hpp"
#include "datasets/image_io.hpp"

namespace lmmbench::harness {

namespace {

/// The text a placeholder stands for.
std::string placeholder_value(const std::string& name, const datasets::Sample& sample) {
  if (name == "question") return sample.question;
  if (name == "category") return sample.category;
  if (name == "options") {
    std::string out;
    for (std::size_t k = 0; k < sample.options.size(); ++k) {
      if (k > 0) out += '\n';
      out += datasets::option_letter(k);
      out += ". ";
      out += sample.options[k];
    }
    return out;
  }
  if (name.starts_with("meta.")) {
    const auto it = sample.meta.find(name.substr(5));
    if (it != sample.meta.end() && !it->is_null()) {
      return it->is_string() ? it->get<std::string>() : it->dump();
    }
  }
  return {};
}

/// Whether an "{if ...}" section is kept: CONDITION is NAME (kept when its value is not empty),
/// !NAME (when it is empty), NAME=VALUE (when it equals VALUE; two numbers compare by value, so
/// a parquet float column's "1.0" equals "1") or !NAME=VALUE.
bool section_kept(std::string_view condition, const datasets::Sample& sample) {
  const bool negated = condition.starts_with('!');
  if (negated) condition.remove_prefix(1);
  const std::size_t eq = condition.find('=');
  bool holds = false;
  if (eq == std::string_view::npos) {
    holds = !placeholder_value(std::string(condition), sample).empty();
  } else {
    const std::string value = placeholder_value(std::string(condition.substr(0, eq)), sample);
    const std::string wanted(condition.substr(eq + 1));
    holds = value == wanted;
    if (!holds && !value.empty() && !wanted.empty()) {
      char* value_end = nullptr;
      char* wanted_end = nullptr;
      const double a = std::strtod(value.c_str(), &value_end);
      const double b = std::strtod(wanted.c_str(), &wanted_end);
      holds = *value_end == '\0' && *wanted_end == '\0' && a == b;
    }
  }
  return holds != negated;
}

}  // namespace

std::string render_prompt(const std::string& template_text, const datasets::Sample& sample) {
  std::string out;
  out.reserve(template_text.size() + sample.question.size());
  std::size_t skipped_levels = 0;  // open {if} sections whose condition (or an outer one) failed
  std::size_t open_levels = 0;
  for (std::size_t i = 0; i < template_text.size(); ++i) {
    const char c = template_text[i];
    if ((c == '{' || c == '}') && i + 1 < template_text.size() && template_text[i + 1] == c) {
      if (skipped_levels == 0) out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      if (skipped_levels == 0) out += c;
      continue;
    }
    const auto close = template_text.find('}', i);
    const std::string name = template_text.substr(i + 1, close - i - 1);
    i = close;
    if (name.starts_with("if ")) {
      ++open_levels;
      if (skipped_levels > 0 || !section_kept(std::string_view(name).substr(3), sample))
        ++skipped_levels;
    } else if (name == "end") {
      if (skipped_levels > 0) --skipped_levels;
      if (open_levels > 0) --open_levels;
    } else if (skipped_levels == 0) {
      out += placeholder_value(name, sample);
    }
  }
  return out;
}

models::Request build_request(const TaskConfig& task, const datasets::Sample& sample,
                              const models::Capabilities& capabilities) {
  models::Request request;
  request.task = task.name;
  request.sample_id = sample.id;
  request.system_prompt = task.prompt.system;
  request.params = task.generation;
  datasets::ImageLimits limits{capabilities.image_mime_types, capabilities.max_image_side,
                               capabilities.max_image_bytes, /*validate=*/true};
  std::vector<models::ContentPart> images;
  if (task.prompt.image_placement != PromptConfig::ImagePlacement::none) {
    for (const auto& image : sample.images) {
      std::string source = image.path.string();
      if (image.base64_length > 0) source += "@" + std::to_string(image.base64_offset);
      std::string problem;
      limits.max_pixels = image.max_pixels;
      auto fitted = datasets::fit_image(datasets::read_image_bytes(image), image.mime_type, limits,
                                        source, problem);
      if (!fitted) throw ImageDoesNotFit(source + ": " + problem);
      auto bytes = std::make_shared<const std::string>(std::move(fitted->bytes));
      std::string digest = sha256_hex(*bytes);
      images.emplace_back(models::ImagePart{std::move(bytes), std::move(fitted->mime_type),
                                            std::move(digest), std::move(source)});
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

PreparedRequest prepare_request(const TaskConfig& task, const datasets::Sample& sample,
                                const models::Capabilities& capabilities) {
  PreparedRequest out;
  if (!sample.error.empty()) {
    out.failure = models::Completion::failure(models::ErrorKind::invalid_input, sample.error);
    return out;
  }
  try {
    out.request = build_request(task, sample, capabilities);
  } catch (const ImageDoesNotFit& e) {
    out.failure = models::Completion::failure(models::ErrorKind::unsupported, e.what());
  } catch (const InputError& e) {
    out.failure = models::Completion::failure(models::ErrorKind::invalid_input, e.what());
  }
  return out;
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
