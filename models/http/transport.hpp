#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
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
  std::string error_message;  ///< curl's description when error != none.
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
/// back into the transport except adjust_tokens().
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

/// Drives every request of one backend through one libcurl multi handle on one thread of its own,
/// with curl's socket interface over epoll, so each wake-up costs only the sockets that are ready
/// (hundreds of requests in flight stay cheap).
/// Connections are reused across requests (the multi handle's connection cache), HTTP/2 is used
/// over TLS where the server offers it (ALPN), and requests to the same HTTP/2 host are
/// multiplexed on one connection.
///
/// Rate limits live here rather than in the harness because they are a property of the endpoint
/// and its API key: every attempt that reaches the wire — retries of whole requests included, from
/// every cell that shares this backend — draws from the same buckets, and only the transport sees
/// the moment a request really leaves. The harness still bounds what is in flight.
///
/// Every request leaves the process at most once per submit(): libcurl's silent re-send of a
/// request whose reused connection closed before the first reply byte is refused (the transfer
/// ends as a connection error), so the harness counts, retries and rate-limits every attempt that
/// reached the wire.
///
/// Threading: submit() and cancel_all() are thread-safe. All callbacks run on the transport's
/// thread. The destructor completes every queued or running call with TransportError::cancelled
/// (on the destroying thread, after the loop has stopped) and joins the thread.
class Transport {
 public:
  explicit Transport(TransportOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  void submit(HttpCall call);
  /// Ends every call submitted before this one and not yet completed: the loop removes them from
  /// the multi handle (closing their connections) and completes each with
  /// TransportError::cancelled, on the transport thread, within one turn of the loop. Calls
  /// submitted later are served as usual.
  void cancel_all();
  /// Corrects the tokens-per-minute bucket once the real usage is known (real minus estimate).
  /// Transport thread only (from a callback).
  void adjust_tokens(double delta);

  [[nodiscard]] const TransportOptions& options() const { return options_; }

 private:
  struct Transfer;
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
  void check_idle();
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
  bool curl_timer_ = false;  ///< curl asked to be called back at curl_deadline_.
  std::chrono::steady_clock::time_point curl_deadline_;
  std::thread thread_;
};

}  // namespace lmmbench::models::http
