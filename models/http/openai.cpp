// OpenAI Chat Completions, as served by OpenAI, Azure OpenAI, vLLM, SGLang, TGI (Messages API),
// llama.cpp's server, Ollama (/v1) and LMDeploy.
//
// Request and reply formats: OpenAI API reference, "Create chat completion" (POST
// /v1/chat/completions) and "The chat completion chunk object"; images as content parts
// {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}} (OpenAI guide "Images
// and vision", "Passing a Base64 encoded image"). Streaming: server-sent events with one chunk per
// `data:` line, terminated by `data: [DONE]`; with stream_options.include_usage the last chunk
// before [DONE] has empty `choices` and the request's `usage`. Azure OpenAI: POST
// {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=..., key in the
// `api-key` header, prompt filtering answered as HTTP 400 with error.code "content_filter".
#include <array>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/json_cursor.hpp"
#include "core/json_source.hpp"
#include "models/http/http_backend.hpp"

namespace lmmbench::models::http {

namespace {

/// The characters of a JSON string as nlohmann's dump() writes them (ensure_ascii off; invalid
/// UTF-8 replaced by U+FFFD), without the quotes. ASCII is escaped here; a string with other
/// bytes goes through nlohmann, which knows what it does with them.
void append_json_string_body(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      const std::string dumped =
          nlohmann::json(std::string(s))
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out.append(dumped, 1, dumped.size() - 2);
      return;
    }
  }
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.substr(plain));
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_string_body(out, s);
  out += '"';
}

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  std::array<char, 24> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
  out.append(digits.data(), end);
}

/// A double as nlohmann writes it (shortest round-trip form, "0.0" for zero, null for NaN).
void append_number(std::string& out, double value) {
  out += nlohmann::json(value).dump();
}

void read_usage(const nlohmann::json& usage, Reply& reply) {
  if (!usage.is_object()) return;
  reply.usage.prompt_tokens = int_field(usage, "prompt_tokens");
  reply.usage.completion_tokens = int_field(usage, "completion_tokens");
}

Finish finish_of(const std::string& reason) {
  if (reason == "length") return Finish::length;
  if (reason == "content_filter") return Finish::refused;
  return Finish::stop;  // "stop", "tool_calls", "function_call", "eos", ...
}

/// A whole reply's finish from its finish_reason (when it has one as a string) and refusal.
void settle_finish(Reply& reply, bool has_finish_reason) {
  if (has_finish_reason) reply.finish = finish_of(reply.finish_reason);
  if (!reply.refusal.empty()) {
    reply.finish = Finish::refused;
    if (reply.finish_reason.empty()) reply.finish_reason = "refusal";
  }
}

// The fast path of a whole reply (try_parse_reply): each reader reads one value at the cursor
// into `reply` as parse_reply reads it from the DOM, and declines (false) whatever it would
// have to judge — another type, a repeated key, a number that is not a canonical integer.

/// `"key":` of an object member, the key checked against those already seen.
bool read_key(JsonCursor& c, std::string_view& key, std::string& scratch) {
  return c.read_string_view(key, scratch) && c.consume(':');
}

/// A string into `out`, or null (nothing).
bool read_optional_string(JsonCursor& c, std::string& out) {
  if (c.peek() == 'n') return c.read_null();
  return c.read_string(out);
}

bool read_usage(JsonCursor& c, Reply& reply) {
  if (c.peek() == 'n') return c.read_null();
  if (!c.consume('{')) return false;
  std::string_view key;
  std::string scratch;
  bool prompt = false;
  bool completion = false;
  for (bool first = true, done = false;; first = false) {
    if (!c.next('}', first, done)) return false;
    if (done) return true;
    if (!read_key(c, key, scratch)) return false;
    std::optional<std::int64_t>* slot = nullptr;
    if (key == "prompt_tokens") {
      if (std::exchange(prompt, true)) return false;
      slot = &reply.usage.prompt_tokens;
    } else if (key == "completion_tokens") {
      if (std::exchange(completion, true)) return false;
      slot = &reply.usage.completion_tokens;
    } else {
      if (!c.skip_value()) return false;
      continue;
    }
    if (c.peek() == 'n') {
      if (!c.read_null()) return false;
      continue;
    }
    std::string_view digits;
    std::int64_t value = 0;
    if (!c.read_canonical_integer(digits) ||
        std::from_chars(digits.data(), digits.data() + digits.size(), value).ec != std::errc()) {
      return false;
    }
    *slot = value;
  }
}

bool read_message(JsonCursor& c, Reply& reply) {
  if (!c.consume('{')) return false;
  std::string_view key;
  std::string scratch;
  bool content = false;
  bool refusal = false;
  for (bool first = true, done = false;; first = false) {
    if (!c.next('}', first, done)) return false;
    if (done) return true;
    if (!read_key(c, key, scratch)) return false;
    if (key == "content") {
      if (std::exchange(content, true) || !read_optional_string(c, reply.text)) return false;
    } else if (key == "refusal") {
      if (std::exchange(refusal, true) || !read_optional_string(c, reply.refusal)) return false;
    } else if (!c.skip_value()) {
      return false;
    }
  }
}

bool read_choice(JsonCursor& c, Reply& reply, bool& has_finish_reason) {
  if (!c.consume('{')) return false;
  std::string_view key;
  std::string scratch;
  bool message = false;
  bool finish_reason = false;
  for (bool first = true, done = false;; first = false) {
    if (!c.next('}', first, done)) return false;
    if (done) return message;
    if (!read_key(c, key, scratch)) return false;
    if (key == "message") {
      if (std::exchange(message, true) || !read_message(c, reply)) return false;
    } else if (key == "finish_reason") {
      if (std::exchange(finish_reason, true)) return false;
      if (c.peek() == 'n') {
        if (!c.read_null()) return false;
      } else {
        if (!c.read_string(reply.finish_reason)) return false;
        has_finish_reason = true;
      }
    } else if (!c.skip_value()) {
      return false;
    }
  }
}

bool read_choices(JsonCursor& c, Reply& reply, bool& has_finish_reason) {
  bool done = false;
  if (!c.consume('[') || !c.next(']', true, done) || done) return false;
  if (!read_choice(c, reply, has_finish_reason)) return false;
  while (true) {
    if (!c.next(']', false, done)) return false;
    if (done) return true;
    if (!c.skip_value()) return false;
  }
}

/// What one ordinary stream chunk says, read without a DOM (the fast path of on_event), to be
/// applied to the reply only once the whole chunk was read.
struct Chunk {
  bool has_usage = false;  ///< "usage" is an object.
  TokenUsage usage;
  bool has_choice = false;  ///< choices[0] exists (an object).
  std::string content;      ///< delta.content (null and absent read as "").
  bool has_content = false;
  std::string refusal;
  bool reasoning = false;   ///< A non-empty reasoning_content or reasoning.
  bool tool_calls = false;  ///< A non-empty tool_calls list.
  bool has_finish_reason = false;
  std::string finish_reason;

  /// Folds the chunk into `reply` as on_event does with the DOM; returns whether it was a token
  /// event.
  bool apply(Reply& reply) const {
    if (has_usage) reply.usage = usage;
    if (!has_choice) return false;
    bool output = false;
    if (has_content) {
      output = !content.empty();
      reply.text += content;
    }
    output = output || !refusal.empty() || reasoning || tool_calls;
    reply.refusal += refusal;
    if (has_finish_reason) {
      reply.finish_reason = finish_reason;
      reply.finish = reply.refusal.empty() ? finish_of(reply.finish_reason) : Finish::refused;
      reply.stream_complete = !reply.finish_reason.empty();
    }
    return output;
  }
};

/// Whether the string or null at the cursor is a non-empty string; anything else is skipped (the
/// DOM path ignores it).
bool read_is_nonempty_string(JsonCursor& c, bool& nonempty) {
  if (c.peek() != '"') {
    nonempty = false;
    return c.skip_value();
  }
  std::string_view text;
  std::string scratch;
  if (!c.read_string_view(text, scratch)) return false;
  nonempty = !text.empty();
  return true;
}

bool read_delta(JsonCursor& c, Chunk& chunk) {
  if (c.peek() != '{') return c.skip_value();  // not an object: ignored
  if (!c.consume('{')) return false;
  std::string_view key;
  std::string scratch;
  bool refusal = false;
  bool reasoning_content = false;
  bool reasoning = false;
  bool tool_calls = false;
  for (bool first = true, done = false;; first = false) {
    if (!c.next('}', first, done)) return false;
    if (done) return true;
    if (!read_key(c, key, scratch)) return false;
    if (key == "content") {
      if (std::exchange(chunk.has_content, true)) return false;
      if (!read_optional_string(c, chunk.content)) return false;  // a list of parts: declined
    } else if (key == "refusal") {
      if (std::exchange(refusal, true)) return false;
      if (c.peek() == '"') {
        if (!c.read_string(chunk.refusal)) return false;
      } else if (!c.skip_value()) {
        return false;
      }
    } else if (key == "reasoning_content" || key == "reasoning") {
      if (std::exchange(key == "reasoning" ? reasoning : reasoning_content, true)) return false;
      bool nonempty = false;
      if (!read_is_nonempty_string(c, nonempty)) return false;
      chunk.reasoning = chunk.reasoning || nonempty;
    } else if (key == "tool_calls") {
      if (std::exchange(tool_calls, true)) return false;
      if (c.peek() == '[') {
        bool end = false;
        if (!c.consume('[') || !c.next(']', true, end)) return false;
        chunk.tool_calls = !end;
        for (bool first_call = true; !end; first_call = false) {
          if (!first_call && !c.next(']', false, end)) return false;
          if (!end && !c.skip_value()) return false;
        }
      } else if (!c.skip_value()) {
        return false;
      }
    } else if (!c.skip_value()) {
      return false;
    }
  }
}

bool read_chunk_choice(JsonCursor& c, Chunk& chunk) {
  if (!c.consume('{')) return false;  // not an object: declined
  chunk.has_choice = true;
  std::string_view key;
  std::string scratch;
  bool delta = false;
  bool finish_reason = false;
  for (bool first = true, done = false;; first = false) {
    if (!c.next('}', first, done)) return false;
    if (done) return true;
    if (!read_key(c, key, scratch)) return false;
    if (key == "delta") {
      if (std::exchange(delta, true) || !read_delta(c, chunk)) return false;
    } else if (key == "finish_reason") {
      if (std::exchange(finish_reason, true)) return false;
      if (c.peek() == '"') {
        if (!c.read_string(chunk.finish_reason)) return false;
        chunk.has_finish_reason = true;
      } else if (!c.skip_value()) {
        return false;
      }
    } else if (!c.skip_value()) {
      return false;
    }
  }
}

/// An ordinary chunk; none for anything the DOM path must judge (an error event, repeated keys,
/// usage counts that are not canonical integers, content as a list of parts, invalid JSON).
std::optional<Chunk> read_chunk(std::string_view data) {
  JsonCursor c(data);
  if (!c.consume('{')) return std::nullopt;
  Chunk chunk;
  bool usage = false;
  bool choices = false;
  std::string_view key;
  std::string scratch;
  for (bool first = true, done = false;; first = false) {
    if (!c.next('}', first, done)) return std::nullopt;
    if (done) break;
    if (!read_key(c, key, scratch)) return std::nullopt;
    if (key == "error") return std::nullopt;
    if (key == "usage") {
      if (std::exchange(usage, true)) return std::nullopt;
      if (c.peek() == '{') {
        chunk.has_usage = true;
        Reply counts;
        if (!read_usage(c, counts)) return std::nullopt;
        chunk.usage = counts.usage;
      } else if (!c.skip_value()) {
        return std::nullopt;
      }
    } else if (key == "choices") {
      if (std::exchange(choices, true)) return std::nullopt;
      if (c.peek() != '[') {
        if (!c.skip_value()) return std::nullopt;
        continue;
      }
      bool end = false;
      if (!c.consume('[') || !c.next(']', true, end)) return std::nullopt;
      if (!end && !read_chunk_choice(c, chunk)) return std::nullopt;
      while (!end) {
        if (!c.next(']', false, end)) return std::nullopt;
        if (!end && !c.skip_value()) return std::nullopt;
      }
    } else if (!c.skip_value()) {
      return std::nullopt;
    }
  }
  if (!c.at_end()) return std::nullopt;
  return chunk;
}

/// Message content is a string, null (with a refusal), or — from some servers — a list of parts.
std::string content_text(const nlohmann::json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && string_member(part, "type") == "text" && part.contains("text") &&
          part["text"].is_string()) {
        out += part["text"].get<std::string>();
      }
    }
  }
  return out;
}

class OpenAiDialect final : public Dialect {
 public:
  explicit OpenAiDialect(ObjectReader& options) {
    max_tokens_field_ = options.get_string("max_tokens_field", "max_tokens");
    if (max_tokens_field_ != "max_tokens" && max_tokens_field_ != "max_completion_tokens") {
      options.required("max_tokens_field")
          .fail("max_tokens_field must be \"max_tokens\" or \"max_completion_tokens\"");
    }
    image_detail_ = options.get_string("image_detail", "");
    if (!image_detail_.empty() && image_detail_ != "auto" && image_detail_ != "low" &&
        image_detail_ != "high") {
      options.required("image_detail").fail("image_detail must be auto, low or high");
    }
    stream_usage_ = options.get_bool("stream_usage", true);
    pass_image_urls_ = options.get_bool("pass_image_urls", false);
    if (const auto azure = options.find("azure")) {
      ObjectReader a(*azure);
      azure_deployment_ = a.required_string("deployment");
      azure_api_version_ = a.required_string("api_version");
      a.finish();
    }
  }

  [[nodiscard]] std::string url(const Endpoint& e, bool) const override {
    if (!azure_deployment_.empty()) {
      return fmt::format("{}/openai/deployments/{}/chat/completions?api-version={}", e.base_url,
                         azure_deployment_, azure_api_version_);
    }
    return e.base_url + "/chat/completions";
  }

  [[nodiscard]] std::vector<std::string> headers(const Endpoint& e) const override {
    std::vector<std::string> h{"Content-Type: application/json"};
    if (!e.api_key.empty()) {
      h.push_back(azure_deployment_.empty() ? "Authorization: Bearer " + e.api_key
                                            : "api-key: " + e.api_key);
    }
    if (e.stream) h.emplace_back("Accept: text/event-stream");
    return h;
  }

  /// The DOM of the body (for extra_body's merge): the written body, parsed.
  [[nodiscard]] nlohmann::json body(const Request& r, const Endpoint& e,
                                    bool stream) const override {
    std::string text;
    write_body(r, e, stream, text);
    return nlohmann::json::parse(text);
  }

  /// Written directly, in nlohmann's canonical form (keys in byte order, no spaces), so that the
  /// bytes are those a DOM would dump: {"max_tokens", "messages": [{"content", "role"}], "model",
  /// "seed", "stop", "stream", "stream_options", "temperature", "top_p"}.
  void write_body(const Request& r, const Endpoint& e, bool stream,
                  std::string& out) const override {
    std::size_t size = 256 + r.system_prompt.size();
    for (const auto& part : r.content) {
      if (const auto* text = std::get_if<TextPart>(&part)) {
        size += text->text.size() + 32;
      } else {
        const auto& image = std::get<ImagePart>(part);
        size += 80 + image.mime_type.size() + image.source.size() +
                (image.bytes ? (image.bytes->size() + 2) / 3 * 4 : 0);
      }
    }
    out.reserve(out.size() + size);
    out += "{\"";
    out += max_tokens_field_;
    out += "\":";
    append_integer(out, r.params.max_tokens);
    out += ",\"messages\":[";
    if (!r.system_prompt.empty()) {
      out += "{\"content\":";
      append_json_string(out, r.system_prompt);
      out += ",\"role\":\"system\"},";
    }
    out += "{\"content\":";
    // A text-only message goes as a plain string, the form every server accepts: chat templates
    // that concatenate message["content"] (many GGUF templates served by llama.cpp) fail on a
    // list of parts, even of one text part.
    if (r.content.size() == 1 && std::holds_alternative<TextPart>(r.content[0])) {
      append_json_string(out, std::get<TextPart>(r.content[0]).text);
    } else {
      out += '[';
      bool first = true;
      for (const auto& part : r.content) {
        if (!first) out += ',';
        first = false;
        if (const auto* text = std::get_if<TextPart>(&part)) {
          out += "{\"text\":";
          append_json_string(out, text->text);
          out += ",\"type\":\"text\"}";
          continue;
        }
        const auto& image = std::get<ImagePart>(part);
        out += "{\"image_url\":{";
        if (!image_detail_.empty()) {
          out += "\"detail\":";
          append_json_string(out, image_detail_);
          out += ',';
        }
        out += "\"url\":";
        if (pass_image_urls_ &&
            (image.source.starts_with("http://") || image.source.starts_with("https://"))) {
          append_json_string(out, image.source);
        } else {
          // "data:MIME;base64,..." (base64 needs no escaping)
          out += "\"data:";
          append_json_string_body(out, image.mime_type);
          out += ";base64,";
          base64_append(*image.bytes, out);
          out += '"';
        }
        out += "},\"type\":\"image_url\"}";
      }
      out += ']';
    }
    out += ",\"role\":\"user\"}]";
    if (azure_deployment_.empty()) {  // Azure: the deployment decides
      out += ",\"model\":";
      append_json_string(out, e.model);
    }
    if (r.params.seed) {
      out += ",\"seed\":";
      append_integer(out, *r.params.seed);
    }
    if (!r.params.stop.empty()) {
      out += ",\"stop\":[";
      for (std::size_t i = 0; i < r.params.stop.size(); ++i) {
        if (i > 0) out += ',';
        append_json_string(out, r.params.stop[i]);
      }
      out += ']';
    }
    if (stream) {
      out += ",\"stream\":true";
      if (stream_usage_) out += ",\"stream_options\":{\"include_usage\":true}";
    }
    out += ",\"temperature\":";
    append_number(out, r.params.temperature);
    if (r.params.top_p != 1.0) {
      out += ",\"top_p\":";
      append_number(out, r.params.top_p);
    }
    out += '}';
  }

  [[nodiscard]] Reply parse_reply(const nlohmann::json& json) const override {
    if (!json.is_object()) throw MalformedReply("the reply is not a JSON object");
    Reply reply;
    const auto choices = json.find("choices");
    if (choices == json.end() || !choices->is_array() || choices->empty() ||
        !(*choices)[0].is_object()) {
      throw MalformedReply("the reply has no choices[0]");
    }
    const auto& choice = (*choices)[0];
    const auto message = choice.find("message");
    if (message == choice.end() || !message->is_object()) {
      throw MalformedReply("choices[0] has no message");
    }
    reply.text = content_text(message->value("content", nlohmann::json()));
    if (message->contains("refusal") && (*message)["refusal"].is_string()) {
      reply.refusal = (*message)["refusal"].get<std::string>();
    }
    const bool has_finish_reason =
        choice.contains("finish_reason") && choice["finish_reason"].is_string();
    if (has_finish_reason) reply.finish_reason = choice["finish_reason"].get<std::string>();
    settle_finish(reply, has_finish_reason);
    read_usage(json.value("usage", nlohmann::json()), reply);
    return reply;
  }

  bool try_parse_reply(std::string_view body, Reply& reply) const override {
    JsonCursor c(body);
    if (!c.consume('{')) return false;
    bool choices = false;
    bool usage = false;
    bool has_finish_reason = false;
    std::string_view key;
    std::string scratch;
    for (bool first = true, done = false;; first = false) {
      if (!c.next('}', first, done)) return false;
      if (done) break;
      if (!c.read_string_view(key, scratch) || !c.consume(':')) return false;
      if (key == "choices") {
        if (std::exchange(choices, true) || !read_choices(c, reply, has_finish_reason))
          return false;
      } else if (key == "usage") {
        if (std::exchange(usage, true) || !read_usage(c, reply)) return false;
      } else if (!c.skip_value()) {
        return false;
      }
    }
    if (!choices || !c.at_end()) return false;
    settle_finish(reply, has_finish_reason);
    return true;
  }

  bool try_on_event(const SseEvent& event, Reply& reply, bool& token) const override {
    const auto chunk = read_chunk(event.data);
    if (!chunk) return false;
    token = chunk->apply(reply);
    return true;
  }

  bool on_event(const SseEvent& event, Reply& reply) const override {
    if (event.data == "[DONE]") {
      // llama.cpp's server ends a request that a newer one interrupted with a bare [DONE]: no
      // content, no finish reason. That is no answer, not an empty one.
      if (reply.finish_reason.empty() && reply.text.empty() && reply.refusal.empty()) {
        throw MalformedReply(
            "the stream ended with [DONE] before any content or finish_reason (an interrupted "
            "generation)");
      }
      reply.stream_complete = true;
      return false;
    }
    const auto json = parse_json_or_discarded(event.data);
    if (json.is_discarded() || !json.is_object()) {
      throw MalformedReply("a stream event is not a JSON object: " + event.data.substr(0, 200));
    }
    if (json.contains("error")) {  // vLLM and others report a failure inside the stream
      throw MalformedReply("the server reported an error inside the stream: " +
                           error_message(json));
    }
    read_usage(json.value("usage", nlohmann::json()), reply);
    const auto choices = json.find("choices");
    if (choices == json.end() || !choices->is_array() || choices->empty()) return false;
    const auto& choice = (*choices)[0];
    // A token event carries output: text, a refusal, reasoning (vLLM's "reasoning_content",
    // others' "reasoning") or tool calls — AIPerf's rule (0.13.0, ChatEndpoint.
    // extract_chat_response_data and ParsedResponseRecord.content_responses). vLLM and
    // llama.cpp open the stream with a chunk that only names the role, and llama-cpp-python ends
    // it with an empty delta that only carries the finish reason; counting those (vLLM's
    // `bench serve` counts every chunk with choices) would put TTFT at a chunk a server may send
    // before any token, add ~0 ms gaps to ITL and over-count tokens where usage is absent.
    bool output = false;
    if (const auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
      if (delta->contains("content")) {
        const std::string text = content_text((*delta)["content"]);
        output = !text.empty();
        reply.text += text;
      }
      if (delta->contains("refusal") && (*delta)["refusal"].is_string()) {
        const auto& refusal = (*delta)["refusal"].get_ref<const std::string&>();
        output = output || !refusal.empty();
        reply.refusal += refusal;
      }
      for (const char* key : {"reasoning_content", "reasoning"}) {
        const auto it = delta->find(key);
        if (it != delta->end() && it->is_string() && !it->get_ref<const std::string&>().empty())
          output = true;
      }
      const auto calls = delta->find("tool_calls");
      if (calls != delta->end() && calls->is_array() && !calls->empty()) output = true;
    }
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
      reply.finish_reason = choice["finish_reason"].get<std::string>();
      reply.finish = reply.refusal.empty() ? finish_of(reply.finish_reason) : Finish::refused;
      // The answer is complete at its finish reason; what may follow (the usage chunk, [DONE])
      // is read when it comes, and a server that closes the stream here (some do not send
      // [DONE]) has still answered.
      reply.stream_complete = !reply.finish_reason.empty();
    }
    return output;
  }

  [[nodiscard]] bool is_content_filter(long status, const nlohmann::json& body) const override {
    if (status != 400 || !body.is_object()) return false;
    const auto error = body.find("error");
    return error != body.end() && error->is_object() &&
           string_member(*error, "code") == "content_filter";
  }

  [[nodiscard]] nlohmann::json fingerprint_options() const override {
    return {{"max_tokens_field", max_tokens_field_},
            {"image_detail", image_detail_},
            {"pass_image_urls", pass_image_urls_},
            {"azure_deployment", azure_deployment_},
            {"azure_api_version", azure_api_version_}};
  }

 private:
  std::string max_tokens_field_;
  std::string image_detail_;
  bool stream_usage_ = true;
  bool pass_image_urls_ = false;
  std::string azure_deployment_;
  std::string azure_api_version_;
};

}  // namespace

std::unique_ptr<Dialect> openai_dialect(ObjectReader& options) {
  return std::make_unique<OpenAiDialect>(options);
}

std::unique_ptr<Backend> create_openai(ObjectReader& options, const BackendContext& context) {
  // OpenAI accepts up to 500 image inputs and 50 MB of payload per request ("Images and vision",
  // input requirements); servers of open models accept far fewer (vLLM: --limit-mm-per-prompt),
  // so the default is modest and "max_images" raises it.
  Capabilities caps;
  caps.max_images_per_request = 16;
  caps.max_image_bytes = std::size_t{20} << 20;
  // "Supported file types: PNG, JPEG, WEBP, non-animated GIF" (same page); anything else (BMP, ...)
  // is re-encoded. Servers of open models decode more, which "image_formats" can allow.
  caps.image_mime_types = {"image/png", "image/jpeg", "image/webp", "image/gif"};
  Endpoint endpoint = read_endpoint(options, "openai", "https://api.openai.com/v1", caps);
  auto dialect = std::make_unique<OpenAiDialect>(options);
  options.finish();
  if (endpoint.model.empty() && !endpoint.extra_body.contains("model")) {
    const bool azure = dialect->fingerprint_options()["azure_deployment"] != "";
    if (!azure) {
      options.required("model");  // fails with "missing required field"
    }
  }
  return std::make_unique<HttpBackend>(std::move(endpoint), std::move(dialect), context.clock);
}

}  // namespace lmmbench::models::http
