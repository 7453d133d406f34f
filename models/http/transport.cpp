#include "models/http/transport.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <curl/curl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.hpp"
#include "models/http/http1.hpp"

namespace lmmbench::models::http {

namespace {

using SteadyClock = std::chrono::steady_clock;

CURLM* as_multi(void* p) {
  return static_cast<CURLM*>(p);
}

/// curl_global_init once per process (it is not thread-safe before 7.84; Debian 12 has 7.88, whose
/// curl_version_info says whether it is, but calling it once is correct everywhere).
void global_init() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    throw Error(fmt::format("curl_global_init failed: {}", curl_easy_strerror(code)));
  }
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::string trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() &&
         (v.back() == '\r' || v.back() == '\n' || v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return std::string(v);
}

/// Failures that repeating cannot mend within a run: the name does not resolve, nothing accepts
/// connections at the address, or TLS cannot be established (curl's error codes,
/// libcurl-errors(3)).
bool is_unreachable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return true;
    default:
      return false;
  }
}

TransportError classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportError::none;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::timeout;
    default:
      // Resolve/connect failures, resets (RECV_ERROR, SEND_ERROR), empty replies (GOT_NOTHING),
      // bodies cut short (PARTIAL_FILE), TLS and HTTP/2 stream errors: the exchange did not
      // complete.
      return TransportError::connection;
  }
}

/// The own client's header block limit (status line, headers, interim responses, trailers).
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

constexpr const char* kReusedClosed =
    "the server closed a reused connection before replying (the request was not sent again "
    "by the transport: a retry is a counted attempt)";

std::string errno_text(int error) {
  return std::system_category().message(error);
}

long elapsed_ms(SteadyClock::time_point since, SteadyClock::time_point now) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count());
}

}  // namespace

/// A keep-alive pool: one host and port of the own client, with its addresses to try in order
/// (one for a numeric host; 127.0.0.1 then ::1 for localhost) and its idle connections.
struct Transport::Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::vector<std::pair<sockaddr_storage, socklen_t>> addresses;
  std::vector<Connection*> idle;
};

/// One socket of the own client. Owned by Transport::connections_ (indexed by its descriptor);
/// serves one transfer at a time, then waits in its endpoint's idle list, watched for EPOLLIN so
/// that a server's close is noticed.
struct Transport::Connection {
  int fd = -1;
  std::size_t endpoint = 0;
  std::size_t address = 0;  ///< Index into the endpoint's addresses.
  Transfer* transfer = nullptr;
  bool connecting = false;
  bool reused = false;       ///< It has served a request before the current one.
  std::uint32_t events = 0;  ///< Its epoll interest.
  std::string head;          ///< The current request's head (capacity kept).
  http1::ResponseParser parser;
};

struct Transport::PlainCache {
  std::string url;
  std::optional<http1::PlainUrl> parsed;  ///< Views into `url`; none: not for the own client.
  bool head_valid = false;                ///< `head` is that of `url` and `headers`.
  std::vector<std::string> headers;
  http1::RequestHead head;
};

/// curl's socket and timer callbacks (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION); they run
/// on the transport thread, inside curl_multi_socket_action or curl_multi_add_handle.
struct TransportCallbacks {
  static int on_socket(CURL*, curl_socket_t socket, int what, void* self, void*) {
    auto* t = static_cast<Transport*>(self);
    if (socket < 0) return 0;
    auto& watched = t->watched_;
    const auto fd = static_cast<std::size_t>(socket);
    if (fd >= watched.size()) watched.resize(fd + 1, 0);
    if (what == CURL_POLL_REMOVE) {
      if (watched[fd] != 0) epoll_ctl(t->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
      watched[fd] = 0;
      return 0;
    }
    epoll_event event{};
    event.data.fd = socket;
    event.events =
        ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    // One system call per change: a socket curl stopped watching (a kept-alive connection
    // between requests) is added again, one already watched is modified.
    if (watched[fd] == 0) {
      if (epoll_ctl(t->epoll_fd_, EPOLL_CTL_ADD, socket, &event) != 0 && errno == EEXIST) {
        epoll_ctl(t->epoll_fd_, EPOLL_CTL_MOD, socket, &event);
      }
    } else if (epoll_ctl(t->epoll_fd_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
      // The descriptor was closed and its number reused without a CURL_POLL_REMOVE first.
      epoll_ctl(t->epoll_fd_, EPOLL_CTL_ADD, socket, &event);
    }
    watched[fd] = 1;
    return 0;
  }
  static int on_timer(CURLM*, long timeout_ms, void* self) {
    auto* t = static_cast<Transport*>(self);
    t->curl_timer_ = timeout_ms >= 0;
    if (timeout_ms >= 0) {
      t->curl_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }
};

struct Transport::Transfer {
  // The own client's (`native`), else curl's easy handle and header list:
  bool native = false;
  http1::PlainUrl url;            ///< Views into call.url.
  Connection* conn = nullptr;     ///< While it has one.
  std::size_t sent = 0;           ///< Bytes of the head and the body written.
  SteadyClock::time_point start;  ///< For connect_timeout and total_timeout.
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  bool owns_headers = false;  ///< `headers` is this transfer's own, not a shared cached list.
  HttpCall call;
  HttpResult result;
  Transport* owner = nullptr;
  std::size_t slot = 0;  ///< Its index in running_.
  std::size_t received = 0;
  bool mode_decided = false;  ///< Whether the body is streamed was decided at its first byte.
  bool too_large = false;
  bool aborted = false;
  bool started_response = false;
  bool idle_timeout = false;
  std::string idle_message;
  /// Times curl was about to send the request (CURLOPT_PREREQFUNCTION); the own client sets 1
  /// at its first byte written.
  int sends = 0;
  bool resend_refused = false;
  curl_off_t uploaded = 0;  ///< Request bytes sent, as last seen by check_idle().
  SteadyClock::time_point last_activity;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  /// Called before the request goes out on a connection. libcurl sends a request again, on a new
  /// connection, when a reused one closed before the first reply byte; that second request would
  /// reach the server (and a paid API's bill) without being an attempt the harness counted,
  /// retried within retry.max_attempts or drew from the rate limits. It is refused here; the
  /// transfer ends as a connection error, which the harness may retry as a counted attempt.
  static int on_prerequest(void* self, char*, char*, int, int) {
    auto* t = static_cast<Transfer*>(self);
    if (++t->sends > 1) {
      t->resend_refused = true;
      return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    const std::size_t bytes = size * n;
    const std::string_view line(data, bytes);
    t->started_response = true;
    t->last_activity = SteadyClock::now();
    if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue or a redirect)
      t->result.content_type.clear();
      t->result.retry_after.reset();
      t->result.retry_after_ms.reset();
    } else if (iequals_prefix(line, "content-type:")) {
      t->result.content_type = trimmed(line.substr(13));
      std::transform(t->result.content_type.begin(), t->result.content_type.end(),
                     t->result.content_type.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    } else if (iequals_prefix(line, "retry-after:")) {
      t->result.retry_after = trimmed(line.substr(12));
    } else if (iequals_prefix(line, "retry-after-ms:")) {
      t->result.retry_after_ms = trimmed(line.substr(15));
    }
    return bytes;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    const std::size_t bytes = size * n;
    t->last_activity = SteadyClock::now();
    if (!t->mode_decided) {
      t->mode_decided = true;
      long status = 0;
      curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
      t->result.streamed = t->call.stream && status >= 200 && status < 300 &&
                           t->result.content_type.starts_with("text/event-stream");
    }
    t->received += bytes;
    if (t->received > t->owner->options_.max_response_bytes) {
      t->too_large = true;
      return 0;  // aborts with CURLE_WRITE_ERROR
    }
    if (t->result.streamed) {
      if (!t->call.on_stream_bytes(std::string_view(data, bytes))) {
        t->aborted = true;
        return 0;
      }
    } else {
      t->result.body.append(data, bytes);
    }
    return bytes;
  }
};

void Transport::Bucket::refill(SteadyClock::time_point now) {
  const double seconds = std::chrono::duration<double>(now - refilled).count();
  level = std::min(capacity, level + seconds * per_second);
  refilled = now;
}

Transport::Transport(TransportOptions options) : options_(std::move(options)) {
  global_init();
  // The escape hatch, and libcurl's proxy variables for http:// (CURLOPT_PROXY(3): "http_proxy"
  // in lower case only, then "all_proxy"/"ALL_PROXY"; "no_proxy" exempts hosts): with one set,
  // libcurl decides where every http:// call goes.
  const char* client = std::getenv("LMMBENCH_HTTP_CLIENT");
  const std::string_view chosen = client == nullptr ? "" : client;
  if (!chosen.empty() && chosen != "curl" && chosen != "native") {
    throw Error(
        fmt::format("LMMBENCH_HTTP_CLIENT is '{}': expected 'curl' (every request "
                    "through libcurl) or 'native' (the default)",
                    chosen));
  }
  native_http_ = chosen != "curl" && std::getenv("http_proxy") == nullptr &&
                 std::getenv("all_proxy") == nullptr && std::getenv("ALL_PROXY") == nullptr;
  read_buffer_.resize(64 * 1024);
  plain_cache_ = std::make_unique<PlainCache>();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw Error("curl_multi_init failed");
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw_system_error("cannot create the transport's epoll set");
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event);
  curl_multi_setopt(as_multi(multi_), CURLMOPT_SOCKETFUNCTION, &TransportCallbacks::on_socket);
  curl_multi_setopt(as_multi(multi_), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(as_multi(multi_), CURLMOPT_TIMERFUNCTION, &TransportCallbacks::on_timer);
  curl_multi_setopt(as_multi(multi_), CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(as_multi(multi_), CURLMOPT_PIPELINING, long{CURLPIPE_MULTIPLEX});
  if (options_.max_in_flight > 0) {
    curl_multi_setopt(as_multi(multi_), CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options_.max_in_flight));
  }
  // Keep enough idle connections for the concurrency in use, so that bursts reuse them.
  curl_multi_setopt(as_multi(multi_), CURLMOPT_MAXCONNECTS,
                    static_cast<long>(std::max<std::size_t>(options_.max_in_flight, 1024)));
  const auto now = SteadyClock::now();
  if (options_.requests_per_minute > 0) {
    requests_.per_second = options_.requests_per_minute / 60.0;
    requests_.capacity = std::max(1.0, requests_.per_second);
    requests_.level = requests_.capacity;
    requests_.refilled = now;
  }
  if (options_.tokens_per_minute > 0) {
    tokens_.per_second = options_.tokens_per_minute / 60.0;
    tokens_.capacity = std::max(1.0, tokens_.per_second);
    tokens_.level = tokens_.capacity;
    tokens_.refilled = now;
  }
  thread_ = std::thread([this] { run(); });
}

Transport::~Transport() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  thread_.join();
  // The loop has stopped: complete what is left on this thread. A completion may submit again
  // (a closed loop sends its next request from the callback): those calls are cancelled too, so
  // every call submitted before the destructor returns gets its one on_done.
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      for (auto& call : incoming_)
        queued_.push_back(std::move(call));
      incoming_.clear();
    }
    if (queued_.empty() && running_.empty()) break;
    cancel_everything("the transport shut down before the reply",
                      "the transport shut down before the request was sent");
  }
  for (auto& c : connections_) {
    if (c) ::close(c->fd);
  }
  connections_.clear();
  for (void* easy : idle_handles_)
    curl_easy_cleanup(static_cast<CURL*>(easy));
  for (auto& [lines, list] : header_lists_)
    curl_slist_free_all(static_cast<curl_slist*>(list));
  curl_multi_cleanup(as_multi(multi_));
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void Transport::cancel_everything(const char* running_message, const char* queued_message) {
  auto running = std::move(running_);
  running_.clear();
  auto queued = std::move(queued_);
  queued_.clear();
  for (auto& t : running) {
    if (t->native) {
      if (t->conn != nullptr) close_connection(*t->conn);
    } else {
      curl_multi_remove_handle(as_multi(multi_), t->easy);
      release(*t);
    }
    t->result.error = TransportError::cancelled;
    // Still connecting: the request did not leave (it is still one attempt of the harness's).
    t->result.error_message = t->sends == 0 ? queued_message : running_message;
    t->call.on_done(std::move(t->result));
  }
  for (auto& call : queued) {
    HttpResult r;
    r.error = TransportError::cancelled;
    r.error_message = queued_message;
    call.on_done(std::move(r));
  }
}

void Transport::cancel_all() {
  {
    std::lock_guard lock(mutex_);
    cancel_requested_ = true;
  }
  wake();
}

void Transport::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void Transport::drain_messages() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(as_multi(multi_), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    finish(t, msg->data.result);
  }
}

void Transport::submit(HttpCall call) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    incoming_.push_back(std::move(call));
    wake = sleeping_;
    sleeping_ = false;
  }
  if (wake) this->wake();
}

void Transport::adjust_tokens(double delta) {
  if (tokens_.enabled()) tokens_.level -= delta;
}

std::chrono::milliseconds Transport::start_ready() {
  while (!queued_.empty()) {
    if (options_.max_in_flight > 0 && running_.size() >= options_.max_in_flight) break;
    const auto now = SteadyClock::now();
    double wait_s = 0;
    if (requests_.enabled()) {
      requests_.refill(now);
      if (requests_.level < 1.0) wait_s = (1.0 - requests_.level) / requests_.per_second;
    }
    if (tokens_.enabled()) {
      tokens_.refill(now);
      // Overdraw is allowed, so one large request never waits forever; it waits only while the
      // bucket is empty.
      if (tokens_.level <= 0) wait_s = std::max(wait_s, -tokens_.level / tokens_.per_second + 1e-3);
    }
    if (wait_s > 0) {
      return std::max(std::chrono::milliseconds(1),
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::duration<double>(wait_s)));
    }
    if (requests_.enabled()) requests_.level -= 1.0;
    if (tokens_.enabled()) tokens_.level -= queued_.front().token_cost;
    HttpCall call = std::move(queued_.front());
    queued_.pop_front();
    start(std::move(call));
  }
  return std::chrono::milliseconds(0);
}

CURL* Transport::new_handle() {
  CURL* e = curl_easy_init();
  if (e == nullptr) return nullptr;
  // What is the same for every request of this transport is set once per handle: a handle is
  // reused without curl_easy_reset, and start() sets everything that varies between requests.
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Transfer::on_prerequest);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_2TLS});
  curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  return e;
}

void* Transport::header_list(const std::vector<std::string>& lines, bool& owned) {
  owned = false;
  for (const auto& [cached_lines, list] : header_lists_) {
    if (cached_lines == lines) return list;
  }
  curl_slist* list = nullptr;
  for (const auto& h : lines)
    list = curl_slist_append(list, h.c_str());
  // No "Expect: 100-continue" round trip for large bodies.
  list = curl_slist_append(list, "Expect:");
  // A backend sends the same few header sets on every request; a caller that varies them per
  // request gets a list of its own for each beyond the first kMaxHeaderLists.
  if (header_lists_.size() < kMaxHeaderLists) {
    header_lists_.emplace_back(lines, list);
  } else {
    owned = true;
  }
  return list;
}

void Transport::release(Transfer& t) {
  // The buffer dies with the transfer; nothing may write there while the handle is idle.
  curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, nullptr);
  if (t.owns_headers) {
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(t.headers);
  }
  t.headers = nullptr;
  t.owns_headers = false;
  idle_handles_.push_back(t.easy);
}

bool Transport::serves_natively(std::string_view url) const {
  return native_http_ && http1::parse_plain_url(url).has_value();
}

void Transport::start(HttpCall call) {
  auto t = std::make_unique<Transfer>();
  t->owner = this;
  t->call = std::move(call);
  if (native_http_) {
    auto& cache = *plain_cache_;
    if (cache.url != t->call.url) {
      cache.url = t->call.url;
      cache.parsed = http1::parse_plain_url(cache.url);
      cache.head_valid = false;
    }
    if (cache.parsed) {
      t->native = true;
      t->url = http1::rebased(*cache.parsed, cache.url, t->call.url);
      t->start = t->last_activity = SteadyClock::now();
      Transfer& transfer = *t;
      t->slot = running_.size();
      running_.push_back(std::move(t));
      start_native(transfer);
      return;
    }
  }
  if (!idle_handles_.empty()) {
    t->easy = static_cast<CURL*>(idle_handles_.back());
    idle_handles_.pop_back();
  } else {
    t->easy = new_handle();
  }
  if (t->easy == nullptr) {
    HttpResult r;
    r.error = TransportError::connection;
    r.error_message = "curl_easy_init failed";
    t->call.on_done(std::move(r));
    return;
  }
  CURL* e = t->easy;
  t->headers = static_cast<curl_slist*>(header_list(t->call.headers, t->owns_headers));
  curl_easy_setopt(e, CURLOPT_URL, t->call.url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->call.body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->call.body.size()));
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer.data());
  curl_easy_setopt(e, CURLOPT_PREREQDATA, t.get());
  // Waiting for a connection that might multiplex pays only where HTTP/2 can be negotiated
  // (TLS); on plain http:// it made a burst's second request wait for the first to finish.
  curl_easy_setopt(e, CURLOPT_PIPEWAIT, t->call.url.starts_with("https://") ? 1L : 0L);
  t->last_activity = SteadyClock::now();
  const CURLMcode added = curl_multi_add_handle(as_multi(multi_), e);
  if (added != CURLM_OK) {
    HttpResult r;
    r.error = TransportError::connection;
    r.error_message = fmt::format("curl_multi_add_handle: {}", curl_multi_strerror(added));
    t->call.on_done(std::move(r));
    if (t->owns_headers) curl_slist_free_all(t->headers);
    curl_easy_cleanup(e);
    return;
  }
  t->slot = running_.size();
  running_.push_back(std::move(t));
}

void Transport::finish(Transfer* t, int code_int) {
  const auto code = static_cast<CURLcode>(code_int);
  curl_multi_remove_handle(as_multi(multi_), t->easy);
  auto& r = t->result;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
  if (t->too_large) {
    r.error = TransportError::too_large;
    r.error_message = fmt::format("the reply exceeded max_response_bytes ({} bytes)",
                                  options_.max_response_bytes);
  } else if (t->idle_timeout) {
    r.error = TransportError::timeout;
    r.error_message = t->idle_message;
  } else if (t->aborted) {
    r.error = TransportError::aborted;
    r.error_message = "stopped by the stream consumer";
  } else if (t->resend_refused) {
    r.error = TransportError::connection;
    r.error_message = kReusedClosed;
  } else {
    r.error = classify(code);
    r.unreachable = is_unreachable(code);
    if (r.error != TransportError::none) {
      const std::string detail = t->error_buffer[0] != '\0' ? t->error_buffer.data() : "";
      r.error_message = detail.empty() ? curl_easy_strerror(code)
                                       : fmt::format("{} ({})", curl_easy_strerror(code), detail);
    }
  }
  release(*t);
  complete(t);
}

void Transport::complete(Transfer* t) {
  auto& r = t->result;
  if (r.error == TransportError::none && !t->mode_decided) {
    r.streamed = t->call.stream && r.status >= 200 && r.status < 300 &&
                 r.content_type.starts_with("text/event-stream");
  }
  auto on_done = std::move(t->call.on_done);
  HttpResult result = std::move(t->result);
  // Swap-remove by the slot each transfer knows (no search with hundreds in flight).
  if (t->slot < running_.size() && running_[t->slot].get() == t) {
    const std::size_t slot = t->slot;
    std::swap(running_[slot], running_.back());
    running_[slot]->slot = slot;
    running_.pop_back();
  }
  on_done(std::move(result));
}

void Transport::check_idle() {
  if (running_.empty()) return;
  const auto now = SteadyClock::now();
  if (now < next_idle_check_) return;
  next_idle_check_ = now + std::chrono::milliseconds(10);
  std::vector<Transfer*> stalled;
  for (const auto& t : running_) {
    if (t->native) {
      // libcurl keeps connect_timeout and total_timeout itself; the own client's are here (the
      // loop wakes at least every 50 ms while anything runs), and any byte it writes moves
      // last_activity.
      const bool connecting = t->conn != nullptr && t->conn->connecting;
      if ((connecting && now - t->start > options_.connect_timeout) ||
          now - t->start > options_.total_timeout) {
        stalled.push_back(t.get());
        continue;
      }
    } else if (!t->started_response) {  // a large body still going out is not silence
      curl_off_t uploaded = 0;
      curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
      if (uploaded != t->uploaded) {
        t->uploaded = uploaded;
        t->last_activity = now;
      }
    }
    if (now - t->last_activity > options_.idle_timeout) stalled.push_back(t.get());
  }
  for (Transfer* t : stalled) {
    if (t->native &&
        (now - t->start > options_.total_timeout || (t->conn != nullptr && t->conn->connecting &&
                                                     now - t->start > options_.connect_timeout))) {
      // curl's words for the same limits (CURLE_OPERATION_TIMEDOUT).
      const bool connecting = t->conn != nullptr && t->conn->connecting;
      std::string message =
          connecting
              ? fmt::format("Timeout was reached (Connection timed out after {} milliseconds)",
                            elapsed_ms(t->start, now))
              : fmt::format(
                    "Timeout was reached (Operation timed out after {} milliseconds "
                    "with {} bytes received)",
                    elapsed_ms(t->start, now), t->received);
      if (t->conn != nullptr) {
        end_native(*t->conn, TransportError::timeout, std::move(message));
      } else {
        t->result.error = TransportError::timeout;
        t->result.error_message = std::move(message);
        complete(t);
      }
      continue;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - t->last_activity);
    const double limit_s = std::chrono::duration<double>(options_.idle_timeout).count();
    t->idle_timeout = true;
    if (!t->started_response) {
      t->idle_message = fmt::format(
          "idle timeout: no response for {} ms after the request (idle_timeout_s = {}; a "
          "non-streamed reply starts only when the whole answer is generated)",
          ms.count(), limit_s);
    } else {
      t->idle_message =
          fmt::format("idle timeout: the {} sent nothing for {} ms (idle_timeout_s = {})",
                      t->result.streamed ? "stream" : "reply", ms.count(), limit_s);
    }
    if (!t->native) {
      finish(t, CURLE_OPERATION_TIMEDOUT);
    } else if (t->conn != nullptr) {
      end_native(*t->conn, TransportError::timeout, t->idle_message);
    } else {
      t->result.error = TransportError::timeout;
      t->result.error_message = t->idle_message;
      complete(t);
    }
  }
}

// ---- The own HTTP/1.1 client ----------------------------------------------------------------

void Transport::start_native(Transfer& t) {
  std::size_t index = 0;
  while (index < endpoints_.size() &&
         (endpoints_[index]->port != t.url.port || endpoints_[index]->host != t.url.host))
    ++index;
  if (index == endpoints_.size()) {
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->host = t.url.host;
    endpoint->port = t.url.port;
    const auto add_v4 = [&](const unsigned char* bytes) {
      sockaddr_storage storage{};
      auto* a = reinterpret_cast<sockaddr_in*>(&storage);
      a->sin_family = AF_INET;
      a->sin_port = htons(t.url.port);
      std::memcpy(&a->sin_addr, bytes, 4);
      endpoint->addresses.emplace_back(storage, static_cast<socklen_t>(sizeof(sockaddr_in)));
    };
    const auto add_v6 = [&](const unsigned char* bytes) {
      sockaddr_storage storage{};
      auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(t.url.port);
      std::memcpy(&a->sin6_addr, bytes, 16);
      endpoint->addresses.emplace_back(storage, static_cast<socklen_t>(sizeof(sockaddr_in6)));
    };
    if (t.url.localhost) {
      const unsigned char v4[4] = {127, 0, 0, 1};
      unsigned char v6[16] = {};
      v6[15] = 1;
      add_v4(v4);
      add_v6(v6);
    } else if (t.url.ipv6) {
      add_v6(t.url.address.data());
    } else {
      add_v4(t.url.address.data());
    }
    endpoints_.push_back(std::move(endpoint));
  }
  // The most recently used idle connection first; one the server closed meanwhile (end of file,
  // a reset, or bytes nobody asked for) is dropped here rather than written to.
  auto& idle = endpoints_[index]->idle;
  while (!idle.empty()) {
    Connection* c = idle.back();
    idle.pop_back();
    --idle_connections_;
    char byte = 0;
    if (::recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
        (errno == EAGAIN || errno == EWOULDBLOCK)) {
      attach(t, *c);
      send_more(*c);
      return;
    }
    close_connection(*c);
  }
  open_connection(t, index, 0);
}

void Transport::open_connection(Transfer& t, std::size_t endpoint, std::size_t address) {
  const auto& [storage, size] = endpoints_[endpoint]->addresses[address];
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    connect_failed(t, endpoint, address, errno);
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&storage), size);
  if (rc != 0 && errno != EINPROGRESS) {
    const int error = errno;
    ::close(fd);
    connect_failed(t, endpoint, address, error);
    return;
  }
  auto owned = std::make_unique<Connection>();
  Connection& c = *owned;
  c.fd = fd;
  c.endpoint = endpoint;
  c.address = address;
  c.connecting = rc != 0;
  c.events = c.connecting ? EPOLLOUT : EPOLLIN;
  epoll_event event{};
  event.events = c.events;
  event.data.fd = fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  const auto slot = static_cast<std::size_t>(fd);
  if (slot >= connections_.size()) connections_.resize(slot + 1);
  connections_[slot] = std::move(owned);
  attach(t, c);
  if (!c.connecting) send_more(c);
}

void Transport::connect_failed(Transfer& t, std::size_t endpoint, std::size_t address, int error) {
  const auto& e = *endpoints_[endpoint];
  if (address + 1 < e.addresses.size()) {  // localhost: ::1 after 127.0.0.1
    open_connection(t, endpoint, address + 1);
    return;
  }
  // CURLE_COULDNT_CONNECT, in curl's words: the endpoint cannot be reached as configured.
  t.result.error = TransportError::connection;
  t.result.unreachable = true;
  t.result.error_message =
      fmt::format("Couldn't connect to server (Failed to connect to {} port {} after {} ms: {})",
                  e.host, e.port, elapsed_ms(t.start, SteadyClock::now()), errno_text(error));
  complete(&t);
}

void Transport::attach(Transfer& t, Connection& c) {
  c.transfer = &t;
  t.conn = &c;
  c.parser.reset();
  c.parser.set_limits({kMaxHeaderBytes, options_.max_response_bytes});
  c.head.clear();
  auto& cache = *plain_cache_;
  if (cache.url == t.call.url) {
    if (!cache.head_valid || cache.headers != t.call.headers) {
      http1::make_request_head(cache.head, t.url, options_.user_agent, t.call.headers);
      cache.headers = t.call.headers;
      cache.head_valid = true;
    }
    http1::append_request_head(c.head, cache.head, t.call.body.size());
  } else {  // another URL came since (a transfer that waited for its connection)
    http1::append_request_head(c.head, t.url, options_.user_agent, t.call.headers,
                               t.call.body.size());
  }
}

void Transport::set_interest(Connection& c, std::uint32_t events) {
  if (c.events == events) return;
  epoll_event event{};
  event.events = events;
  event.data.fd = c.fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &event);
  c.events = events;
}

void Transport::close_connection(Connection& c) {
  if (c.transfer != nullptr) {
    c.transfer->conn = nullptr;
  } else {
    auto& idle = endpoints_[c.endpoint]->idle;
    const auto it = std::find(idle.begin(), idle.end(), &c);
    if (it != idle.end()) {
      idle.erase(it);
      --idle_connections_;
    }
  }
  const int fd = c.fd;
  ::close(fd);  // also leaves the epoll set
  connections_[static_cast<std::size_t>(fd)].reset();
}

void Transport::end_native(Connection& c, TransportError error, std::string message,
                           bool unreachable, bool reusable) {
  Transfer& t = *c.transfer;
  t.result.error = error;
  t.result.error_message = std::move(message);
  t.result.unreachable = unreachable;
  const std::size_t max_idle = std::max<std::size_t>(options_.max_in_flight, 1024);
  if (reusable && idle_connections_ < max_idle) {
    c.transfer = nullptr;
    t.conn = nullptr;
    c.reused = true;
    set_interest(c, EPOLLIN);
    endpoints_[c.endpoint]->idle.push_back(&c);
    ++idle_connections_;
  } else {
    close_connection(c);
  }
  complete(&t);
}

bool Transport::send_more(Connection& c) {
  Transfer& t = *c.transfer;
  const std::string& body = t.call.body;
  const std::size_t head = c.head.size();
  const std::size_t total = head + body.size();
  while (t.sent < total) {
    // The head and the body as they are: no copy of the body.
    iovec parts[2];
    std::size_t n = 0;
    if (t.sent < head) parts[n++] = {c.head.data() + t.sent, head - t.sent};
    const std::size_t body_sent = t.sent > head ? t.sent - head : 0;
    if (body_sent < body.size())
      parts[n++] = {const_cast<char*>(body.data()) + body_sent, body.size() - body_sent};
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = n;
    const ssize_t written = ::sendmsg(c.fd, &message, MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_interest(c, EPOLLIN | EPOLLOUT);
        return true;
      }
      const int error = errno;
      if (c.reused && !c.parser.started()) {
        end_native(c, TransportError::connection, kReusedClosed);
      } else {
        end_native(
            c, TransportError::connection,
            fmt::format("Failed sending data to the peer (Send failure: {})", errno_text(error)));
      }
      return false;
    }
    t.sent += static_cast<std::size_t>(written);
    t.sends = 1;
    t.last_activity = SteadyClock::now();
  }
  set_interest(c, EPOLLIN);
  return true;
}

void Transport::on_connection_event(Connection& c, std::uint32_t events) {
  if (c.transfer == nullptr) {
    // Idle in the pool: the server closed it or sent what nobody asked for.
    close_connection(c);
    return;
  }
  if (c.connecting) {
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
    if (error != 0) {
      Transfer& t = *c.transfer;
      const std::size_t endpoint = c.endpoint;
      const std::size_t address = c.address;
      close_connection(c);
      connect_failed(t, endpoint, address, error);
      return;
    }
    if ((events & EPOLLOUT) == 0) return;
    c.connecting = false;
    send_more(c);
    return;
  }
  const std::size_t total = c.head.size() + c.transfer->call.body.size();
  if ((events & EPOLLOUT) != 0 && c.transfer->sent < total && !send_more(c)) return;
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) read_more(c);
}

bool Transport::read_more(Connection& c) {
  // A few buffers per wake-up at most, so that one fast, large reply does not keep the others
  // waiting (the socket stays readable: the next turn of the loop comes back to it).
  for (int reads = 0; reads < 8; ++reads) {
    const ssize_t n = ::recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      const int error = errno;
      if (c.reused && !c.parser.started()) {
        end_native(c, TransportError::connection, kReusedClosed);
      } else {
        end_native(c, TransportError::connection,
                   fmt::format("Failure when receiving data from the peer (Recv failure: {})",
                               errno_text(error)));
      }
      return false;
    }
    if (n == 0) {
      const bool started = c.parser.started();
      const auto event = c.parser.end_of_input();
      if (event == http1::ResponseParser::Event::done) {
        end_native(c, TransportError::none, {});
      } else if (!started && c.reused) {
        end_native(c, TransportError::connection, kReusedClosed);
      } else if (!started) {
        end_native(c, TransportError::connection,
                   "Server returned nothing (no headers, no data) (Empty reply from server)");
      } else {
        end_native(c, TransportError::connection, c.parser.error());
      }
      return false;
    }
    Transfer& t = *c.transfer;
    t.started_response = true;
    t.last_activity = SteadyClock::now();
    if (!consume(c, std::string_view(read_buffer_.data(), static_cast<std::size_t>(n))))
      return false;
    // Level-triggered: a short read took all there was; the next bytes come as another event.
    if (static_cast<std::size_t>(n) < read_buffer_.size()) return true;
  }
  return true;
}

bool Transport::consume(Connection& c, std::string_view input) {
  using Event = http1::ResponseParser::Event;
  Transfer& t = *c.transfer;
  auto& p = c.parser;
  auto& r = t.result;
  std::string_view body;
  while (true) {
    switch (p.next(input, body)) {
      case Event::need_more:
        return true;
      case Event::headers:
        r.status = p.status();
        r.content_type = std::move(p.content_type());
        r.retry_after = std::move(p.retry_after());
        r.retry_after_ms = std::move(p.retry_after_ms());
        t.mode_decided = true;
        r.streamed = t.call.stream && r.status >= 200 && r.status < 300 &&
                     r.content_type.starts_with("text/event-stream");
        if (!r.streamed && p.content_length()) {
          r.body.reserve(static_cast<std::size_t>(
              std::min<std::uint64_t>(*p.content_length(), options_.max_response_bytes)));
        }
        continue;
      case Event::body:
        t.received += body.size();
        if (r.streamed) {
          if (!t.call.on_stream_bytes(body)) {
            end_native(c, TransportError::aborted, "stopped by the stream consumer");
            return false;
          }
        } else {
          r.body.append(body);
        }
        continue;
      case Event::done: {
        // Reusable: the server keeps it open, sent nothing beyond the reply, and the whole
        // request went out (a server may answer before reading all of it).
        const bool reusable =
            p.reusable() && input.empty() && t.sent == c.head.size() + t.call.body.size();
        end_native(c, TransportError::none, {}, false, reusable);
        return false;
      }
      case Event::too_large:
        end_native(c, TransportError::too_large,
                   fmt::format("the reply exceeded max_response_bytes ({} bytes)",
                               options_.max_response_bytes));
        return false;
      case Event::error:
        end_native(c, TransportError::connection, p.error());
        return false;
    }
  }
}

void Transport::run() {
  CURLM* multi = as_multi(multi_);
  std::array<epoll_event, 128> events{};
  int running = 0;
  while (true) {
    bool cancel = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      while (!incoming_.empty()) {
        queued_.push_back(std::move(incoming_.front()));
        incoming_.pop_front();
      }
      cancel = std::exchange(cancel_requested_, false);
    }
    if (cancel) {
      cancel_everything("cancelled before the reply", "cancelled before the request was sent");
    }
    std::chrono::milliseconds rate_wait = start_ready();
    if (curl_timer_ && SteadyClock::now() >= curl_deadline_) {
      curl_timer_ = false;
      curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
      drain_messages();
    }
    check_idle();
    // Completions freed slots: start more now (curl then asks for an immediate timeout call).
    if (!queued_.empty()) rate_wait = start_ready();
    const auto now = SteadyClock::now();
    if (curl_timer_ && now >= curl_deadline_) continue;
    long timeout_ms = 1000;
    if (curl_timer_) {
      timeout_ms = std::max<long>(
          1, static_cast<long>(
                 std::chrono::ceil<std::chrono::milliseconds>(curl_deadline_ - now).count()));
    }
    if (rate_wait.count() > 0) timeout_ms = std::min<long>(timeout_ms, rate_wait.count());
    if (!running_.empty()) timeout_ms = std::min<long>(timeout_ms, 50);  // idle-timeout checks
    {
      std::lock_guard lock(mutex_);
      if (!incoming_.empty() || stopping_ || cancel_requested_) continue;
      sleeping_ = true;
    }
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                             static_cast<int>(timeout_ms));
    {
      std::lock_guard lock(mutex_);
      sleeping_ = false;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      const std::uint32_t e = events[static_cast<std::size_t>(i)].events;
      if (fd == wake_fd_) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto r = ::read(wake_fd_, &count, sizeof count);
        continue;
      }
      const auto index = static_cast<std::size_t>(fd);
      if (index < connections_.size() && connections_[index]) {
        on_connection_event(*connections_[index], e);
        continue;
      }
      const int flags = ((e & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
                        ((e & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                        ((e & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(multi, fd, flags, &running);
    }
    drain_messages();
  }
}

}  // namespace lmmbench::models::http
