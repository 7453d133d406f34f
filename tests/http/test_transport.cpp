// The HTTP backends against tests/servers/llm_server.py over real sockets: the three dialects,
// streaming and not, and every injected fault ending in exactly one classified completion.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_test_support.hpp"
#include "llm_server.hpp"

namespace lmmbench::testing {
namespace {

using models::ErrorKind;
using models::http::create_anthropic;
using models::http::create_gemini;
using models::http::create_openai;

struct DialectCase {
  const char* name;
  models::BackendFactory factory;
  const char* base_path;  ///< Appended to the server URL.
};

const DialectCase kDialects[] = {
    {"openai", &create_openai, "/v1"},
    {"gemini", &create_gemini, "/v1beta"},
    {"anthropic", &create_anthropic, "/v1"},
};

nlohmann::json options_for(const DialectCase& d, const LlmServer& server, bool stream,
                           nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json o{{"base_url", server.url() + d.base_path},
                   {"model", std::string("test-") + d.name},
                   {"stream", stream},
                   {"timeout_s", 20},
                   {"idle_timeout_s", 5}};
  o.merge_patch(extra);
  return o;
}

class Dialect : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  const DialectCase& dialect() const { return kDialects[std::get<0>(GetParam())]; }
  bool stream() const { return std::get<1>(GetParam()); }
  std::unique_ptr<models::Backend> backend(nlohmann::json extra = nlohmann::json::object()) {
    return make_backend(dialect().factory, options_for(dialect(), server_, stream(), extra));
  }
  LlmServer server_;
};

TEST_P(Dialect, AnswersWithUsageTimestampsAndTheExactBodyItBuilt) {
  auto b = backend();
  const auto request = vqa_request("What is shown? [[answer:a blue square]]", "Be brief.");
  const auto expected_body = nlohmann::json::parse(http(*b).build_call(request).body);
  const Nanos before = test_clock().now();
  const auto c = ask(*b, request);
  ASSERT_TRUE(c.ok()) << c.error_message;
  EXPECT_EQ(c.text, "a blue square");
  ASSERT_TRUE(c.usage.prompt_tokens.has_value());
  EXPECT_EQ(*c.usage.prompt_tokens, 6 + 2 + 576);  // words of the texts + one image
  EXPECT_EQ(c.usage.completion_tokens, 3);
  if (stream()) {
    ASSERT_TRUE(c.timings.first_token.has_value());
    EXPECT_GE(*c.timings.first_token, before);
    EXPECT_GE(c.timings.token_events.size(), 5u);  // "a blue square" arrives in 3-byte pieces
    EXPECT_TRUE(std::is_sorted(c.timings.token_events.begin(), c.timings.token_events.end()));
    EXPECT_EQ(c.timings.token_events.front(), *c.timings.first_token);
  } else {
    EXPECT_FALSE(c.timings.first_token.has_value());
    EXPECT_TRUE(c.timings.token_events.empty());
  }
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["body"], expected_body);
  EXPECT_EQ(requests[0]["dialect"], dialect().name);
}

TEST_P(Dialect, RefusalLengthAndErrorStatusesAreClassified) {
  auto b = backend();
  auto refused = ask(*b, vqa_request("[[fault:refusal]] [[answer:no]]"));
  EXPECT_EQ(refused.error, ErrorKind::refused) << refused.error_message;
  // A reply cut at max_tokens is an answer by default and an error with truncation = "error".
  auto length = ask(*b, vqa_request("[[fault:length]] [[answer:long answer]]"));
  EXPECT_TRUE(length.ok()) << length.error_message;
  EXPECT_EQ(length.text, "long answer");
  auto strict = backend({{"truncation", "error"}});
  auto truncated = ask(*strict, vqa_request("[[fault:length]] [[answer:long answer]]"));
  EXPECT_EQ(truncated.error, ErrorKind::truncated);
  auto rate = ask(*b, vqa_request("[[fault:status=429;retry_after=2]]"));
  EXPECT_EQ(rate.error, ErrorKind::http);
  EXPECT_EQ(rate.http_status, 429);
  ASSERT_TRUE(rate.retry_after.has_value());
  EXPECT_EQ(*rate.retry_after, std::chrono::seconds(2));
  EXPECT_NE(rate.error_message.find("HTTP 429: injected HTTP 429"), std::string::npos)
      << rate.error_message;
  auto bad = ask(*b, vqa_request("[[fault:status=400]]"));
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_FALSE(bad.retry_after.has_value());
  auto malformed = ask(*b, vqa_request("[[fault:malformed]]"));
  EXPECT_EQ(malformed.error, ErrorKind::malformed_reply) << malformed.error_message;
  auto truncated_body = ask(*b, vqa_request("[[fault:truncate]]"));
  EXPECT_EQ(truncated_body.error, stream() ? ErrorKind::malformed_reply : ErrorKind::connection)
      << truncated_body.error_message;
  auto reset = ask(*b, vqa_request("[[fault:reset]]"));
  EXPECT_EQ(reset.error, ErrorKind::connection) << reset.error_message;
  // After all of that the same backend still answers.
  auto after = ask(*b, vqa_request("[[answer:still fine]]"));
  EXPECT_EQ(after.text, "still fine") << after.error_message;
}

INSTANTIATE_TEST_SUITE_P(AllDialects, Dialect,
                         ::testing::Combine(::testing::Range(0, 3), ::testing::Bool()),
                         [](const auto& param_info) {
                           return std::string(kDialects[std::get<0>(param_info.param)].name) +
                                  (std::get<1>(param_info.param) ? "_stream" : "_whole");
                         });

/// A loopback listener that answers every connection with a plain-HTTP line at once and closes
/// it: what a TLS client meets when it speaks to a plain-HTTP port (wrong version number).
class PlainTextListener {
 public:
  PlainTextListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("cannot listen on a loopback port");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;  // shutdown() below
        const std::string_view reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        [[maybe_unused]] const auto n = ::write(client, reply.data(), reply.size());
        ::close(client);
      }
    });
  }
  ~PlainTextListener() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  PlainTextListener(const PlainTextListener&) = delete;
  PlainTextListener& operator=(const PlainTextListener&) = delete;
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
  std::thread thread_;
};

class Faults : public ::testing::Test {
 protected:
  std::unique_ptr<models::Backend> openai(bool stream, nlohmann::json extra = {}) {
    nlohmann::json options = options_for(kDialects[0], server_, stream);
    if (!extra.is_null()) options.merge_patch(extra);
    return make_backend(&create_openai, options);
  }
  LlmServer server_;
};

TEST_F(Faults, TimeoutsConnectTotalAndIdleStream) {
  // A slow first byte within the total timeout is only latency.
  auto patient = openai(false, {{"timeout_s", 5}});
  const auto slow = ask(*patient, vqa_request("[[fault:slow;delay=0.3]] [[answer:late]]"));
  EXPECT_EQ(slow.text, "late") << slow.error_message;
  // Past the total timeout it is a timeout.
  auto hasty = openai(false, {{"timeout_s", 0.3}});
  const auto total = ask(*hasty, vqa_request("[[fault:slow;delay=3]]"));
  EXPECT_EQ(total.error, ErrorKind::timeout) << total.error_message;
  const auto stalled_body = ask(*hasty, vqa_request("[[fault:stall]]"));
  EXPECT_EQ(stalled_body.error, ErrorKind::timeout) << stalled_body.error_message;
  // A stream that goes silent is cut by the idle timeout long before the total one.
  auto streaming = openai(true, {{"idle_timeout_s", 0.3}, {"timeout_s", 30}});
  const auto start = std::chrono::steady_clock::now();
  const auto stalled = ask(*streaming, vqa_request("[[fault:stall]]"));
  EXPECT_EQ(stalled.error, ErrorKind::timeout);
  EXPECT_NE(stalled.error_message.find("idle timeout"), std::string::npos) << stalled.error_message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(Faults, WrongContentTypeHugeBodyAndRefusedConnection) {
  auto b = openai(false, {{"max_response_bytes", 1 << 20}});
  const auto html = ask(*b, vqa_request("[[fault:wrong_type]]"));
  EXPECT_EQ(html.error, ErrorKind::malformed_reply);
  EXPECT_NE(html.error_message.find("text/html"), std::string::npos) << html.error_message;
  const auto huge = ask(*b, vqa_request("[[fault:huge;size=4000000]]"));
  EXPECT_EQ(huge.error, ErrorKind::malformed_reply);
  EXPECT_NE(huge.error_message.find("max_response_bytes"), std::string::npos) << huge.error_message;
  // Nothing listens on the port of a stopped server.
  int dead_port = 0;
  {
    LlmServer gone;
    dead_port = gone.port();
  }
  auto nowhere = make_backend(
      &create_openai, {{"base_url", "http://127.0.0.1:" + std::to_string(dead_port) + "/v1"},
                       {"model", "m"},
                       {"connect_timeout_s", 2}});
  const auto refused = ask(*nowhere, vqa_request("hello"));
  EXPECT_EQ(refused.error, ErrorKind::connection) << refused.error_message;
  EXPECT_TRUE(refused.fatal) << refused.error_message;
}

TEST_F(Faults, FailuresThatCannotHealWithinTheRunAreFatal) {
  auto b = openai(false);
  for (const int status : {401, 403, 404}) {
    const auto c = ask(*b, vqa_request("[[fault:status=" + std::to_string(status) + "]]"));
    EXPECT_EQ(c.http_status, status);
    EXPECT_TRUE(c.fatal) << status;
  }
  for (const int status : {400, 429, 500, 503}) {
    const auto c = ask(*b, vqa_request("[[fault:status=" + std::to_string(status) + "]]"));
    EXPECT_EQ(c.http_status, status);
    EXPECT_FALSE(c.fatal) << status;
  }
  // Gemini rejects a bad key with 400 and the reason API_KEY_INVALID; any other 400 is not fatal.
  auto gemini = make_backend(&create_gemini, options_for(kDialects[1], server_, false));
  const auto bad_key = ask(*gemini, vqa_request("[[fault:status=400;reason=API_KEY_INVALID]]"));
  EXPECT_EQ(bad_key.http_status, 400);
  EXPECT_TRUE(bad_key.fatal) << bad_key.error_message;
  const auto bad_request = ask(*gemini, vqa_request("[[fault:status=400]]"));
  EXPECT_EQ(bad_request.http_status, 400);
  EXPECT_FALSE(bad_request.fatal);
  for (const char* fault : {"reset", "stall", "malformed"}) {
    auto hasty = openai(false, {{"idle_timeout_s", 0.3}});
    const auto c = ask(*hasty, vqa_request(std::string("[[fault:") + fault + "]]"));
    EXPECT_FALSE(c.ok()) << fault;
    EXPECT_FALSE(c.fatal) << fault << ": " << c.error_message;
  }
  // TLS to a server that answers in plain HTTP: the handshake fails.
  PlainTextListener plain;
  auto tls = make_backend(
      &create_openai,
      {{"base_url", "https://127.0.0.1:" + std::to_string(plain.port()) + "/v1"}, {"model", "m"}});
  const auto handshake = ask(*tls, vqa_request("hello"));
  EXPECT_EQ(handshake.error, ErrorKind::connection) << handshake.error_message;
  EXPECT_TRUE(handshake.fatal) << handshake.error_message;
  // A name that cannot resolve (".invalid" is reserved for that, RFC 6761 §6.4).
  auto dns = make_backend(
      &create_openai,
      {{"base_url", "http://lmmbench-test.invalid/v1"}, {"model", "m"}, {"connect_timeout_s", 5}});
  const auto unresolved = ask(*dns, vqa_request("hello"));
  EXPECT_EQ(unresolved.error, ErrorKind::connection) << unresolved.error_message;
  EXPECT_TRUE(unresolved.fatal) << unresolved.error_message;
}

TEST_F(Faults, TheIdleTimeoutBoundsTheWaitForHeadersAndGapsInAWholeBody) {
  auto b = openai(false, {{"idle_timeout_s", 0.3}, {"timeout_s", 30}});
  // A server that never starts its reply.
  auto start = std::chrono::steady_clock::now();
  const auto silent = ask(*b, vqa_request("[[fault:slow;delay=20]]"));
  EXPECT_EQ(silent.error, ErrorKind::timeout) << silent.error_message;
  EXPECT_NE(silent.error_message.find("no response"), std::string::npos) << silent.error_message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // A whole (non-streamed) body that stops half way.
  start = std::chrono::steady_clock::now();
  const auto stalled = ask(*b, vqa_request("[[fault:stall]]"));
  EXPECT_EQ(stalled.error, ErrorKind::timeout) << stalled.error_message;
  EXPECT_NE(stalled.error_message.find("the reply sent nothing"), std::string::npos)
      << stalled.error_message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // A reply that starts within the idle timeout is an answer.
  auto patient = openai(true, {{"idle_timeout_s", 0.3}});
  const auto ok = ask(*patient, vqa_request("[[fault:slow;delay=0.1]] [[answer:fine]]"));
  EXPECT_EQ(ok.text, "fine") << ok.error_message;
}

TEST_F(Faults, AnOpenAiStreamEndsAtItsFinishReasonAndABareDoneIsNoAnswer) {
  auto b = openai(true);
  // llama.cpp's server ends an interrupted generation with [DONE] alone: not an empty answer.
  const auto empty = ask(*b, vqa_request("[[fault:empty_done]] [[answer:never]]"));
  EXPECT_EQ(empty.error, ErrorKind::malformed_reply) << empty.error_message;
  EXPECT_NE(empty.error_message.find("[DONE]"), std::string::npos) << empty.error_message;
  // A stream that ends after its finish reason and usage, without [DONE], has answered.
  const auto undone = ask(*b, vqa_request("[[fault:no_done]] [[answer:complete]]"));
  EXPECT_EQ(undone.error, ErrorKind::none) << undone.error_message;
  EXPECT_EQ(undone.text, "complete");
  EXPECT_TRUE(undone.usage.completion_tokens.has_value());
  // Cut before the finish reason it is still malformed.
  const auto cut = ask(*b, vqa_request("[[fault:truncate]] [[answer:a b c d e f g h i j k l]]"));
  EXPECT_EQ(cut.error, ErrorKind::malformed_reply) << cut.error_message;
}

TEST_F(Faults, HugeRetryAfterValuesAreBoundedNotWrapped) {
  auto b = openai(false);
  for (const char* value : {"9999999999", "1e300", "inf"}) {
    const auto c =
        ask(*b, vqa_request(std::string("[[fault:status=503;retry_after=") + value + "]]"));
    ASSERT_TRUE(c.retry_after.has_value()) << value;
    EXPECT_EQ(*c.retry_after, models::http::kLongestServerWait) << value;
  }
}

TEST_F(Faults, GeminiRetryInfoAndAzureContentFilterAndServerErrors) {
  auto gemini = make_backend(&create_gemini, options_for(kDialects[1], server_, false));
  const auto limited = ask(*gemini, vqa_request("[[fault:status=429;retry_info=3]]"));
  EXPECT_EQ(limited.http_status, 429);
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_EQ(*limited.retry_after, std::chrono::seconds(3));
  auto b = openai(false);
  const auto unavailable = ask(*b, vqa_request("[[fault:status=503;retry_after=1]]"));
  EXPECT_EQ(unavailable.http_status, 503);
  EXPECT_EQ(unavailable.retry_after, std::chrono::seconds(1));
  const auto missing = ask(*b, vqa_request("[[fault:status=404]]"));
  EXPECT_EQ(missing.http_status, 404);
}

TEST_F(Faults, RejectedKeysAreRedactedFromEveryMessage) {
  const std::string key = "sk-leak-check-5d41402abc4b2a76b9719d911017c592";
  ::setenv("LMMBENCH_TEST_LEAK_KEY", key.c_str(), 1);
  for (int d = 0; d < 3; ++d) {
    auto b = make_backend(
        kDialects[d].factory,
        options_for(kDialects[d], server_, d == 1, {{"api_key_env", "LMMBENCH_TEST_LEAK_KEY"}}));
    // The server echoes the rejected key in its 401 message, as OpenAI's does.
    const auto c = ask(*b, vqa_request("[[fault:status=401]]"));
    EXPECT_EQ(c.http_status, 401) << kDialects[d].name;
    EXPECT_NE(c.error_message.find("[REDACTED]"), std::string::npos) << c.error_message;
    EXPECT_EQ(c.error_message.find(key.substr(0, 12)), std::string::npos) << c.error_message;
  }
  // The key did reach the server, in each dialect's header.
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0]["headers"]["authorization"], "Bearer " + key);
  EXPECT_EQ(requests[1]["headers"]["x-goog-api-key"], key);
  EXPECT_EQ(requests[2]["headers"]["x-api-key"], key);
}

TEST(Transport, HundredsInFlightOnOneThreadEachCompletedOnce) {
  LlmServer server;
  for (const bool stream : {false, true}) {
    auto b = make_backend(&create_openai, options_for(kDialects[0], server, stream));
    constexpr int kRequests = 300;
    std::mutex mutex;
    std::condition_variable cv;
    std::multiset<std::string> answers;
    int completed = 0;
    for (int i = 0; i < kRequests; ++i) {
      auto r = vqa_request("[[answer:a" + std::to_string(i) + "]]");
      r.sample_id = std::to_string(i);
      b->submit(std::move(r), [&](models::Completion c) {
        std::lock_guard lock(mutex);
        answers.insert(c.ok() ? c.text : "error: " + c.error_message);
        ++completed;
        cv.notify_all();
      });
    }
    std::unique_lock lock(mutex);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(60), [&] { return completed == kRequests; }));
    for (int i = 0; i < kRequests; ++i)
      EXPECT_EQ(answers.count("a" + std::to_string(i)), 1u) << i;
  }
}

TEST(Transport, RequestsPerMinuteIsATokenBucket) {
  LlmServer server;
  // 300 requests/minute = 5/s with a bucket of one second's worth: of 10 requests, 5 go at once
  // and the other 5 over the next second.
  auto b = make_backend(&create_openai,
                        options_for(kDialects[0], server, false, {{"requests_per_minute", 300}}));
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> done{0};
  for (int i = 0; i < 10; ++i) {
    b->submit(vqa_request("[[answer:x]]"), [&](models::Completion) { ++done; });
  }
  while (done < 10 && std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(done, 10);
  EXPECT_GE(seconds, 0.9);
  EXPECT_LT(seconds, 5.0);
}

TEST(Transport, CancelEndsWhatIsInFlightAndLaterRequestsAreServed) {
  LlmServer server;
  for (const bool stream : {false, true}) {
    auto b = make_backend(&create_openai, options_for(kDialects[0], server, stream));
    std::mutex mutex;
    std::condition_variable cv;
    int cancelled = 0;
    for (int i = 0; i < 3; ++i) {
      b->submit(vqa_request("[[fault:slow;delay=30]]"), [&](models::Completion c) {
        std::lock_guard lock(mutex);
        if (c.error == ErrorKind::cancelled) ++cancelled;
        cv.notify_all();
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto start = std::chrono::steady_clock::now();
    b->cancel();
    {
      std::unique_lock lock(mutex);
      EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return cancelled == 3; }));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
    EXPECT_EQ(ask(*b, vqa_request("[[answer:after]]")).text, "after");
  }
}

TEST(Transport, ARequestIsNeverSentTwiceBehindTheHarnessesBack) {
  // The server resets every reused connection before replying. libcurl would send the request
  // again on a new connection by itself (the server sees two, the caller one attempt); the
  // transport refuses that re-send, so each attempt reaches the server exactly once.
  LlmServer server;
  auto b = make_backend(&create_openai,
                        {{"base_url", server.url() + "/fault/reset_reused/v1"}, {"model", "m"}});
  const auto first = ask(*b, vqa_request("[[answer:one]]"));  // a new connection
  EXPECT_EQ(first.text, "one") << first.error_message;
  const auto second = ask(*b, vqa_request("[[answer:two]]"));  // the reused one, reset
  EXPECT_EQ(second.error, ErrorKind::connection) << second.text;
  EXPECT_NE(second.error_message.find("reused connection"), std::string::npos)
      << second.error_message;
  EXPECT_FALSE(second.fatal);
  EXPECT_EQ(server.requests().size(), 2u);
  const auto third = ask(*b, vqa_request("[[answer:three]]"));  // a new connection again
  EXPECT_EQ(third.text, "three") << third.error_message;
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(Transport, EveryRequestCarriesItsOwnHeadersPastTheSharedLists) {
  // The transport builds the curl header list of each distinct header set once and shares it
  // (up to a bound), and reuses easy handles without resetting them: every request must still
  // carry exactly its own headers, also once the shared lists are full.
  LlmServer server;
  models::http::Transport transport(models::http::TransportOptions{});
  constexpr int kCalls = 24;
  for (int i = 0; i < kCalls; ++i) {
    std::promise<models::http::HttpResult> done;
    auto result = done.get_future();
    models::http::HttpCall call;
    call.url = server.url() + "/v1/chat/completions";
    // The last calls repeat earlier sets (shared lists again).
    call.headers = {"Content-Type: application/json",
                    "X-Lmmbench-Call: " + std::to_string(i < 20 ? i : i - 20)};
    call.body = R"({"model": "m", "max_tokens": 4, "messages": [{"role": "user",)"
                R"( "content": "[[answer:ok]]"}]})";
    call.on_done = [&done](models::http::HttpResult r) { done.set_value(std::move(r)); };
    transport.submit(std::move(call));
    const auto r = result.get();
    EXPECT_EQ(r.status, 200) << r.error_message << r.body;
  }
  const auto logged = server.requests();
  ASSERT_EQ(logged.size(), static_cast<std::size_t>(kCalls));
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(logged[i]["headers"].value("x-lmmbench-call", ""),
              std::to_string(i < 20 ? i : i - 20))
        << logged[i]["headers"].dump();
  }
}

TEST(Transport, DestroyingTheBackendCancelsWhatIsInFlight) {
  LlmServer server;
  std::atomic<int> cancelled{0};
  {
    auto b = make_backend(&create_openai, options_for(kDialects[0], server, true));
    for (int i = 0; i < 3; ++i) {
      b->submit(vqa_request("[[fault:stall]]"), [&](models::Completion c) {
        if (c.error == ErrorKind::cancelled) ++cancelled;
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(cancelled, 3);
}

}  // namespace
}  // namespace lmmbench::testing
