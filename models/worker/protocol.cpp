#include "models/worker/protocol.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/json_fields.hpp"

namespace lmmbench::models::worker {

constexpr auto json_enum_names(WorkerErrorKind) {
  using K = WorkerErrorKind;
  return std::array<std::pair<K, std::string_view>, 5>{{{K::bad_request, "bad_request"},
                                                        {K::model_error, "model_error"},
                                                        {K::overloaded, "overloaded"},
                                                        {K::refused, "refused"},
                                                        {K::cancelled, "cancelled"}}};
}

std::string_view to_string(WorkerErrorKind kind) {
  return json_fields::enum_name(kind);
}

template <class S, class F>
requires json_fields::Record<S, WorkerCapabilities>
void visit(S& c, F&& f) {
  f("max_in_flight", c.max_in_flight);
  f("batching", c.batching);
  f("images", c.images);
  f("max_images", c.max_images);
  f("image_formats", c.image_formats);
  f("streaming", c.streaming);
}
LMMBENCH_JSON_FIELDS(WorkerCapabilities)

template <class S, class F>
requires json_fields::Record<S, Hello>
void visit(S& h, F&& f) {
  f("protocol", h.protocol, json_fields::required);
  f("model", h.model);
  f("fingerprint", h.fingerprint);
  f("time", h.time);
  f("capabilities", h.capabilities);
}
LMMBENCH_JSON_FIELDS(Hello)

template <class S, class F>
requires json_fields::Record<S, TokenEvent>
void visit(S& t, F&& f) {
  f("id", t.id, json_fields::required);
  f("text", t.text);
  f("time", t.time);
}
LMMBENCH_JSON_FIELDS(TokenEvent)

template <class S, class F>
requires json_fields::Record<S, Usage>
void visit(S& u, F&& f) {
  f("prompt_tokens", u.prompt_tokens);
  f("completion_tokens", u.completion_tokens);
}
LMMBENCH_JSON_FIELDS(Usage)

template <class S, class F>
requires json_fields::Record<S, Done>
void visit(S& d, F&& f) {
  f("id", d.id, json_fields::required);
  f("text", d.text, json_fields::required);
  f("finish_reason", d.finish_reason);
  f("usage", d.usage);
  f("time", d.time);
}
LMMBENCH_JSON_FIELDS(Done)

template <class S, class F>
requires json_fields::Record<S, ErrorEvent>
void visit(S& e, F&& f) {
  f("id", e.id);
  f("kind", e.kind, json_fields::required);
  f("message", e.message);
}
LMMBENCH_JSON_FIELDS(ErrorEvent)

std::string excerpt(std::string_view line, std::size_t n) {
  std::string out = "'";
  for (std::size_t i = 0; i < line.size() && i < n; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "'";
  if (line.size() > n) out += fmt::format(" ... ({} bytes)", line.size());
  return out;
}

namespace {

template <class T>
T read_as(const nlohmann::json& j, std::string_view type) {
  try {
    return j.get<T>();
  } catch (const InputError& e) {
    throw ProtocolError(fmt::format("{} message: {}: {}", type, e.where().field, e.detail()));
  } catch (const nlohmann::json::exception& e) {
    throw ProtocolError(fmt::format("{} message: {}", type, e.what()));
  }
}

}  // namespace

WorkerMessage parse_worker_line(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ProtocolError("not JSON: " + excerpt(line));
  if (!j.is_object()) throw ProtocolError("not a JSON object: " + excerpt(line));
  const auto type = j.find("type");
  if (type == j.end() || !type->is_string())
    throw ProtocolError("a message without a \"type\": " + excerpt(line));
  const auto& name = type->get_ref<const std::string&>();
  if (name == "hello") return read_as<Hello>(j, name);
  if (name == "token") return read_as<TokenEvent>(j, name);
  if (name == "done") return read_as<Done>(j, name);
  if (name == "error") return read_as<ErrorEvent>(j, name);
  throw ProtocolError(
      fmt::format("unknown message type {} (known: hello, token, done, error)", excerpt(name, 40)));
}

Completion completion_of(const ErrorEvent& error) {
  const auto message = fmt::format("worker: {}: {}", to_string(error.kind),
                                   error.message.empty() ? "(no message)" : error.message);
  switch (error.kind) {
    case WorkerErrorKind::bad_request:
      return Completion::failure(ErrorKind::unsupported, message);
    case WorkerErrorKind::overloaded: {
      // Retried with backoff like a server's 503.
      auto c = Completion::failure(ErrorKind::http, message);
      c.http_status = 503;
      return c;
    }
    case WorkerErrorKind::refused:
      return Completion::failure(ErrorKind::refused, message);
    case WorkerErrorKind::cancelled:
      return Completion::failure(ErrorKind::cancelled, message);
    case WorkerErrorKind::model_error:
      break;
  }
  return Completion::failure(ErrorKind::internal, message);
}

nlohmann::json request_message(std::uint64_t id, const Request& request, ImageTransport transport,
                               const std::function<std::string(const ImagePart&)>& image_path) {
  auto content = nlohmann::json::array();
  for (const auto& part : request.content) {
    if (const auto* text = std::get_if<TextPart>(&part)) {
      content.push_back({{"type", "text"}, {"text", text->text}});
      continue;
    }
    const auto& image = std::get<ImagePart>(part);
    nlohmann::json out{{"type", "image"}, {"mime_type", image.mime_type}};
    if (transport == ImageTransport::path) {
      out["path"] = image_path(image);
    } else {
      out["data"] = base64_encode(*image.bytes);
    }
    content.push_back(std::move(out));
  }
  nlohmann::json message{{"type", "request"},
                         {"id", id},
                         {"content", std::move(content)},
                         {"generation", request.params}};
  if (!request.system_prompt.empty()) message["system"] = request.system_prompt;
  return message;
}

nlohmann::json cancel_message(std::uint64_t id) {
  return {{"type", "cancel"}, {"id", id}};
}

nlohmann::json shutdown_message() {
  return {{"type", "shutdown"}};
}

}  // namespace lmmbench::models::worker
