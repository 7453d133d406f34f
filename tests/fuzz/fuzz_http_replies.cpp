// What a server sends back, for each provider dialect: the bytes as a text/event-stream (fed to
// the SSE parser in pieces whose sizes come from the input, each event to the dialect's stream
// reader) and as a whole JSON reply body (reply reader, error message, retry hint, content
// filter). A reply that breaks the format may only throw MalformedReply.

#include <cstdlib>
#include <memory>
#include <vector>

#include "core/json_source.hpp"
#include "fuzz_support.hpp"
#include "models/http/http_backend.hpp"
#include "models/http/sse.hpp"

namespace {

using lmmbench::models::http::Dialect;
using lmmbench::models::http::MalformedReply;

const std::vector<std::unique_ptr<Dialect>>& dialects() {
  static const auto all = [] {
    std::vector<std::unique_ptr<Dialect>> out;
    auto options = [] {
      return lmmbench::ObjectReader(lmmbench::ConfigNode(
          lmmbench::JsonSource::from_value(nlohmann::json::object(), "fuzz-model.json", 1)));
    };
    auto o1 = options();
    out.push_back(lmmbench::models::http::openai_dialect(o1));
    auto o2 = options();
    out.push_back(lmmbench::models::http::gemini_dialect(o2));
    auto o3 = options();
    out.push_back(lmmbench::models::http::anthropic_dialect(o3));
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lmmbench::fuzz::text_of(data, size);
  // The first byte chooses how the stream is cut into reads (1 to 16 bytes, or all at once).
  const std::size_t piece = size == 0 ? 1 : (data[0] % 17 == 0 ? size : data[0] % 17);
  for (const auto& dialect : dialects()) {
    lmmbench::models::http::SseParser parser;
    lmmbench::models::http::Reply reply;
    try {
      const auto on_event = [&](const lmmbench::models::http::SseEvent& event) {
        // The fast path's contract: what it accepts, it folds in as the DOM path does.
        auto fast = reply;
        bool fast_token = false;
        const bool accepted = dialect->try_on_event(event, fast, fast_token);
        bool token = false;
        try {
          token = dialect->on_event(event, reply);
        } catch (const MalformedReply&) {
          if (accepted) std::abort();
          throw;
        }
        if (accepted &&
            (token != fast_token || fast.text != reply.text || fast.refusal != reply.refusal ||
             fast.finish != reply.finish || fast.finish_reason != reply.finish_reason ||
             fast.stream_complete != reply.stream_complete ||
             fast.usage.prompt_tokens != reply.usage.prompt_tokens ||
             fast.usage.completion_tokens != reply.usage.completion_tokens)) {
          std::abort();
        }
      };
      for (std::size_t at = 0; at < size; at += piece)
        parser.feed(text.substr(at, piece), on_event);
      (void)parser.finish(on_event);
    } catch (const MalformedReply&) {
    }
    const auto body = lmmbench::parse_json_or_discarded(text);
    if (body.is_discarded()) continue;
    (void)dialect->error_message(body);
    (void)dialect->retry_hint(body);
    (void)dialect->is_content_filter(400, body);
    lmmbench::models::http::Reply fast;
    const bool fast_accepted = dialect->try_parse_reply(text, fast);
    try {
      const auto whole = dialect->parse_reply(body);
      // The fast path's contract: what it accepts, it reads as the DOM path does.
      if (fast_accepted &&
          (fast.text != whole.text || fast.finish != whole.finish ||
           fast.finish_reason != whole.finish_reason || fast.refusal != whole.refusal ||
           fast.usage.prompt_tokens != whole.usage.prompt_tokens ||
           fast.usage.completion_tokens != whole.usage.completion_tokens)) {
        std::abort();
      }
    } catch (const MalformedReply&) {
      if (fast_accepted) std::abort();  // accepted what the DOM path rejects
    }
  }
  (void)lmmbench::models::http::parse_retry_after(std::string(text.substr(0, 64)));
  return 0;
}
