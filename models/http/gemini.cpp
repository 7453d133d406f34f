// Google Gemini API, generateContent and streamGenerateContent.
//
// Request and reply formats: Gemini API reference, "Generating content"
// (POST {base}/models/{model}:generateContent; streaming: :streamGenerateContent?alt=sse, one
// GenerateContentResponse per server-sent event and no end sentinel — the last chunk carries the
// candidate's finishReason and usageMetadata). Images as parts {"inline_data": {"mime_type":
// "image/png", "data": BASE64}} ("Image understanding", "Passing images inline"); the system
// prompt as "system_instruction"; decoding in "generationConfig" (maxOutputTokens, temperature,
// topP, stopSequences, seed). The key goes in the x-goog-api-key header (API reference,
// "Authentication"). A blocked prompt has promptFeedback.blockReason and no candidates; errors
// are {"error": {"code", "message", "status", "details": [..., {"@type":
// "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}]}}.
#include <algorithm>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/json_source.hpp"
#include "models/http/http_backend.hpp"

namespace lmmbench::models::http {

namespace {

Finish finish_of(const std::string& reason) {
  if (reason == "MAX_TOKENS") return Finish::length;
  if (reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" ||
      reason == "PROHIBITED_CONTENT" || reason == "SPII" || reason == "IMAGE_SAFETY") {
    return Finish::refused;
  }
  if (reason.empty() || reason == "FINISH_REASON_UNSPECIFIED") return Finish::none;
  return Finish::stop;  // STOP, OTHER, LANGUAGE, ...
}

/// Folds one GenerateContentResponse into `reply`; returns whether it carried a candidate.
bool fold(const nlohmann::json& json, Reply& reply) {
  if (!json.is_object()) throw MalformedReply("the reply is not a JSON object");
  if (const auto usage = json.find("usageMetadata"); usage != json.end() && usage->is_object()) {
    if (auto p = int_field(*usage, "promptTokenCount")) reply.usage.prompt_tokens = p;
    // Thinking tokens are billed as output tokens.
    const auto candidates = int_field(*usage, "candidatesTokenCount");
    const auto thoughts = int_field(*usage, "thoughtsTokenCount");
    if (candidates || thoughts) {
      reply.usage.completion_tokens = candidates.value_or(0) + thoughts.value_or(0);
    }
  }
  if (const auto feedback = json.find("promptFeedback");
      feedback != json.end() && feedback->is_object() && feedback->contains("blockReason")) {
    reply.finish = Finish::refused;
    reply.finish_reason = "blockReason";
    reply.refusal = (*feedback)["blockReason"].is_string()
                        ? (*feedback)["blockReason"].get<std::string>()
                        : (*feedback)["blockReason"].dump();
    reply.stream_complete = true;
    return false;
  }
  const auto candidates = json.find("candidates");
  if (candidates == json.end() || !candidates->is_array() || candidates->empty()) return false;
  const auto& candidate = (*candidates)[0];
  if (!candidate.is_object()) throw MalformedReply("candidates[0] is not an object");
  if (const auto content = candidate.find("content");
      content != candidate.end() && content->is_object()) {
    for (const auto& part : content->value("parts", nlohmann::json::array())) {
      // Thought summaries are not the answer.
      if (part.is_object() && part.contains("text") && part["text"].is_string() &&
          !(part.contains("thought") && part["thought"].is_boolean() &&
            part["thought"].get<bool>())) {
        reply.text += part["text"].get<std::string>();
      }
    }
  }
  if (candidate.contains("finishReason") && candidate["finishReason"].is_string()) {
    reply.finish_reason = candidate["finishReason"].get<std::string>();
    reply.finish = finish_of(reply.finish_reason);
    if (reply.finish != Finish::none) reply.stream_complete = true;
  }
  return true;
}

/// Whether candidates[0] of a (well-formed, already folded) chunk has non-empty thought text.
bool has_thought_text(const nlohmann::json& json) {
  const auto& candidate = json["candidates"][0];
  const auto content = candidate.find("content");
  if (content == candidate.end() || !content->is_object()) return false;
  const auto parts = content->find("parts");
  if (parts == content->end() || !parts->is_array()) return false;
  return std::any_of(parts->begin(), parts->end(), [](const nlohmann::json& part) {
    return part.is_object() && part.contains("thought") && part["thought"].is_boolean() &&
           part["thought"].get<bool>() && part.contains("text") && part["text"].is_string() &&
           !part["text"].get_ref<const std::string&>().empty();
  });
}

class GeminiDialect final : public Dialect {
 public:
  explicit GeminiDialect(ObjectReader& options) {
    if (const auto budget = options.find("thinking_budget")) thinking_budget_ = budget->as_int(-1);
  }

  [[nodiscard]] std::string url(const Endpoint& e, bool stream) const override {
    return stream ? fmt::format("{}/models/{}:streamGenerateContent?alt=sse", e.base_url, e.model)
                  : fmt::format("{}/models/{}:generateContent", e.base_url, e.model);
  }

  [[nodiscard]] std::vector<std::string> headers(const Endpoint& e) const override {
    std::vector<std::string> h{"Content-Type: application/json"};
    if (!e.api_key.empty()) h.push_back("x-goog-api-key: " + e.api_key);
    return h;
  }

  [[nodiscard]] nlohmann::json body(const Request& r, const Endpoint&, bool) const override {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& part : r.content) {
      if (const auto* text = std::get_if<TextPart>(&part)) {
        parts.push_back({{"text", text->text}});
      } else {
        const auto& image = std::get<ImagePart>(part);
        parts.push_back(
            {{"inline_data",
              {{"mime_type", image.mime_type}, {"data", base64_encode(*image.bytes)}}}});
      }
    }
    nlohmann::json config{{"maxOutputTokens", r.params.max_tokens},
                          {"temperature", r.params.temperature}};
    if (r.params.top_p != 1.0) config["topP"] = r.params.top_p;
    if (!r.params.stop.empty()) config["stopSequences"] = r.params.stop;
    if (r.params.seed) config["seed"] = *r.params.seed;
    if (thinking_budget_) config["thinkingConfig"] = {{"thinkingBudget", *thinking_budget_}};
    nlohmann::json body{{"contents", {{{"role", "user"}, {"parts", std::move(parts)}}}},
                        {"generationConfig", std::move(config)}};
    if (!r.system_prompt.empty()) {
      body["system_instruction"] = {{"parts", {{{"text", r.system_prompt}}}}};
    }
    return body;
  }

  [[nodiscard]] Reply parse_reply(const nlohmann::json& json) const override {
    Reply reply;
    if (!fold(json, reply) && reply.finish != Finish::refused) {
      throw MalformedReply("the reply has neither candidates nor promptFeedback.blockReason");
    }
    return reply;
  }

  bool on_event(const SseEvent& event, Reply& reply) const override {
    const auto json = parse_json_or_discarded(event.data);
    if (json.is_discarded()) {
      throw MalformedReply("a stream event is not JSON: " + event.data.substr(0, 200));
    }
    if (json.is_object() && json.contains("error")) {
      throw MalformedReply("the server reported an error inside the stream: " +
                           error_message(json));
    }
    // A token event carries output (answer or thought text), as in the OpenAI dialect; a chunk
    // with only a finish reason or usage metadata is not one.
    const std::size_t before = reply.text.size();
    return fold(json, reply) && (reply.text.size() > before || has_thought_text(json));
  }

  [[nodiscard]] std::optional<Nanos> retry_hint(const nlohmann::json& body) const override {
    if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) {
      return std::nullopt;
    }
    for (const auto& detail : body["error"].value("details", nlohmann::json::array())) {
      if (!detail.is_object() || !detail.contains("retryDelay") ||
          !detail["retryDelay"].is_string()) {
        continue;
      }
      const std::string delay = detail["retryDelay"].get<std::string>();  // e.g. "30s", "1.5s"
      char* end = nullptr;
      const double seconds = std::strtod(delay.c_str(), &end);
      if (end != delay.c_str() && std::string_view(end) == "s") return server_wait(seconds);
    }
    return std::nullopt;
  }

  [[nodiscard]] bool rejects_credentials(long status, const nlohmann::json& body) const override {
    // A bad key is 400 INVALID_ARGUMENT with an ErrorInfo detail {"reason": "API_KEY_INVALID",
    // "domain": "googleapis.com"} ("API key not valid. Please pass a valid API key.", as the
    // API answers; reported e.g. in google-gemini/gemini-cli issue 25198).
    if (status != 400 || !body.is_object() || !body.contains("error") ||
        !body["error"].is_object()) {
      return false;
    }
    const auto details = body["error"].value("details", nlohmann::json::array());
    return details.is_array() &&
           std::any_of(details.begin(), details.end(), [](const nlohmann::json& detail) {
             return string_member(detail, "reason") == "API_KEY_INVALID";
           });
  }

  [[nodiscard]] nlohmann::json fingerprint_options() const override {
    return {{"thinking_budget",
             thinking_budget_ ? nlohmann::json(*thinking_budget_) : nlohmann::json()}};
  }

 private:
  std::optional<std::int64_t> thinking_budget_;
};

}  // namespace

std::unique_ptr<Dialect> gemini_dialect(ObjectReader& options) {
  return std::make_unique<GeminiDialect>(options);
}

std::unique_ptr<Backend> create_gemini(ObjectReader& options, const BackendContext& context) {
  // Inline data counts towards the 20 MB request limit ("Image understanding"), so one image may
  // hold at most ~15 MB before base64; up to 3,600 images per request.
  Capabilities caps;
  caps.max_images_per_request = 3600;
  caps.max_image_bytes = std::size_t{15} << 20;
  // "Image understanding": PNG, JPEG, WEBP, HEIC and HEIF (lmmbench decodes none of the last two).
  caps.image_mime_types = {"image/png", "image/jpeg", "image/webp"};
  Endpoint endpoint =
      read_endpoint(options, "gemini", "https://generativelanguage.googleapis.com/v1beta", caps);
  if (endpoint.model.empty()) options.required("model");
  auto dialect = std::make_unique<GeminiDialect>(options);
  options.finish();
  return std::make_unique<HttpBackend>(std::move(endpoint), std::move(dialect), context.clock);
}

}  // namespace lmmbench::models::http
