// Anthropic Messages API.
//
// Request and reply formats: Anthropic API reference, "Messages" (POST {base}/messages with the
// x-api-key and anthropic-version headers); images as content blocks {"type": "image", "source":
// {"type": "base64", "media_type": "image/png", "data": BASE64}} ("Vision", "Base64-encoded
// image example"); the system prompt as top-level "system"; "stop_sequences"; no seed parameter.
// Replies: "content" blocks of type "text", "stop_reason" (end_turn, max_tokens, stop_sequence,
// refusal, ...), "usage" {input_tokens, output_tokens, cache_*_input_tokens}. Streaming
// ("Streaming Messages"): named events message_start, content_block_start, content_block_delta
// (text_delta), content_block_stop, message_delta (stop_reason, cumulative usage), message_stop,
// ping, and error. Limits ("Vision"): up to 100 images per API request, 5 MB per image, 8000 px
// per side (2000 px when a request has more than 20 images).
#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/json_source.hpp"
#include "models/http/http_backend.hpp"

namespace lmmbench::models::http {

namespace {

/// Input tokens include cache writes and reads, as they are all part of the prompt.
void read_usage(const nlohmann::json& usage, Reply& reply) {
  if (!usage.is_object()) return;
  if (const auto input = int_field(usage, "input_tokens")) {
    reply.usage.prompt_tokens = *input +
                                int_field(usage, "cache_creation_input_tokens").value_or(0) +
                                int_field(usage, "cache_read_input_tokens").value_or(0);
  }
  if (const auto output = int_field(usage, "output_tokens")) {
    reply.usage.completion_tokens = output;
  }
}

void read_stop(const nlohmann::json& object, Reply& reply) {
  if (!object.contains("stop_reason") || !object["stop_reason"].is_string()) return;
  reply.finish_reason = object["stop_reason"].get<std::string>();
  reply.finish = reply.finish_reason == "max_tokens" ? Finish::length
                 : reply.finish_reason == "refusal"  ? Finish::refused
                                                     : Finish::stop;
}

class AnthropicDialect final : public Dialect {
 public:
  explicit AnthropicDialect(ObjectReader& options)
      : version_(options.get_string("anthropic_version", "2023-06-01")) {}

  [[nodiscard]] std::string url(const Endpoint& e, bool) const override {
    return e.base_url + "/messages";
  }

  [[nodiscard]] std::vector<std::string> headers(const Endpoint& e) const override {
    std::vector<std::string> h{"Content-Type: application/json", "anthropic-version: " + version_};
    if (!e.api_key.empty()) h.push_back("x-api-key: " + e.api_key);
    return h;
  }

  [[nodiscard]] nlohmann::json body(const Request& r, const Endpoint& e,
                                    bool stream) const override {
    nlohmann::json content = nlohmann::json::array();
    for (const auto& part : r.content) {
      if (const auto* text = std::get_if<TextPart>(&part)) {
        content.push_back({{"type", "text"}, {"text", text->text}});
      } else {
        const auto& image = std::get<ImagePart>(part);
        content.push_back({{"type", "image"},
                           {"source",
                            {{"type", "base64"},
                             {"media_type", image.mime_type},
                             {"data", base64_encode(*image.bytes)}}}});
      }
    }
    nlohmann::json body{{"model", e.model},
                        {"max_tokens", r.params.max_tokens},
                        {"messages", {{{"role", "user"}, {"content", std::move(content)}}}},
                        {"temperature", r.params.temperature}};
    // Recent models reject temperature and top_p together; top_p is sent only when it matters.
    if (r.params.top_p != 1.0) body["top_p"] = r.params.top_p;
    if (!r.system_prompt.empty()) body["system"] = r.system_prompt;
    if (!r.params.stop.empty()) body["stop_sequences"] = r.params.stop;
    if (stream) body["stream"] = true;
    return body;
  }

  [[nodiscard]] Reply parse_reply(const nlohmann::json& json) const override {
    if (!json.is_object()) throw MalformedReply("the reply is not a JSON object");
    const auto content = json.find("content");
    if (content == json.end() || !content->is_array()) {
      throw MalformedReply("the reply has no content array");
    }
    Reply reply;
    for (const auto& block : *content) {
      if (block.is_object() && string_member(block, "type") == "text" && block.contains("text") &&
          block["text"].is_string()) {
        reply.text += block["text"].get<std::string>();
      }
    }
    read_stop(json, reply);
    read_usage(json.value("usage", nlohmann::json()), reply);
    return reply;
  }

  bool on_event(const SseEvent& event, Reply& reply) const override {
    const auto json = parse_json_or_discarded(event.data);
    if (json.is_discarded() || !json.is_object()) {
      throw MalformedReply("a stream event is not a JSON object: " + event.data.substr(0, 200));
    }
    const std::string type = event.event.empty() ? string_member(json, "type") : event.event;
    if (type == "error") {
      throw MalformedReply("the server reported an error inside the stream: " +
                           error_message(json));
    }
    if (type == "message_start") {
      if (json.contains("message") && json["message"].is_object()) {
        read_usage(json["message"].value("usage", nlohmann::json()), reply);
      }
      return false;
    }
    if (type == "content_block_delta") {
      const auto& delta = json.value("delta", nlohmann::json::object());
      if (string_member(delta, "type") == "text_delta" && delta.contains("text") &&
          delta["text"].is_string()) {
        reply.text += delta["text"].get<std::string>();
      }
      return true;
    }
    if (type == "message_delta") {
      if (json.contains("delta") && json["delta"].is_object()) read_stop(json["delta"], reply);
      // message_delta's usage is cumulative; it may restate input_tokens.
      const auto usage = json.value("usage", nlohmann::json());
      if (usage.is_object()) {
        if (const auto output = int_field(usage, "output_tokens")) {
          reply.usage.completion_tokens = output;
        }
        if (usage.contains("input_tokens")) read_usage(usage, reply);
      }
      return false;
    }
    if (type == "message_stop") reply.stream_complete = true;
    return false;  // ping, content_block_start/stop, unknown future events
  }

  [[nodiscard]] nlohmann::json fingerprint_options() const override {
    return {{"anthropic_version", version_}};
  }

 private:
  std::string version_;
};

}  // namespace

std::unique_ptr<Dialect> anthropic_dialect(ObjectReader& options) {
  return std::make_unique<AnthropicDialect>(options);
}

std::unique_ptr<Backend> create_anthropic(ObjectReader& options, const BackendContext& context) {
  Capabilities caps;
  caps.max_images_per_request = 100;
  caps.max_image_bytes = 3'750'000;  // 5 MB once base64-encoded (4/3 larger)
  caps.max_image_side = 8000;
  // Messages API image sources: media_type image/jpeg, image/png, image/gif or image/webp.
  caps.image_mime_types = {"image/jpeg", "image/png", "image/gif", "image/webp"};
  Endpoint endpoint = read_endpoint(options, "anthropic", "https://api.anthropic.com/v1", caps);
  if (endpoint.model.empty()) options.required("model");
  auto dialect = std::make_unique<AnthropicDialect>(options);
  options.finish();
  return std::make_unique<HttpBackend>(std::move(endpoint), std::move(dialect), context.clock);
}

}  // namespace lmmbench::models::http
