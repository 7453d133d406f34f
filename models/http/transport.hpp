#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lmmbench::models::http {

/// How the transport talks to one endpoint. Times are wall-clock limits per attempt.
struct TransportOptions {
  /// Requests on the wire at once; more wait in the transport's queue. 0 = no cap beyond the
  /// harness's own concurrency.
  std::size_t max_in_flight = 0;
  /// Token-bucket limits (0 = none). The request bucket holds one second's worth (at least one
  /// request); the token bucket one second's worth, and a request may overdraw it, so that a
  /// request larger than the bucket still goes out and the average rate stays at the limit.
  double requests_per_minute = 0;
  double tokens_per_minute = 0;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{600'000};
  /// The longest silence of a request: from its start (connect and upload included, but any byte
  /// sent counts as activity) to the response headers, and between two received chunks of the
  /// body, streamed or not. A server that never answers is cut here, not at total_timeout.
  std::chrono::milliseconds idle_timeout{60'000};
  /// A reply body larger than this aborts the transfer (a misbehaving server cannot exhaust
  /// memory).
  std::size_t max_response_bytes = std::size_t{32} << 20;
  bool verify_tls = true;
  std::string ca_bundle;  ///< PEM file of trusted CAs; empty = the system's.
  std::string user_agent = "lmmbench";
};

/// Why a transfer ended without a complete HTTP response.
enum class TransportError {
  none,        ///< A complete response (of any status) was received.
  timeout,     ///< Connect, total or idle timeout.
  connection,  ///< DNS, connect, TLS, reset, or the body ended early (see HttpResult::unreachable).
  too_large,   ///< The body exceeded max_response_bytes.
  aborted,     ///< The stream consumer asked to stop (it knows why).
  cancelled,   ///< The transport shut down first.
};

/// The outcome of one HTTP exchange.
struct HttpResult {
  TransportError error = TransportError::none;
  std::string error_message;  ///< What went wrong when error != none (curl's words on its path).
  /// A connection error that says the endpoint cannot be reached as configured: the host name
  /// does not resolve, the connection was refused, or TLS failed (handshake, certificate).
  bool unreachable = false;
  long status = 0;                            ///< HTTP status; 0 when none was received.
  std::string content_type;                   ///< Lower-cased, parameters kept.
  std::optional<std::string> retry_after;     ///< Raw Retry-After header.
  std::optional<std::string> retry_after_ms;  ///< Raw retry-after-ms header (Azure OpenAI).
  /// The whole body, except for a streamed 2xx text/event-stream response, whose bytes went to
  /// HttpCall::on_stream_bytes instead.
  std::string body;
  bool streamed = false;  ///< The body went to on_stream_bytes.
};

/// One request. The callbacks run on the transport thread, must not block, and must not call
/// back into the transport except adjust_tokens() and submit(): no transport lock is held while
/// they run, and submit() only queues the call (the loop starts it on its next turn), so a
/// completion may send the next request itself (harness/perf/load_generator.cpp does).
struct HttpCall {
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value" lines.
  std::string body;                  ///< POSTed as is.
  bool stream = false;               ///< Deliver a 2xx text/event-stream body as it arrives.
  double token_cost = 0;             ///< Debited from the tokens-per-minute bucket at start.
  /// For a streamed 2xx body: each chunk as received. Return false to abort the transfer.
  std::function<bool(std::string_view)> on_stream_bytes;
  /// Called exactly once per call.
  std::function<void(HttpResult)> on_done;
};

/// Drives every request of one backend on one thread of its own, over one epoll set, so each
/// wake-up costs only the sockets that are ready (hundreds of requests in flight stay cheap).
///
/// Two wire clients share that loop, and everything above the wire (the queue, max_in_flight,
/// the rate-limit buckets, the timeouts, cancellation, the results) is one code path for both:
/// - **plain http:// to a numeric IPv4/IPv6 address or `localhost`** (the local servers a
///   benchmark measures) goes through the transport's own HTTP/1.1 client (models/http/http1.hpp
///   for the wire format): non-blocking connect, TCP_NODELAY, a pool of keep-alive connections
///   per host and port, the request head and the body written with one sendmsg, an incremental
///   response parser. It costs a small fraction of libcurl's instructions per request.
/// - **everything else goes through libcurl's multi interface** (curl's socket callbacks on the
///   same epoll set): https:// (TLS, HTTP/2 through ALPN, requests to one HTTP/2 host
///   multiplexed on one connection), host names that need DNS, URLs with user info or characters
///   curl would re-encode, and every http:// URL while a proxy variable that libcurl honours for
///   http is set (`http_proxy`, `all_proxy`, `ALL_PROXY`; libcurl ignores `HTTP_PROXY` for http
///   and then applies `no_proxy` itself). The environment is read when the transport is made.
///   `LMMBENCH_HTTP_CLIENT=curl` in the environment sends every call through libcurl (the
///   escape hatch; `native`, or unset, is the default split; another value: the constructor
///   throws Error).
/// Both reuse connections across requests and report the same errors: a refused connection is
/// an `unreachable` connection error, a body over max_response_bytes is too_large, and so on.
///
/// Rate limits live here rather than in the harness because they are a property of the endpoint
/// and its API key: every attempt that reaches the wire — retries of whole requests included, from
/// every cell that shares this backend — draws from the same buckets, and only the transport sees
/// the moment a request really leaves. The harness still bounds what is in flight.
///
/// Every request leaves the process at most once per submit(): a request whose reused
/// connection closed before the first reply byte is not sent again (libcurl's silent re-send is
/// refused; the own client never re-sends), the transfer ends as a connection error, so the
/// harness counts, retries and rate-limits every attempt that reached the wire. Before a pooled
/// connection is reused, a non-blocking peek drops it if the server has closed it meanwhile
/// (libcurl checks its cached connections the same way).
///
/// Threading: submit() and cancel_all() are thread-safe. All callbacks run on the transport's
/// thread. The destructor completes every queued or running call with TransportError::cancelled
/// (on the destroying thread, after the loop has stopped; calls that those completions submit
/// are cancelled the same way) and joins the thread.
class Transport {
 public:
  explicit Transport(TransportOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  void submit(HttpCall call);
  /// Ends every call submitted before this one and not yet completed: the loop removes them from
  /// the wire (closing their connections) and completes each with
  /// TransportError::cancelled, on the transport thread, within one turn of the loop. Calls
  /// submitted later are served as usual.
  void cancel_all();
  /// Corrects the tokens-per-minute bucket once the real usage is known (real minus estimate).
  /// Transport thread only (from a callback).
  void adjust_tokens(double delta);

  [[nodiscard]] const TransportOptions& options() const { return options_; }
  /// Whether a call to `url` goes through the own HTTP/1.1 client (else through libcurl).
  [[nodiscard]] bool serves_natively(std::string_view url) const;

 private:
  struct Transfer;
  struct Connection;
  struct Endpoint;
  struct Bucket {
    double per_second = 0;
    double capacity = 0;
    double level = 0;
    std::chrono::steady_clock::time_point refilled;
    void refill(std::chrono::steady_clock::time_point now);
    [[nodiscard]] bool enabled() const { return per_second > 0; }
  };

  friend struct TransportCallbacks;
  void run();
  void wake();
  void drain_messages();
  /// Starts queued calls while the in-flight cap and the rate limits allow; returns how long to
  /// wait before a rate-limited call may start (zero when none waits on a bucket).
  std::chrono::milliseconds start_ready();
  void start(HttpCall call);
  /// A new easy handle with the options that every request of this transport shares.
  void* new_handle();
  /// The curl header list of `lines` plus "Expect:", shared from header_lists_ when it is there
  /// or fits (`owned` false), else built for one transfer (`owned` true: the caller frees it).
  void* header_list(const std::vector<std::string>& lines, bool& owned);
  /// Frees what a finished transfer owns and keeps its easy handle for the next request.
  void release(Transfer& transfer);
  void finish(Transfer* transfer, int curl_code);
  /// Completes a finished transfer of either kind: removes it from running_, calls on_done.
  void complete(Transfer* transfer);
  void check_idle();
  // The own HTTP/1.1 client (transport.cpp):
  void start_native(Transfer& transfer);
  void open_connection(Transfer& transfer, std::size_t endpoint, std::size_t address);
  void connect_failed(Transfer& transfer, std::size_t endpoint, std::size_t address, int error);
  void attach(Transfer& transfer, Connection& connection);
  void on_connection_event(Connection& connection, std::uint32_t events);
  /// Each returns false when the transfer ended (the connection may be gone).
  bool send_more(Connection& connection);
  bool read_more(Connection& connection);
  bool consume(Connection& connection, std::string_view input);
  /// Ends the connection's transfer with an error (or success when `error` is none, the
  /// connection then returns to the pool when `reusable`).
  void end_native(Connection& connection, TransportError error, std::string message,
                  bool unreachable = false, bool reusable = false);
  void close_connection(Connection& connection);
  void set_interest(Connection& connection, std::uint32_t events);
  /// Completes every running and queued call with TransportError::cancelled.
  void cancel_everything(const char* running_message, const char* queued_message);

  TransportOptions options_;
  void* multi_ = nullptr;  ///< CURLM*, opaque here so that users need no curl headers.
  int epoll_fd_ = -1;      ///< The sockets curl asks to watch, plus wake_fd_.
  int wake_fd_ = -1;       ///< eventfd: submit() and the destructor wake the loop.
  std::mutex mutex_;
  std::deque<HttpCall> incoming_;  ///< Guarded by mutex_.
  bool stopping_ = false;          ///< Guarded by mutex_.
  bool cancel_requested_ = false;  ///< cancel_all() was called. Guarded by mutex_.
  /// The loop is (about to be) blocked in epoll_wait: submit() must wake it. Guarded by
  /// mutex_; saves a wake-up write per request while the loop is busy anyway.
  bool sleeping_ = false;
  // Transport thread only:
  std::deque<HttpCall> queued_;
  std::vector<std::unique_ptr<Transfer>> running_;
  /// Per socket descriptor: whether it is in the epoll set (curl's socket callback).
  std::vector<char> watched_;
  std::vector<void*> idle_handles_;  ///< CURL* kept for reuse, the shared options preset.
  static constexpr std::size_t kMaxHeaderLists = 16;
  /// curl_slist* of each header set seen, kept until the destructor: libcurl rebuilds nothing
  /// per request from them, and a backend sends the same set every time.
  std::vector<std::pair<std::vector<std::string>, void*>> header_lists_;
  Bucket requests_;
  Bucket tokens_;
  std::chrono::steady_clock::time_point next_idle_check_;
  /// The own client serves plain http:// (no escape hatch, no proxy variable set).
  bool native_http_ = true;
  /// The own client's connections by socket descriptor (owning; null: not ours, e.g. curl's).
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;  ///< Each host:port's pool of idle ones.
  std::size_t idle_connections_ = 0;
  std::vector<char> read_buffer_;  ///< Every recv of the own client reads here.
  struct PlainCache;
  /// The last URL the own client served, parsed, and its request head for the last header set:
  /// a backend sends every request to the same URL with the same headers.
  std::unique_ptr<PlainCache> plain_cache_;
  bool curl_timer_ = false;  ///< curl asked to be called back at curl_deadline_.
  std::chrono::steady_clock::time_point curl_deadline_;
  std::thread thread_;
};

}  // namespace lmmbench::models::http
