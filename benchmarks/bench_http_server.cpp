// A fast loopback server for the HTTP client benchmarks (benchmarks/http_client_vs_wrk.py): one
// thread, epoll, HTTP/1.1 keep-alive (pipelined requests too), every POST answered at once with
// a fixed OpenAI Chat Completions reply — application/json, or text/event-stream when the body
// asks for "stream": true (one token event, the usage event and [DONE]). Nothing is parsed but
// the request line, Content-Length and the stream flag, nothing is logged, no reply is built per
// request, so the server's CPU per request is a few µs and a client on a core of its own, not
// the server, is what limits the rate. (tests/servers/llm_server.py is a Python asyncio server:
// its own CPU bounds the rate below what wrk reaches, so the client comparison would measure it.)
//
//   bench_http_server [--port-file FILE]      listens on a free 127.0.0.1 port (printed, and
//                                              written to FILE once it accepts connections)
//   GET /stats                                 {"requests": N, "request_bytes": B}: POSTs served
//                                              and the bytes of their bodies since the start
//   bench_http_server --capture                also keeps the last POST body, answered to
//                                              GET /last_body (the benchmark script sends wrk
//                                              the very body lmmbench sent)
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr std::string_view kJsonBody =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":0,"model":"bench",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"yes"},)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":600,"completion_tokens":1,)"
    R"("total_tokens":601}})";

constexpr std::string_view kStreamBody =
    "data: "
    R"({"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"bench",)"
    R"("choices":[{"index":0,"delta":{"role":"assistant","content":"yes"},)"
    R"("finish_reason":"stop"}]})"
    "\n\n"
    "data: "
    R"({"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"bench",)"
    R"("choices":[],"usage":{"prompt_tokens":600,"completion_tokens":1,"total_tokens":601}})"
    "\n\n"
    "data: [DONE]\n\n";

std::string response(std::string_view content_type, std::string_view body) {
  return fmt::format("HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{}",
                     content_type, body.size(), body);
}

const std::string kJsonResponse = response("application/json", kJsonBody);
const std::string kStreamResponse = response("text/event-stream", kStreamBody);
const std::string kNotFound =
    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

struct Connection {
  std::string in;
  std::string out;  ///< Reply bytes the socket did not take yet.
  bool want_write = false;
};

std::size_t requests = 0;
std::size_t request_bytes = 0;
bool capture = false;
std::string last_body;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bench_http_server: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

bool iequals_prefix(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != lower_prefix[i]) return false;
  }
  return true;
}

/// The Content-Length of a request head (0 when absent).
std::size_t content_length(std::string_view head) {
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    const std::string_view line = head.substr(pos);
    if (iequals_prefix(line, "content-length:")) {
      std::size_t value_at = 15;
      while (value_at < line.size() && line[value_at] == ' ')
        ++value_at;
      std::size_t n = 0;
      std::from_chars(line.data() + value_at, line.data() + line.size(), n);
      return n;
    }
  }
  return 0;
}

bool asks_for_stream(std::string_view body) {
  const auto at = body.find("\"stream\"");
  if (at == std::string_view::npos) return false;
  const auto value = body.find_first_not_of(" :", at + 8);
  return value != std::string_view::npos && body.substr(value, 4) == "true";
}

/// Answers every complete request in `c.in`; returns false when the connection must close.
bool serve(Connection& c) {
  std::size_t done = 0;
  const std::string_view in = c.in;
  while (true) {
    const auto head_end = in.find("\r\n\r\n", done);
    if (head_end == std::string_view::npos) break;
    const std::string_view head = in.substr(done, head_end - done);
    const std::size_t length = content_length(head);
    const std::size_t body_at = head_end + 4;
    if (in.size() - body_at < length) break;
    const std::string_view body = in.substr(body_at, length);
    if (head.starts_with("POST ")) {
      ++requests;
      request_bytes += length;
      c.out += asks_for_stream(body) ? kStreamResponse : kJsonResponse;
      if (capture) last_body.assign(body);
    } else if (head.starts_with("GET /last_body ")) {
      c.out += response("application/json", last_body);
    } else if (head.starts_with("GET /stats ")) {
      const std::string stats =
          fmt::format(R"({{"requests":{},"request_bytes":{}}})", requests, request_bytes);
      c.out += response("application/json", stats);
    } else {
      c.out += kNotFound;
    }
    done = body_at + length;
  }
  c.in.erase(0, done);
  return true;
}

/// Writes what `c.out` holds; returns false on a write error.
bool flush(int fd, Connection& c) {
  std::size_t sent = 0;
  while (sent < c.out.size()) {
    const ssize_t n = ::send(fd, c.out.data() + sent, c.out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  c.out.erase(0, sent);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char* port_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--port-file" && i + 1 < argc) {
      port_file = argv[++i];
    } else if (std::string_view(argv[i]) == "--capture") {
      capture = true;
    } else {
      std::fprintf(stderr, "usage: bench_http_server [--port-file FILE] [--capture]\n");
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // a free port: other tests and benchmarks may run at the same time
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind");
  if (::listen(listener, 4096) != 0) die("listen");
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);

  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) die("epoll_create1");
  epoll_event listen_event{};
  listen_event.events = EPOLLIN;
  listen_event.data.fd = listener;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &listen_event);

  std::printf("%d\n", port);
  std::fflush(stdout);
  if (port_file != nullptr) {
    // Written whole under another name, then renamed: a reader never sees half a number.
    const std::string tmp = std::string(port_file) + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) die("cannot write the port file");
    std::fprintf(f, "%d\n", port);
    std::fclose(f);
    if (std::rename(tmp.c_str(), port_file) != 0) die("cannot rename the port file");
  }

  std::unordered_map<int, Connection> connections;
  std::array<epoll_event, 256> events{};
  std::array<char, 65536> buffer{};
  auto close_connection = [&](int fd) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    connections.erase(fd);
  };
  while (true) {
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
      if (fd == listener) {
        while (true) {
          const int client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client < 0) break;
          ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event event{};
          event.events = EPOLLIN | EPOLLRDHUP;
          event.data.fd = client;
          ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &event);
          connections[client];
        }
        continue;
      }
      auto it = connections.find(fd);
      if (it == connections.end()) continue;
      Connection& c = it->second;
      bool open = (what & (EPOLLERR | EPOLLHUP)) == 0;
      if (open && (what & (EPOLLIN | EPOLLRDHUP)) != 0) {
        while (true) {
          const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
          if (got > 0) {
            c.in.append(buffer.data(), static_cast<std::size_t>(got));
            if (static_cast<std::size_t>(got) < buffer.size()) break;
            continue;
          }
          if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            open = false;
          }
          break;
        }
        if (open) open = serve(c);
      }
      if (open) open = flush(fd, c);
      if (!open) {
        close_connection(fd);
        continue;
      }
      const bool want_write = !c.out.empty();
      if (want_write != c.want_write) {
        c.want_write = want_write;
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0u);
        event.data.fd = fd;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event);
      }
    }
  }
}
