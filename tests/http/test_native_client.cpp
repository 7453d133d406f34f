// The transport's own HTTP/1.1 client against a loopback server that counts its connections:
// keep-alive pooling, stale pooled connections, partial writes, localhost, and the split
// between the own client and libcurl (proxy variables, LMMBENCH_HTTP_CLIENT).
#include <atomic>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.hpp"
#include "models/http/transport.hpp"

namespace lmmbench::testing {
namespace {

using models::http::HttpCall;
using models::http::HttpResult;
using models::http::Transport;
using models::http::TransportError;
using models::http::TransportOptions;

/// Sets (or with nullptr unsets) an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// No proxy variable libcurl honours for http, and the default split: what every test here
/// starts from, whatever the environment it runs in.
struct NativeDefaults {
  ScopedEnv client{"LMMBENCH_HTTP_CLIENT", nullptr};
  ScopedEnv http_proxy{"http_proxy", nullptr};
  ScopedEnv all_proxy{"all_proxy", nullptr};
  ScopedEnv all_proxy_upper{"ALL_PROXY", nullptr};
  ScopedEnv no_proxy{"no_proxy", nullptr};
  ScopedEnv no_proxy_upper{"NO_PROXY", nullptr};
};

/// A loopback HTTP/1.1 server, one thread per connection: it reads each request (head and
/// Content-Length body) and answers 200 with the body's size in JSON, keeping the connection
/// open, or closing it right after each reply (without saying so) when `close_after_reply`.
/// It counts the connections it accepted and the requests it read.
class CountingServer {
 public:
  explicit CountingServer(bool close_after_reply = false, int family = AF_INET)
      : close_after_reply_(close_after_reply),
        fd_(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_storage storage{};
    socklen_t size = 0;
    if (family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      size = sizeof *a;
      const int only = 1;
      ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&storage);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      size = sizeof *a;
    }
    auto* address = reinterpret_cast<sockaddr*>(&storage);
    if (fd_ < 0 || ::bind(fd_, address, size) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, address, &size) != 0) {
      ok_ = false;
      return;
    }
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    acceptor_ = std::thread([this] {
      while (true) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;  // shutdown() below
        ++accepted_;
        std::lock_guard lock(mutex_);
        clients_.push_back(client);
        workers_.emplace_back([this, client] { serve(client); });
      }
    });
  }
  ~CountingServer() {
    ::shutdown(fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (const int c : clients_)
        ::shutdown(c, SHUT_RDWR);
    }
    for (auto& w : workers_)
      w.join();
    for (const int c : clients_)
      ::close(c);
    ::close(fd_);
  }
  CountingServer(const CountingServer&) = delete;
  CountingServer& operator=(const CountingServer&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] int accepted() const { return accepted_; }
  [[nodiscard]] int requests() const { return requests_; }
  /// The head of every request read, in order.
  [[nodiscard]] std::vector<std::string> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  void serve(int client) {
    std::string buffer;
    char chunk[65536];
    while (true) {
      std::size_t end = 0;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        const auto n = ::recv(client, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      std::size_t length = 0;
      const auto at = buffer.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::stoul(buffer.substr(at + 16));
      while (buffer.size() < end + 4 + length) {
        const auto n = ::recv(client, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        heads_.push_back(buffer.substr(0, end + 4));
      }
      const bool sse = buffer.starts_with("POST /sse ");
      const bool sse_error = buffer.starts_with("POST /sse500 ");
      buffer.erase(0, end + 4 + length);
      ++requests_;
      std::string reply;
      if (sse) {
        // Three events in chunks, one of them split across two chunks, with an extension.
        reply =
            "HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
            "9\r\ndata: a\n\n\r\n4;x=y\r\ndata\r\n5\r\n: b\n\n\r\n9\r\ndata: c\n\n\r\n0\r\n\r\n";
      } else if (sse_error) {
        reply =
            "HTTP/1.1 500 Oops\r\nContent-Type: text/event-stream\r\nContent-Length: 7\r\n\r\n"
            "failed\n";
      } else {
        const std::string body = "{\"received\": " + std::to_string(length) + "}";
        reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
      }
      if (::send(client, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) return;
      if (close_after_reply_) {
        ::shutdown(client, SHUT_RDWR);
        return;
      }
    }
  }

  bool close_after_reply_;
  int fd_;
  bool ok_ = true;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::vector<int> clients_;
  std::vector<std::string> heads_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

HttpCall post(std::string url, std::string body, std::promise<HttpResult>& done) {
  HttpCall call;
  call.url = std::move(url);
  call.headers = {"Content-Type: application/json"};
  call.body = std::move(body);
  call.on_done = [&done](HttpResult r) { done.set_value(std::move(r)); };
  return call;
}

HttpResult call(Transport& transport, const std::string& url, std::string body = "{}") {
  std::promise<HttpResult> done;
  auto result = done.get_future();
  transport.submit(post(url, std::move(body), done));
  return result.get();
}

std::string url_of(const CountingServer& server, const char* host = "127.0.0.1") {
  return std::string("http://") + host + ":" + std::to_string(server.port()) + "/v1/x";
}

TEST(NativeClient, KeepAliveConnectionsArePooledPerEndpoint) {
  NativeDefaults env;
  CountingServer server;
  ASSERT_TRUE(server.ok());
  Transport transport(TransportOptions{});
  ASSERT_TRUE(transport.serves_natively(url_of(server)));
  for (int i = 0; i < 20; ++i) {
    const auto r = call(transport, url_of(server));
    ASSERT_EQ(r.error, TransportError::none) << r.error_message;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, "{\"received\": 2}");
  }
  EXPECT_EQ(server.accepted(), 1);  // one connection served all 20
  // Eight at once, three times: eight connections, reused by the later rounds.
  for (int round = 0; round < 3; ++round) {
    std::vector<std::promise<HttpResult>> done(8);
    for (auto& d : done)
      transport.submit(post(url_of(server), "{}", d));
    for (auto& d : done)
      EXPECT_EQ(d.get_future().get().status, 200);
  }
  EXPECT_LE(server.accepted(), 8);
  EXPECT_EQ(server.requests(), 44);
}

TEST(NativeClient, EachRequestCarriesItsOwnTargetHeadersAndLength) {
  // The transport keeps the last URL parsed and its head for the last header set: requests that
  // alternate between URLs and header sets must still each carry their own.
  NativeDefaults env;
  CountingServer server;
  ASSERT_TRUE(server.ok());
  Transport transport(TransportOptions{});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  for (int i = 0; i < 6; ++i) {
    std::promise<HttpResult> done;
    auto result = done.get_future();
    HttpCall c = post(base + (i % 2 == 0 ? "/a" : "/b?q=1"), std::string(i, 'x'), done);
    c.headers = {"Content-Type: application/json", "X-Call: " + std::to_string(i % 3)};
    transport.submit(std::move(c));
    EXPECT_EQ(result.get().status, 200);
  }
  const auto heads = server.heads();
  ASSERT_EQ(heads.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const std::string expected = std::string("POST ") + (i % 2 == 0 ? "/a" : "/b?q=1") +
                                 " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                                 "\r\nUser-Agent: lmmbench\r\nAccept: */*\r\nContent-Type: "
                                 "application/json\r\nX-Call: " +
                                 std::to_string(i % 3) +
                                 "\r\nContent-Length: " + std::to_string(i) + "\r\n\r\n";
    EXPECT_EQ(heads[static_cast<std::size_t>(i)], expected) << i;
  }
}

TEST(NativeClient, AStreamGoesToTheConsumerDechunkedAndFalseAbortsForBothClients) {
  NativeDefaults env;
  for (const char* client : {"native", "curl"}) {
    ScopedEnv set("LMMBENCH_HTTP_CLIENT", client);
    CountingServer server;
    ASSERT_TRUE(server.ok());
    Transport transport(TransportOptions{});
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    const auto stream = [&](const std::string& path, bool keep_going) {
      std::promise<HttpResult> done;
      auto result = done.get_future();
      HttpCall c = post(base + path, "{}", done);
      c.stream = true;
      auto seen = std::make_shared<std::string>();
      c.on_stream_bytes = [seen, keep_going](std::string_view bytes) {
        seen->append(bytes);
        return keep_going;
      };
      transport.submit(std::move(c));
      auto r = result.get();
      return std::make_pair(std::move(r), *seen);
    };
    const auto [whole, bytes] = stream("/sse", true);
    EXPECT_EQ(whole.error, TransportError::none) << client << ": " << whole.error_message;
    EXPECT_TRUE(whole.streamed) << client;
    EXPECT_EQ(whole.content_type, "text/event-stream; charset=utf-8") << client;
    EXPECT_EQ(bytes, "data: a\n\ndata: b\n\ndata: c\n\n") << client;
    EXPECT_EQ(whole.body, "") << client;
    const auto [stopped, first] = stream("/sse", false);
    EXPECT_EQ(stopped.error, TransportError::aborted) << client << ": " << stopped.error_message;
    EXPECT_EQ(first, "data: a\n\n") << client;
    // An error status is not a stream: its body is the result's.
    const auto [failed, none] = stream("/sse500", true);
    EXPECT_EQ(failed.error, TransportError::none) << client;
    EXPECT_EQ(failed.status, 500) << client;
    EXPECT_FALSE(failed.streamed) << client;
    EXPECT_EQ(failed.body, "failed\n") << client;
    EXPECT_EQ(none, "") << client;
    EXPECT_EQ(server.requests(), 3) << client;
  }
}

TEST(NativeClient, AStalePooledConnectionIsNotWrittenTo) {
  // The server closes each connection right after its reply, without Connection: close. The
  // transport notices the close of the idle connection (its epoll event, or the peek before
  // reuse) and sends the next request on a new connection: every request succeeds, and each
  // reached the server once.
  NativeDefaults env;
  CountingServer server(/*close_after_reply=*/true);
  ASSERT_TRUE(server.ok());
  Transport transport(TransportOptions{});
  for (int i = 0; i < 3; ++i) {
    const auto r = call(transport, url_of(server));
    EXPECT_EQ(r.status, 200) << r.error_message;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(server.accepted(), 3);
  EXPECT_EQ(server.requests(), 3);
}

TEST(NativeClient, ALargeBodyGoesOutInPartialWritesAndIsReceivedWhole) {
  NativeDefaults env;
  CountingServer server;
  ASSERT_TRUE(server.ok());
  Transport transport(TransportOptions{});
  const std::string body(8 << 20, 'x');  // far more than a socket buffer
  const auto r = call(transport, url_of(server), body);
  EXPECT_EQ(r.status, 200) << r.error_message;
  EXPECT_EQ(r.body, "{\"received\": " + std::to_string(body.size()) + "}");
}

TEST(NativeClient, MaxInFlightCapsConnectionsForBothClients) {
  NativeDefaults env;
  for (const char* client : {"native", "curl"}) {
    ScopedEnv set("LMMBENCH_HTTP_CLIENT", client);
    CountingServer server;
    ASSERT_TRUE(server.ok());
    TransportOptions options;
    options.max_in_flight = 2;
    Transport transport(options);
    std::vector<std::promise<HttpResult>> done(10);
    for (auto& d : done)
      transport.submit(post(url_of(server), "{}", d));
    for (auto& d : done)
      EXPECT_EQ(d.get_future().get().status, 200) << client;
    EXPECT_LE(server.accepted(), 2) << client;
    EXPECT_EQ(server.requests(), 10) << client;
  }
}

TEST(NativeClient, ConnectAndTotalTimeouts) {
  // A listener with a full accept queue that never accepts: further SYNs are dropped, so a
  // connect hangs (connect_timeout); should the kernel complete it anyway, nothing ever answers
  // (total_timeout). Either way the call ends as a timeout, on time.
  NativeDefaults env;
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    const int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&address), size);
    fillers.push_back(f);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  TransportOptions options;
  options.connect_timeout = std::chrono::milliseconds(200);
  options.total_timeout = std::chrono::milliseconds(1500);
  Transport transport(options);
  const auto start = std::chrono::steady_clock::now();
  const auto r =
      call(transport, "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/v1");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.error, TransportError::timeout) << r.error_message;
  EXPECT_NE(r.error_message.find("Timeout was reached"), std::string::npos) << r.error_message;
  EXPECT_LT(took, std::chrono::seconds(3));
  if (r.error_message.find("Connection timed out") != std::string::npos) {
    EXPECT_LT(took, std::chrono::milliseconds(1200)) << r.error_message;
  }
  for (const int f : fillers)
    ::close(f);
  ::close(listener);
}

TEST(NativeClient, CallsSubmittedByCompletionsDuringDestructionAreCancelledToo) {
  // A closed loop sends its next request from the completion callback. When the transport is
  // destroyed with a call in flight, that call's cancellation submits another one: it must get
  // its on_done as well (cancelled), before the destructor returns.
  NativeDefaults env;
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(::listen(listener, 8), 0);  // never accepted, never answered
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/v1";
  std::vector<TransportError> ends;  // written by the transport's callbacks, read after it is gone
  auto transport = std::make_unique<Transport>(TransportOptions{});
  ASSERT_TRUE(transport->serves_natively(url));
  Transport* const live = transport.get();  // reset() nulls `transport` before destroying it
  std::function<void(int)> send = [&](int left) {
    HttpCall c;
    c.url = url;
    c.body = "{}";
    c.on_done = [&, left](HttpResult r) {
      ends.push_back(r.error);
      if (left > 0) send(left - 1);
    };
    live->submit(std::move(c));
  };
  send(3);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  transport.reset();  // `send` (which the callbacks use) outlives it
  EXPECT_EQ(ends, std::vector<TransportError>(4, TransportError::cancelled));
  ::close(listener);
}

TEST(NativeClient, LocalhostTriesIpv4ThenIpv6WithoutDns) {
  NativeDefaults env;
  Transport transport(TransportOptions{});
  EXPECT_TRUE(transport.serves_natively("http://localhost:8000/v1"));
  EXPECT_TRUE(transport.serves_natively("http://[::1]:8000/v1"));
  EXPECT_FALSE(transport.serves_natively("http://lmmbench-test.invalid/v1"));
  EXPECT_FALSE(transport.serves_natively("https://127.0.0.1/v1"));
  CountingServer v4;
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(call(transport, url_of(v4, "localhost")).status, 200);
  CountingServer v6(false, AF_INET6);
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  // 127.0.0.1 refuses (nothing listens on that port there, unless by chance), then ::1 answers.
  const auto r = call(transport, url_of(v6, "localhost"));
  EXPECT_EQ(r.status, 200) << r.error_message;
  EXPECT_EQ(call(transport, url_of(v6, "[::1]")).status, 200);
}

TEST(NativeClient, ARefusedConnectionIsUnreachable) {
  NativeDefaults env;
  int port = 0;
  {
    CountingServer gone;
    port = gone.port();
  }
  Transport transport(TransportOptions{});
  const auto r = call(transport, "http://127.0.0.1:" + std::to_string(port) + "/v1");
  EXPECT_EQ(r.error, TransportError::connection);
  EXPECT_TRUE(r.unreachable);
  EXPECT_NE(r.error_message.find("Couldn't connect"), std::string::npos) << r.error_message;
}

TEST(NativeClient, AProxyVariableSendsHttpThroughCurlWhichAppliesNoProxy) {
  NativeDefaults env;
  CountingServer server;
  ASSERT_TRUE(server.ok());
  int dead = 0;
  {
    CountingServer gone;
    dead = gone.port();
  }
  const std::string proxy = "http://127.0.0.1:" + std::to_string(dead);
  {
    // libcurl goes to the (dead) proxy: the request fails and the server never sees it.
    ScopedEnv set("http_proxy", proxy.c_str());
    Transport transport(TransportOptions{});
    EXPECT_FALSE(transport.serves_natively(url_of(server)));
    const auto r = call(transport, url_of(server));
    EXPECT_EQ(r.error, TransportError::connection) << r.status;
    EXPECT_EQ(server.accepted(), 0);
    // no_proxy exempts the host: libcurl connects directly.
    ScopedEnv bypass("no_proxy", "127.0.0.1");
    Transport direct(TransportOptions{});
    EXPECT_EQ(call(direct, url_of(server)).status, 200);
    EXPECT_EQ(server.accepted(), 1);
  }
  {
    ScopedEnv set("ALL_PROXY", proxy.c_str());
    EXPECT_FALSE(Transport(TransportOptions{}).serves_natively(url_of(server)));
  }
  {
    // libcurl does not read HTTP_PROXY for http:// (it could come from a CGI request's
    // "Proxy:" header), so neither does the split.
    ScopedEnv set("HTTP_PROXY", proxy.c_str());
    Transport transport(TransportOptions{});
    EXPECT_TRUE(transport.serves_natively(url_of(server)));
    EXPECT_EQ(call(transport, url_of(server)).status, 200);
  }
}

TEST(NativeClient, LmmbenchHttpClientCurlForcesLibcurlAndOtherValuesAreRejected) {
  NativeDefaults env;
  CountingServer server;
  ASSERT_TRUE(server.ok());
  {
    ScopedEnv set("LMMBENCH_HTTP_CLIENT", "curl");
    Transport transport(TransportOptions{});
    EXPECT_FALSE(transport.serves_natively(url_of(server)));
    EXPECT_EQ(call(transport, url_of(server)).status, 200);
  }
  {
    ScopedEnv set("LMMBENCH_HTTP_CLIENT", "native");
    EXPECT_TRUE(Transport(TransportOptions{}).serves_natively(url_of(server)));
  }
  ScopedEnv set("LMMBENCH_HTTP_CLIENT", "wget");
  try {
    Transport transport(TransportOptions{});
    ADD_FAILURE() << "accepted LMMBENCH_HTTP_CLIENT=wget";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("LMMBENCH_HTTP_CLIENT is 'wget'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lmmbench::testing
