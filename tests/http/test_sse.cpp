// The SSE parser and secret redaction, byte by byte.
#include <gtest/gtest.h>

#include "models/http/secrets.hpp"
#include "models/http/sse.hpp"

namespace lmmbench::models::http {
namespace {

std::vector<SseEvent> parse(const std::vector<std::string>& reads, bool finish = true) {
  SseParser parser;
  std::vector<SseEvent> events;
  const auto handler = [&](const SseEvent& e) { events.push_back(e); };
  for (const auto& r : reads)
    parser.feed(r, handler);
  if (finish) parser.finish(handler);
  return events;
}

TEST(Sse, EventsSplitAcrossReadsAndSeveralInOneRead) {
  const std::string stream =
      ": keep-alive\n\ndata: {\"a\":1}\n\nevent: message_delta\ndata: {\"b\":2}\n\ndata: "
      "[DONE]\n\n";
  const auto whole = parse({stream});
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0].data, "{\"a\":1}");
  EXPECT_EQ(whole[0].event, "");
  EXPECT_EQ(whole[1].event, "message_delta");
  EXPECT_EQ(whole[1].data, "{\"b\":2}");
  EXPECT_EQ(whole[2].data, "[DONE]");
  // Every split point of the stream gives the same events.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    const auto split = parse({stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(split.size(), 3u) << cut;
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(split[i].data, whole[i].data) << cut;
      EXPECT_EQ(split[i].event, whole[i].event) << cut;
    }
  }
  // One byte per read.
  std::vector<std::string> bytes;
  for (const char c : stream)
    bytes.emplace_back(1, c);
  EXPECT_EQ(parse(bytes).size(), 3u);
}

TEST(Sse, CrlfAndCrLineEndsIncludingACrlfSplitBetweenReads) {
  const auto crlf = parse({"data: x\r", "\n\r\ndata: y\r\n\r\n"});
  ASSERT_EQ(crlf.size(), 2u);
  EXPECT_EQ(crlf[0].data, "x");
  EXPECT_EQ(crlf[1].data, "y");
  const auto cr = parse({"data: x\r\rdata: y\r\r"});
  ASSERT_EQ(cr.size(), 2u);
  EXPECT_EQ(cr[1].data, "y");
}

TEST(Sse, MultiLineDataCommentsAndFieldsWithoutSpace) {
  const auto events = parse({"data:first\ndata: second\n: comment\nid: 7\nretry: 10\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "first\nsecond");
  EXPECT_EQ(events[0].id, "7");
}

TEST(Sse, EventWithoutDataIsNotDispatchedAndTrailingEventIsKeptAtFinish) {
  EXPECT_TRUE(parse({"event: ping\n\n"}).empty());
  const auto trailing = parse({"data: {\"last\":true}"});
  ASSERT_EQ(trailing.size(), 1u);
  EXPECT_EQ(trailing[0].data, "{\"last\":true}");
  EXPECT_TRUE(parse({"data: {\"last\":true}"}, false).empty());
}

TEST(Redact, WholeKeysAndQuotedFragmentsAreRemoved) {
  const std::string key = "sk-test-4f9a8b7c6d5e4f3a2b1c";
  EXPECT_EQ(redact("Incorrect API key provided: " + key + ".", key),
            "Incorrect API key provided: [REDACTED].");
  // OpenAI quotes a prefix and a suffix of the key.
  const std::string quoted = "Incorrect API key provided: sk-test-****************2b1c";
  EXPECT_EQ(redact(quoted, key).find("sk-test-"), std::string::npos);
  EXPECT_EQ(redact("nothing secret here", key), "nothing secret here");
  EXPECT_EQ(redact("text", ""), "text");
}

}  // namespace
}  // namespace lmmbench::models::http
