#include "perf_server.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string_view>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/text.hpp"

namespace lmmbench::testing {

namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(fmt::format("PerfServer: {}: {}", what, std::strerror(errno)));
}

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

/// One streamed reply in progress.
struct Stream {
  TimePoint received;
  double ttft = 0;
  double itl = 0;
  int tokens = 16;
  int next = 0;  ///< Index of the next token event.
  std::optional<double> pause_at;
  double pause_for = 0;
  bool role_chunk = false;    ///< Open with a role-only delta at once.
  bool finish_chunk = false;  ///< End with an empty delta that carries the finish reason.
  std::string model_json;     ///< The model name as a JSON string.
  bool usage = false;
  long prompt_tokens = 0;
  std::size_t journal_index = 0;

  [[nodiscard]] TimePoint due(int i) const {
    TimePoint t = received + seconds(ttft + i * itl);
    if (pause_at) {
      const TimePoint from{seconds(*pause_at)};
      const TimePoint until = from + seconds(pause_for);
      if (t >= from && t < until) t = until;
    }
    return t;
  }
};

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  bool want_write = false;
  std::optional<Stream> stream;
  std::uint64_t generation = 0;  ///< Tells a stale timer entry from the current stream's.
};

struct Due {
  TimePoint at;
  int fd;
  std::uint64_t generation;
  bool operator>(const Due& o) const { return at > o.at; }
};

/// "ttft=0.05;itl=0.01;tokens=16" → the stream's timing; false if a value does not parse.
bool parse_spec(std::string_view spec, Stream& s) {
  while (!spec.empty()) {
    const auto end = spec.find(';');
    const std::string_view item = spec.substr(0, end);
    spec = end == std::string_view::npos ? std::string_view{} : spec.substr(end + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = item.substr(0, eq);
    const std::string value(item.substr(eq + 1));
    char* stop = nullptr;
    const double v = std::strtod(value.c_str(), &stop);
    if (value.empty() || *stop != '\0' || !(v >= 0)) return false;
    if (key == "ttft") {
      s.ttft = v;
    } else if (key == "itl") {
      s.itl = v;
    } else if (key == "tokens") {
      s.tokens = static_cast<int>(v);
    } else if (key == "pause_at") {
      s.pause_at = v;
    } else if (key == "pause_for") {
      s.pause_for = v;
    } else if (key == "role") {
      s.role_chunk = v != 0;
    } else if (key == "finish") {
      s.finish_chunk = v != 0;
    } else {
      return false;
    }
  }
  return s.tokens >= 1;
}

/// Words of text plus 576 per image, as tests/servers/llm_server.py counts prompt tokens.
long count_prompt_tokens(const nlohmann::json& body) {
  long tokens = 0;
  auto words = [](const std::string& text) {
    long n = 0;
    bool in_word = false;
    for (const char c : text) {
      const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
      if (!space && !in_word) ++n;
      in_word = !space;
    }
    return n;
  };
  const auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) return 0;
  for (const auto& m : *messages) {
    const auto content = m.find("content");
    if (content == m.end()) continue;
    if (content->is_string()) tokens += words(content->get<std::string>());
    if (!content->is_array()) continue;
    for (const auto& part : *content) {
      const std::string type = part.value("type", "");
      if (type == "text" && part.contains("text") && part["text"].is_string()) {
        tokens += words(part["text"].get<std::string>());
      } else if (type == "image_url") {
        tokens += 576;
      }
    }
  }
  return tokens;
}

std::string chunk(std::string_view data) {
  return fmt::format("{:x}\r\n{}\r\n", data.size(), data);
}

std::string error_reply(int status, std::string_view reason, std::string_view message) {
  const std::string body = nlohmann::json{{"error", {{"message", message}}}}.dump();
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}", status,
      reason, body.size(), body);
}

class Loop {
 public:
  Loop(int listen_fd, int stop_fd, PerfServerJournal& journal)
      : listen_fd_(listen_fd), stop_fd_(stop_fd), journal_(journal) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epoll_fd_ < 0 || timer_fd_ < 0) fail("epoll/timerfd");
    for (const int fd : {listen_fd_, stop_fd_, timer_fd_})
      watch(fd, EPOLLIN, EPOLL_CTL_ADD);
  }
  ~Loop() {
    for (auto& [fd, c] : connections_)
      ::close(fd);
    ::close(timer_fd_);
    ::close(epoll_fd_);
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void run() {
    std::array<epoll_event, 64> events{};
    while (true) {
      arm_timer();
      const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0 && errno != EINTR) fail("epoll_wait");
      for (int i = 0; i < n; ++i) {
        const auto& e = events[static_cast<std::size_t>(i)];
        const int fd = e.data.fd;
        if (fd == stop_fd_) return;
        if (fd == timer_fd_) {
          std::uint64_t expirations = 0;
          [[maybe_unused]] const auto r = ::read(timer_fd_, &expirations, sizeof expirations);
        } else if (fd == listen_fd_) {
          accept_all();
        } else {
          on_socket(fd, e.events);
        }
      }
      fire_due();
    }
  }

 private:
  void watch(int fd, std::uint32_t events, int op) const {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    epoll_ctl(epoll_fd_, op, fd, &e);
  }

  void arm_timer() {
    // Drop entries of streams that ended (their connection closed).
    while (!due_.empty()) {
      const auto it = connections_.find(due_.top().fd);
      if (it != connections_.end() && it->second.generation == due_.top().generation &&
          it->second.stream) {
        break;
      }
      due_.pop();
    }
    itimerspec spec{};
    if (!due_.empty()) {
      const auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(due_.top().at.time_since_epoch())
              .count();
      spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
      if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    }
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  void accept_all() {
    while (true) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      connections_[fd].fd = fd;
      watch(fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    }
  }

  void close_connection(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    connections_.erase(fd);
  }

  void on_socket(int fd, std::uint32_t events) {
    const auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    if ((events & EPOLLOUT) != 0 && !flush(c)) return;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
    std::array<char, 65536> buffer{};
    while (true) {
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n > 0) {
        c.in.append(buffer.data(), static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      close_connection(fd);  // EOF or error
      return;
    }
    serve_requests(c);
  }

  /// Handles every complete request in the buffer while no stream is in progress.
  void serve_requests(Connection& c) {
    while (!c.stream) {
      const auto head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      const std::string_view head(c.in.data(), head_end);
      std::size_t length = 0;
      bool chunked = false;
      std::size_t line_start = head.find("\r\n");
      const std::string_view request_line = head.substr(0, line_start);
      while (line_start != std::string_view::npos) {
        const std::size_t next = head.find("\r\n", line_start + 2);
        const std::string_view line = head.substr(line_start + 2, next - line_start - 2);
        const std::string name = ascii_lower(line.substr(0, line.find(':')));
        std::string_view value = line.substr(std::min(line.size(), name.size() + 1));
        while (!value.empty() && value.front() == ' ')
          value.remove_prefix(1);
        if (name == "content-length")
          std::from_chars(value.data(), value.data() + value.size(), length);
        if (name == "transfer-encoding") chunked = true;
        line_start = next;
      }
      if (chunked) {
        // The rest of the connection's bytes cannot be framed: answer and close it.
        const int fd = c.fd;
        if (send(c, error_reply(411, "Length Required", "this server reads Content-Length bodies")))
          close_connection(fd);
        return;
      }
      if (c.in.size() < head_end + 4 + length) return;
      const TimePoint received = SteadyClock::now();
      const std::string body = c.in.substr(head_end + 4, length);
      const std::string target = [&] {
        const auto a = request_line.find(' ');
        const auto b = request_line.find(' ', a + 1);
        return std::string(request_line.substr(a + 1, b - a - 1));
      }();
      const bool post = request_line.starts_with("POST ");
      c.in.erase(0, head_end + 4 + length);
      const int fd = c.fd;
      start(c, post, target, body, received);
      if (!connections_.contains(fd)) return;  // `c` is gone
    }
  }

  void start(Connection& c, bool post, const std::string& target, const std::string& body,
             TimePoint received) {
    Stream s;
    s.received = received;
    const std::string_view prefix = "/perf/";
    const auto spec_end = target.find('/', prefix.size());
    if (!post || !target.starts_with(prefix) || spec_end == std::string::npos ||
        !target.ends_with("/chat/completions")) {
      send(c, error_reply(404, "Not Found", "POST /perf/SPEC/.../chat/completions only"));
      return;
    }
    if (!parse_spec(std::string_view(target).substr(prefix.size(), spec_end - prefix.size()), s)) {
      send(c, error_reply(400, "Bad Request", "bad timing spec in the path"));
      return;
    }
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
      send(c, error_reply(400, "Bad Request", "body is not a JSON object"));
      return;
    }
    if (!json.value("stream", false)) {
      send(c, error_reply(400, "Bad Request", "this server only streams (\"stream\": true)"));
      return;
    }
    s.model_json = nlohmann::json(json.value("model", "")).dump();
    const auto options = json.find("stream_options");
    s.usage =
        options != json.end() && options->is_object() && options->value("include_usage", false);
    s.prompt_tokens = count_prompt_tokens(json);
    if (!send(c,
              "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: "
              "no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")) {
      return;
    }
    // A role-only delta before any token, as a server may send while the prompt is processed.
    if (s.role_chunk && !send(c, event(s, R"({"role":"assistant","content":""})", "null"))) return;
    {
      std::lock_guard lock(journal_.mutex);
      s.journal_index = journal_.streams.size();
      journal_.streams.push_back({received, {}, {}});
    }
    c.stream = s;
    ++c.generation;
    due_.push(Due{s.due(0), c.fd, c.generation});
  }

  /// Writes every token event whose deadline has passed.
  void fire_due() {
    while (!due_.empty()) {
      const TimePoint now = SteadyClock::now();
      if (due_.top().at > now) return;
      const Due d = due_.top();
      due_.pop();
      const auto it = connections_.find(d.fd);
      if (it == connections_.end() || it->second.generation != d.generation || !it->second.stream) {
        continue;
      }
      write_event(it->second, d.at);
    }
  }

  /// One chat.completion.chunk event with the given delta and finish reason (JSON texts).
  static std::string event(const Stream& s, std::string_view delta, std::string_view finish) {
    return chunk(
        fmt::format(R"(data: {{"id":"chatcmpl-perf","object":"chat.completion.chunk","created":0,)"
                    R"("model":{},"choices":[{{"index":0,"delta":{},"finish_reason":{}}}]}})"
                    "\n\n",
                    s.model_json, delta, finish));
  }

  void write_event(Connection& c, TimePoint due) {
    Stream& s = *c.stream;
    const int i = s.next++;
    const bool last = s.next == s.tokens;
    const bool role = i == 0 && !s.role_chunk;
    std::string out =
        event(s, role ? R"({"role":"assistant","content":"tok"})" : R"({"content":" tok"})",
              last && !s.finish_chunk ? R"("length")" : "null");
    if (last) {
      if (s.finish_chunk) out += event(s, "{}", R"("length")");
      if (s.usage) {
        out += chunk(fmt::format(
            R"(data: {{"id":"chatcmpl-perf","object":"chat.completion.chunk","created":0,)"
            R"("model":{},"choices":[],"usage":{{"prompt_tokens":{},"completion_tokens":{},)"
            R"("total_tokens":{}}}}})"
            "\n\n",
            s.model_json, s.prompt_tokens, s.tokens, s.prompt_tokens + s.tokens));
      }
      out += chunk("data: [DONE]\n\n");
      out += "0\r\n\r\n";
    }
    const int fd = c.fd;
    if (!send(c, out)) return;
    {
      const TimePoint written = SteadyClock::now();
      std::lock_guard lock(journal_.mutex);
      auto& j = journal_.streams[s.journal_index];
      j.due.push_back(due);
      j.written.push_back(written);
    }
    if (!last) {
      due_.push(Due{s.due(s.next), fd, c.generation});
      return;
    }
    c.stream.reset();
    serve_requests(c);  // a request pipelined behind this one
  }

  /// Queues `data` and writes what the socket takes now; false if the connection was closed.
  bool send(Connection& c, std::string_view data) {
    c.out.append(data);
    return flush(c);
  }

  bool flush(Connection& c) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      close_connection(c.fd);
      return false;
    }
    const bool want = !c.out.empty();
    if (want != c.want_write) {
      c.want_write = want;
      watch(c.fd, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u), EPOLL_CTL_MOD);
    }
    return true;
  }

  int listen_fd_;
  int stop_fd_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  PerfServerJournal& journal_;
  std::map<int, Connection> connections_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
};

}  // namespace

PerfServer::PerfServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (::listen(listen_fd_, 1024) != 0) fail("listen");
  socklen_t size = sizeof address;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) fail("eventfd");
  thread_ = std::thread([this] { run(); });
}

PerfServer::~PerfServer() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(stop_fd_);
  ::close(listen_fd_);
}

void PerfServer::run() {
  // Timer expiries may otherwise be deferred by the default 50 µs slack.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  Loop loop(listen_fd_, stop_fd_, journal_);
  loop.run();
}

std::string PerfServer::url() const {
  return fmt::format("http://127.0.0.1:{}", port_);
}

std::vector<PerfServerJournal::Stream> PerfServer::streams() const {
  std::lock_guard lock(journal_.mutex);
  return journal_.streams;
}

}  // namespace lmmbench::testing
