// The OpenAI dialect reads an ordinary whole reply without a DOM (Dialect::try_parse_reply). Its
// contract: whenever it accepts a body, the Reply is exactly what parse_reply gives for the
// parsed body; anything else (other types, repeated keys, invalid JSON) it declines, and the DOM
// path decides, errors included.
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

}  // namespace
}  // namespace lmmbench::testing
