// The OpenAI dialect reads an ordinary whole reply and an ordinary stream chunk without a DOM
// (Dialect::try_parse_reply, try_on_event). The contract: whenever the fast path accepts a body
// or an event, the result is exactly what the DOM path (parse_reply, on_event) gives; anything
// else (other types, repeated keys, error events, invalid JSON) it declines, and the DOM path
// decides, errors included.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json_source.hpp"
#include "models/http/http_backend.hpp"

namespace lmmbench::testing {
namespace {

using models::http::Dialect;
using models::http::MalformedReply;
using models::http::Reply;

std::unique_ptr<Dialect> openai() {
  ObjectReader options{
      ConfigNode(JsonSource::from_value(nlohmann::json::object(), "model.json", 1))};
  return models::http::openai_dialect(options);
}

bool same(const Reply& a, const Reply& b) {
  return a.text == b.text && a.usage.prompt_tokens == b.usage.prompt_tokens &&
         a.usage.completion_tokens == b.usage.completion_tokens && a.finish == b.finish &&
         a.finish_reason == b.finish_reason && a.refusal == b.refusal &&
         a.stream_complete == b.stream_complete;
}

/// Checks the contract on one body; returns whether the fast path accepted it.
bool check(const Dialect& dialect, const std::string& body) {
  Reply fast;
  const bool accepted = dialect.try_parse_reply(body, fast);
  if (!accepted) return false;
  const auto json = parse_json_or_discarded(body);
  EXPECT_FALSE(json.is_discarded()) << "accepted invalid JSON: " << body;
  if (json.is_discarded()) return true;
  try {
    const Reply slow = dialect.parse_reply(json);
    EXPECT_TRUE(same(fast, slow)) << body << "\nfast: " << fast.text << "|" << fast.finish_reason
                                  << "\nslow: " << slow.text << "|" << slow.finish_reason;
  } catch (const MalformedReply& e) {
    ADD_FAILURE() << "accepted a reply the DOM path rejects (" << e.what() << "): " << body;
  }
  return true;
}

const std::vector<std::string> kReplies = {
    // What vLLM, OpenAI and the benchmark server send.
    R"({"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"yes"},"finish_reason":"stop"}],"usage":{"prompt_tokens":600,"completion_tokens":1,"total_tokens":601}})",
    R"({"choices": [ {"message": {"content": "A cat.\nOn a mat \"here\" \u00e9\ud83d\ude00", "role": "assistant", "tool_calls": []}, "finish_reason": "length", "logprobs": null} ], "usage": {"prompt_tokens": 3, "completion_tokens": 16, "prompt_tokens_details": {"cached_tokens": 0}}, "system_fingerprint": null})",
    R"({"choices":[{"message":{"content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]})",
    R"({"choices":[{"message":{"content":null,"refusal":"no"},"finish_reason":null}]})",
    R"({"choices":[{"message":{"content":"","refusal":null},"finish_reason":"content_filter"}],"usage":null})",
    R"({"choices":[{"message":{"content":"x"}}]})",
    R"({"choices":[{"message":{}},{"message":{"content":"second"}}],"usage":{"prompt_tokens":null,"completion_tokens":-2}})",
    R"({"choices":[{"finish_reason":"","message":{"content":"a"}}]})",
    R"(  {"usage":{"completion_tokens":7},"choices":[{"message":{"content":"u"}}]}  )",
    // Declined: the DOM path decides (some of these it rejects).
    R"({"choices":[{"message":{"content":[{"type":"text","text":"parts"}]}}]})",
    R"({"choices":[{"message":{"content":"a","content":"b"}}]})",
    R"({"choices":[],"usage":{}})",
    R"({"choices":[{"message":"text"}]})",
    R"({"choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":1.0}})",
    R"({"choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":99999999999999999999}})",
    R"({"choices":[{"message":{"content":"a"}}]} trailing)",
    R"({"choices":[{"message":{"content":"a"}}],"choices":[{"message":{"content":"b"}}]})",
    R"({"choices":[{"finish_reason":7,"message":{"content":"a"}}]})",
    R"({"object":"error","message":"bad"})",
    R"([1,2])",
    "",
};

TEST(ReplyFastPath, AcceptsOrdinaryRepliesAndAgreesWithTheDomPath) {
  const auto dialect = openai();
  std::size_t accepted = 0;
  for (const auto& body : kReplies)
    accepted += check(*dialect, body) ? 1 : 0;
  EXPECT_EQ(accepted, 9u);  // the first nine, the ordinary shapes
  Reply reply;
  ASSERT_TRUE(dialect->try_parse_reply(kReplies[0], reply));
  EXPECT_EQ(reply.text, "yes");
  EXPECT_EQ(reply.finish, models::http::Finish::stop);
  EXPECT_EQ(reply.usage.prompt_tokens, 600);
  EXPECT_EQ(reply.usage.completion_tokens, 1);
  ASSERT_TRUE(dialect->try_parse_reply(kReplies[2], reply = Reply{}));
  EXPECT_EQ(reply.finish, models::http::Finish::refused);
  ASSERT_TRUE(dialect->try_parse_reply(kReplies[3], reply = Reply{}));
  EXPECT_EQ(reply.finish_reason, "refusal");
}

TEST(ReplyFastPath, RandomlyEditedRepliesNeverDisagree) {
  const auto dialect = openai();
  std::mt19937 rng(21);
  const std::string alphabet = "{}[]:,\"\\ 0123456789-.eEnulltruefalse\xc3\xa9\xff";
  std::size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string body = kReplies[rng() % kReplies.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          body.erase(at, 1 + rng() % 4);
          break;
        default:
          body.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    accepted += check(*dialect, body) ? 1 : 0;
  }
  EXPECT_GT(accepted, 1000u);  // the check saw many accepted edits, not only declines
}

/// Checks the contract of the stream fast path on one event, from a reply in `before`; returns
/// whether the fast path accepted it.
bool check_event(const Dialect& dialect, const std::string& data, const Reply& before) {
  models::http::SseEvent event;
  event.data = data;
  Reply fast = before;
  bool fast_token = false;
  if (!dialect.try_on_event(event, fast, fast_token)) {
    EXPECT_TRUE(same(fast, before)) << "a declined event changed the reply: " << data;
    return false;
  }
  Reply slow = before;
  try {
    const bool slow_token = dialect.on_event(event, slow);
    EXPECT_EQ(fast_token, slow_token) << data;
    EXPECT_TRUE(same(fast, slow)) << data << "\nfast: " << fast.text << "|" << fast.refusal << "|"
                                  << fast.finish_reason << "\nslow: " << slow.text << "|"
                                  << slow.refusal << "|" << slow.finish_reason;
  } catch (const MalformedReply& e) {
    ADD_FAILURE() << "accepted an event the DOM path rejects (" << e.what() << "): " << data;
  }
  return true;
}

const std::vector<std::string> kEvents = {
    // vLLM / OpenAI / the benchmark server.
    R"({"id":"c","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"c","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"content":" cat"},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"yes"},"finish_reason":"stop"}]})",
    R"({"id":"c","choices":[],"usage":{"prompt_tokens":600,"completion_tokens":1,"total_tokens":601}})",
    R"({"choices":[{"delta":{},"finish_reason":"length"}],"usage":null})",
    R"({"choices":[{"delta":{"refusal":"I won't."},"finish_reason":null}]})",
    R"({"choices":[{"delta":{"reasoning_content":"think","content":null}}]})",
    R"({"choices":[{"delta":{"reasoning":"","tool_calls":[{"index":0,"function":{"name":"f"}}]}}]})",
    R"({"choices":[{"delta":{"tool_calls":[]},"finish_reason":"tool_calls"}]})",
    R"({"choices":[{"delta":null,"finish_reason":""}]})",
    R"({"choices":null})",
    R"({"choices":[{"delta":{"content":"\u00e9\n"}},{"delta":{"content":"ignored"}}]})",
    // Declined: the DOM path decides.
    R"({"error":{"message":"overloaded"}})",
    R"({"choices":[{"delta":{"content":[{"type":"text","text":"a"}]}}]})",
    R"({"choices":[{"delta":{"content":"a","content":"b"}}]})",
    R"({"choices":[7]})",
    R"({"choices":[],"usage":{"prompt_tokens":"3"}})",
    "[DONE]",
    "not json",
};

TEST(StreamFastPath, AcceptsOrdinaryChunksAndAgreesWithTheDomPath) {
  const auto dialect = openai();
  Reply empty;
  Reply partial;
  partial.text = "A";
  partial.refusal = "no";
  partial.usage.prompt_tokens = 5;
  std::size_t accepted = 0;
  for (const auto& data : kEvents) {
    accepted += check_event(*dialect, data, empty) ? 1 : 0;
    check_event(*dialect, data, partial);
  }
  EXPECT_EQ(accepted, 12u);  // the first twelve, the ordinary shapes
  // A whole stream: the role chunk is no token event, the text and the finish reason are.
  Reply reply;
  bool token = true;
  models::http::SseEvent event;
  event.data = kEvents[0];
  ASSERT_TRUE(dialect->try_on_event(event, reply, token));
  EXPECT_FALSE(token);
  event.data = kEvents[2];
  ASSERT_TRUE(dialect->try_on_event(event, reply, token));
  EXPECT_TRUE(token);
  event.data = kEvents[3];
  ASSERT_TRUE(dialect->try_on_event(event, reply, token));
  EXPECT_FALSE(token);
  EXPECT_EQ(reply.text, "yes");
  EXPECT_EQ(reply.finish, models::http::Finish::stop);
  EXPECT_TRUE(reply.stream_complete);
  EXPECT_EQ(reply.usage.completion_tokens, 1);
}

TEST(StreamFastPath, RandomlyEditedChunksNeverDisagree) {
  const auto dialect = openai();
  std::mt19937 rng(2121);
  const std::string alphabet = "{}[]:,\"\\ 0123456789-.eEnulltruefalse\xc3\xa9\xff";
  Reply partial;
  partial.text = "A";
  std::size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string data = kEvents[rng() % kEvents.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !data.empty(); ++e) {
      const std::size_t at = rng() % data.size();
      switch (rng() % 3) {
        case 0:
          data[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          data.erase(at, 1 + rng() % 4);
          break;
        default:
          data.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    accepted += check_event(*dialect, data, round % 2 == 0 ? Reply{} : partial) ? 1 : 0;
  }
  EXPECT_GT(accepted, 1000u);
}

}  // namespace
}  // namespace lmmbench::testing
