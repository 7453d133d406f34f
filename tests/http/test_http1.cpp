// The own HTTP/1.1 client's wire format (models/http/http1.hpp): which URLs it serves, the
// request head it writes, and the response parser, whose result must not depend on how the
// bytes are cut into reads.
#include <gtest/gtest.h>

#include "http1_outcome.hpp"
#include "models/http/http1.hpp"

namespace lmmbench::testing {
namespace {

using models::http::http1::append_request_head;
using models::http::http1::parse_plain_url;
using models::http::http1::ResponseParser;
using Event = ResponseParser::Event;

TEST(Http1Url, NumericHostsAndLocalhostAreServedEverythingElseIsLeftToCurl) {
  const auto v4 = parse_plain_url("http://127.0.0.1:8000/v1/chat/completions?x=1#frag");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8000);
  EXPECT_EQ(v4->target, "/v1/chat/completions?x=1");
  EXPECT_FALSE(v4->localhost);
  EXPECT_EQ(v4->address[0], 127);
  EXPECT_EQ(v4->address[3], 1);
  const auto v6 = parse_plain_url("http://[::1]/v1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 80);
  EXPECT_EQ(v6->address[15], 1);
  const auto local = parse_plain_url("http://LocalHost:9");
  ASSERT_TRUE(local.has_value());
  EXPECT_TRUE(local->localhost);
  EXPECT_EQ(local->host, "localhost");
  EXPECT_EQ(local->target, "/");
  for (const char* other :
       {"https://127.0.0.1/v1", "http://example.com/v1", "http://user:pw@127.0.0.1/v1",
        "http://[fe80::1%25eth0]/v1", "http://127.0.0.1:0/", "http://127.0.0.1:65536/",
        "http://127.0.0.1:/", "http://127.0.0.1?q=1", "http://127.0.0.1/a/../b",
        "http://127.0.0.1/a b", "http://127.1/", "http:///v1", "HTTP://127.0.0.1/", ""}) {
    EXPECT_FALSE(parse_plain_url(other).has_value()) << other;
  }
}

TEST(Http1Request, TheHeadIsWhatLibcurlWritesForTheSamePost) {
  const auto url = *parse_plain_url("http://127.0.0.1:8000/v1/chat/completions");
  std::string head;
  append_request_head(
      head, url, "lmmbench",
      {"Content-Type: application/json", "Authorization: Bearer k", "Expect:", "X-Empty;"}, 368);
  EXPECT_EQ(head,
            "POST /v1/chat/completions HTTP/1.1\r\n"
            "Host: 127.0.0.1:8000\r\n"
            "User-Agent: lmmbench\r\n"
            "Accept: */*\r\n"
            "Content-Type: application/json\r\n"
            "Authorization: Bearer k\r\n"
            "X-Empty:\r\n"
            "Content-Length: 368\r\n"
            "\r\n");
  // Port 80 is not written; brackets are; a caller's header replaces or (empty) removes a
  // default; without a Content-Type the POST gets libcurl's default one.
  head.clear();
  append_request_head(head, *parse_plain_url("http://[::1]/x"), "ua", {"user-agent:", "Host: h"},
                      0);
  EXPECT_EQ(head,
            "POST /x HTTP/1.1\r\n"
            "Accept: */*\r\n"
            "Host: h\r\n"
            "Content-Length: 0\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "\r\n");
  head.clear();
  append_request_head(head, *parse_plain_url("http://[::1]:81/x"), "", {}, 1);
  EXPECT_TRUE(head.starts_with("POST /x HTTP/1.1\r\nHost: [::1]:81\r\nAccept: */*\r\n")) << head;
}

TEST(Http1Request, TheHeadMadeOnceIsTheSameAndAUrlMovesToAnEqualString) {
  const std::string first = "http://localhost:8000/v1/chat/completions";
  const auto url = *parse_plain_url(first);
  const std::vector<std::string> headers = {"Content-Type: application/json", "X-A: b"};
  models::http::http1::RequestHead prefix;
  models::http::http1::make_request_head(prefix, url, "ua", headers);
  for (const std::size_t size : {0u, 7u, 123456u}) {
    std::string once;
    std::string twice;
    append_request_head(once, url, "ua", headers, size);
    models::http::http1::append_request_head(twice, prefix, size);
    EXPECT_EQ(once, twice);
  }
  const std::string second = first;  // equal, elsewhere
  const auto moved = models::http::http1::rebased(url, first, second);
  EXPECT_EQ(moved.target.data(), second.data() + (url.target.data() - first.data()));
  EXPECT_EQ(moved.target, "/v1/chat/completions");
  EXPECT_EQ(moved.host, "localhost");  // a literal, not in the URL's bytes
  EXPECT_EQ(moved.port, 8000);
}

/// The same bytes whole, one by one, and cut in two at every offset: the same outcome.
Http1Outcome read_every_way(std::string_view text, ResponseParser::Limits limits = {},
                            bool eof = true) {
  const auto whole = read_http1(text, {}, limits, eof);
  std::vector<std::size_t> bytewise;
  for (std::size_t i = 1; i < text.size(); ++i)
    bytewise.push_back(i);
  EXPECT_EQ(read_http1(text, bytewise, limits, eof), whole) << "byte by byte: " << text;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const auto split = read_http1(text, {i}, limits, eof);
    EXPECT_EQ(split, whole) << "cut at " << i << ": " << text;
    if (split != whole) break;
  }
  return whole;
}

TEST(Http1Response, ContentLengthChunkedAndUntilCloseBodies) {
  auto r = read_every_way(
      "HTTP/1.1 200 OK\r\nContent-Type: Application/JSON; Charset=UTF-8\r\n"
      "Content-Length: 5\r\nRetry-After:  7 \r\nretry-after-ms: 250\r\n\r\nhello");
  EXPECT_EQ(r.last, Event::done);
  EXPECT_EQ(r.headers_events, 1);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(r.retry_after, "7");
  EXPECT_EQ(r.retry_after_ms, "250");
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(r.reusable);
  EXPECT_EQ(r.left_over, 0u);

  // Chunk extensions, upper-case hex, trailers, bare LF line ends.
  r = read_every_way(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Type: text/event-stream\n\n"
      "5;name=value\r\nhello\r\nA \r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n");
  EXPECT_EQ(r.last, Event::done);
  EXPECT_EQ(r.body, "hello, world!!!");
  EXPECT_EQ(r.content_type, "text/event-stream");
  EXPECT_TRUE(r.reusable);

  // No length: the body runs to the end of the connection, which is then not reusable.
  r = read_every_way("HTTP/1.1 200 OK\r\n\r\nuntil the end");
  EXPECT_EQ(r.last, Event::done);
  EXPECT_EQ(r.body, "until the end");
  EXPECT_FALSE(r.reusable);
  // A Transfer-Encoding without chunked last is read until the close too.
  r = read_every_way("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz");
  EXPECT_EQ(r.body, "zz");
  EXPECT_FALSE(r.reusable);

  // Bytes after the response are not part of it.
  r = read_every_way("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA");
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.left_over, 5u);
}

TEST(Http1Response, InterimNoBodyAndConnectionReuseRules) {
  // 100 Continue and 103 Early Hints are skipped; their headers do not leak into the final one.
  auto r = read_every_way(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nContent-Type: text/html\r\n"
      "Retry-After: 1\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.last, Event::done);
  EXPECT_EQ(r.headers_events, 1);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.content_type, "");
  EXPECT_FALSE(r.retry_after.has_value());
  // 204 and 304 have no body whatever the headers say.
  r = read_every_way("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
  EXPECT_EQ(r.last, Event::done);
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.reusable);
  // Connection: close, and HTTP/1.0 unless it says keep-alive.
  EXPECT_FALSE(
      read_every_way("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n").reusable);
  EXPECT_FALSE(read_every_way("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").reusable);
  EXPECT_TRUE(
      read_every_way("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
          .reusable);
  // Both framings: chunked wins, and the connection is not trusted further.
  r = read_every_way(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: "
      "chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
  EXPECT_EQ(r.body, "x");
  EXPECT_FALSE(r.reusable);
  // A reason phrase is optional.
  EXPECT_EQ(read_every_way("HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n").status, 500);
}

TEST(Http1Response, MalformedRepliesAreErrorsThatSayWhat) {
  const auto error_of = [](std::string_view text, ResponseParser::Limits limits = {}) {
    const auto r = read_every_way(text, limits);
    EXPECT_EQ(r.last, Event::error) << text;
    EXPECT_FALSE(r.reusable);
    return r.error;
  };
  EXPECT_NE(error_of("HTTP/2 200 OK\r\n\r\n").find("status line"), std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 20 OK\r\n\r\n").find("status line"), std::string::npos);
  EXPECT_NE(error_of("ICY 200 OK\r\n\r\n").find("status line"), std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").find("header line"),
            std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n").find("Content-Length"),
            std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n")
                .find("Content-Length"),
            std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n")
                .find("Content-Length"),
            std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
                .find("conflicting"),
            std::string::npos);
  EXPECT_NE(
      error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").find("chunk size"),
      std::string::npos);
  EXPECT_NE(
      error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n").find("chunk size"),
      std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "10000000000000000\r\n")
                .find("overflows"),
            std::string::npos);
  EXPECT_NE(
      error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n").find("CR LF"),
      std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 101 Switching Protocols\r\n\r\n").find("101"), std::string::npos);
  // The header block limit counts every line, interim responses included.
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nX-Big: " + std::string(200, 'a') + "\r\n\r\n",
                     {.max_header_bytes = 128})
                .find("larger than 128 bytes"),
            std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
                     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
                     {.max_header_bytes = 64})
                .find("larger than"),
            std::string::npos);
  // The end of the connection within a reply.
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").find("7 bytes"),
            std::string::npos);
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\nContent-Le").find("headers"), std::string::npos);
  EXPECT_NE(
      error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").find("chunked"),
      std::string::npos);
  EXPECT_NE(error_of("").find("without replying"), std::string::npos);
}

TEST(Http1Response, TheBodyCapIsEnforcedForEveryFraming) {
  const ResponseParser::Limits cap{.max_body_bytes = 4};
  // Up to the cap is fine.
  EXPECT_EQ(read_every_way("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", cap).last,
            Event::done);
  // A declared length over the cap fails at once, after the headers.
  auto r = read_every_way("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", cap, false);
  EXPECT_EQ(r.last, Event::too_large);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.reusable);
  EXPECT_EQ(read_every_way("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                           cap)
                .last,
            Event::too_large);
  EXPECT_EQ(read_every_way("HTTP/1.1 200 OK\r\n\r\nabcde", cap).last, Event::too_large);
  // Exactly the cap, read until the close, is a whole body.
  EXPECT_EQ(read_every_way("HTTP/1.1 200 OK\r\n\r\nabcd", cap).last, Event::done);
}

TEST(Http1Response, AParserIsReusedForTheNextResponse) {
  ResponseParser parser;
  std::string_view input =
      "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Length: 1\r\n\r\nx"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
  std::string_view body;
  while (parser.next(input, body) != Event::done) {
  }
  EXPECT_EQ(parser.status(), 200);
  parser.reset();
  std::string seen;
  for (Event e = parser.next(input, body); e != Event::done; e = parser.next(input, body)) {
    if (e == Event::body) seen.append(body);
    ASSERT_NE(e, Event::error);
  }
  EXPECT_EQ(parser.status(), 404);
  EXPECT_EQ(parser.content_type(), "");
  EXPECT_EQ(seen, "no");
  EXPECT_TRUE(input.empty());
}

}  // namespace
}  // namespace lmmbench::testing
