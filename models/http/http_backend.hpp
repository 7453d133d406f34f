#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/backend.hpp"
#include "models/http/sse.hpp"
#include "models/http/transport.hpp"

/// The HTTP model backends: one generic backend (HttpBackend) that owns the transport, and one
/// Dialect per provider wire format (OpenAI Chat Completions, Gemini generateContent, Anthropic
/// Messages) that builds request bodies and reads replies.
namespace lmmbench::models::http {

/// What every HTTP backend is configured with (the options shared by all dialects).
struct Endpoint {
  std::string kind;      ///< Registry name: "openai", "gemini", "anthropic".
  std::string base_url;  ///< Without a trailing '/'. The first of `replicas`.
  /// Every replica's base URL ("base_url" as a list), at least one; requests go to the replica
  /// with the fewest in flight (HttpBackend).
  std::vector<std::string> replicas;
  std::string model;  ///< Model id sent to the server (and looked up in the price table).
  /// The key, read from the environment variable named by api_key_env. Never logged, hashed into
  /// a fingerprint or written anywhere; every error message is redacted against it.
  std::string api_key;
  std::string api_key_env;
  bool stream = false;
  bool truncation_is_error = false;  ///< A reply cut at max_tokens is an error, not an answer.
  nlohmann::json extra_body = nlohmann::json::object();  ///< Merged into every request body.
  TransportOptions transport;
  Capabilities capabilities;
};

/// A reply that does not follow the dialect's documented format.
class MalformedReply : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a reply ended.
enum class Finish {
  none,     ///< No finish reason (yet).
  stop,     ///< Natural end or a stop sequence.
  length,   ///< Cut at max_tokens.
  refused,  ///< Refusal or content filter.
};

/// What a dialect reads from a reply (whole or streamed).
struct Reply {
  std::string text;
  TokenUsage usage;
  Finish finish = Finish::none;
  std::string finish_reason;     ///< As the server spelled it.
  std::string refusal;           ///< The server's refusal text or block reason, if any.
  bool stream_complete = false;  ///< The stream reached its documented end.
};

/// A provider's wire format. Stateless and const: one instance serves every request of a backend
/// from the transport thread and the harness thread at once.
class Dialect {
 public:
  virtual ~Dialect() = default;
  [[nodiscard]] virtual std::string url(const Endpoint& endpoint, bool stream) const = 0;
  /// Authentication and dialect headers ("Name: value"), Content-Type included.
  [[nodiscard]] virtual std::vector<std::string> headers(const Endpoint& endpoint) const = 0;
  [[nodiscard]] virtual nlohmann::json body(const Request& request, const Endpoint& endpoint,
                                            bool stream) const = 0;
  /// The body as sent, appended to `out`: exactly body(...).dump() (nlohmann's form: keys
  /// sorted, no spaces, invalid UTF-8 replaced by U+FFFD). The default dumps body(); a dialect
  /// on the hot path of `lmmbench perf` writes it directly, without a DOM.
  virtual void write_body(const Request& request, const Endpoint& endpoint, bool stream,
                          std::string& out) const;
  /// A complete, non-streamed 2xx reply. Throws MalformedReply.
  [[nodiscard]] virtual Reply parse_reply(const nlohmann::json& reply) const = 0;
  /// The fast path of a complete, non-streamed 2xx reply, read from its text without a DOM.
  /// Returns false for anything it does not handle (then parse_reply decides, errors included);
  /// whenever it returns true, `reply` is what parse_reply gives for the parsed body. The
  /// default handles nothing.
  [[nodiscard]] virtual bool try_parse_reply(std::string_view body, Reply& reply) const;
  /// One server-sent event of a streamed reply, folded into `reply`. Returns whether the event is
  /// a token event: it carries generated output (text, reasoning, a refusal, tool calls), not
  /// only a role, a finish reason or usage. Throws
  /// MalformedReply, also for an error event inside the stream.
  virtual bool on_event(const SseEvent& event, Reply& reply) const = 0;
  /// The fast path of on_event for an ordinary event, read without a DOM. Returns false, with
  /// `reply` untouched, for anything it does not handle (then on_event decides, errors
  /// included); whenever it returns true, `reply` and `token` are what on_event gives. The
  /// default handles nothing.
  virtual bool try_on_event(const SseEvent& event, Reply& reply, bool& token) const;
  /// The provider's error message from an error body ({"error": {"message": ...}} by default).
  [[nodiscard]] virtual std::string error_message(const nlohmann::json& body) const;
  /// A wait the provider asks for inside an error body (Gemini's RetryInfo); none by default.
  [[nodiscard]] virtual std::optional<Nanos> retry_hint(const nlohmann::json& body) const;
  /// Whether an error status is the provider's content filter (Azure OpenAI answers 400 with
  /// code "content_filter"); such a request is refused, not failed.
  [[nodiscard]] virtual bool is_content_filter(long status, const nlohmann::json& body) const;
  /// Whether an error reply rejects the credentials under a status other than 401 (Gemini
  /// answers a bad key with 400); such a failure is fatal like a 401 (Completion::fatal).
  [[nodiscard]] virtual bool rejects_credentials(long status, const nlohmann::json& body) const;
  /// The dialect's own options that change answers, for the fingerprint.
  [[nodiscard]] virtual nlohmann::json fingerprint_options() const = 0;
};

/// `object[key]` when it is a string, else "" (servers send null for absent fields).
std::string string_member(const nlohmann::json& object, const char* key);
/// `object[key]` when it is an integer, else none (usage counts that are absent, null or not
/// integers).
std::optional<std::int64_t> int_field(const nlohmann::json& object, const char* key);

/// Reads the options every HTTP backend shares, with the dialect's defaults. Rejects literal
/// secrets ("api_key", ...) with a message that never repeats their value, and fails when the
/// variable named by api_key_env is unset.
Endpoint read_endpoint(ObjectReader& options, std::string kind, std::string default_base_url,
                       Capabilities defaults);

/// A model served over HTTP. submit() builds the request body on the calling thread and hands it
/// to the transport; the completion is delivered from the transport thread. submit() may be
/// called from inside a completion callback (Capabilities::submit_from_callback): the body is then
/// built on the transport thread, between two turns of its loop, as wrk does.
///
/// Replicas: each request goes to the replica with the fewest requests in flight (ties in turn).
/// A replica whose request fails with a connection error is taken out for a back-off (1 s,
/// doubling with each failure in a row, at most 30 s); the failed request completes as a
/// connection error that the harness retries like any other (an attempt), and the retry goes to
/// a replica that is up. The failure is fatal (the backend stops) only when every replica is down.
class HttpBackend final : public Backend {
 public:
  /// Every replica's counts; empty with one base_url.
  [[nodiscard]] std::vector<ReplicaUse> replica_use() const override;

  HttpBackend(Endpoint endpoint, std::unique_ptr<Dialect> dialect, const Clock& clock);
  ~HttpBackend() override;

  [[nodiscard]] const Capabilities& capabilities() const override { return endpoint_.capabilities; }
  [[nodiscard]] std::string fingerprint() const override;
  [[nodiscard]] std::string pricing_model() const override { return endpoint_.model; }
  void submit(Request request, CompletionCallback done) override;
  void cancel() override;

  /// The body and headers submit() would send (for tests and --dry-run style inspection).
  [[nodiscard]] HttpCall build_call(const Request& request) const;

 private:
  struct Exchange;
  Completion complete(Exchange& exchange, HttpResult result) const;
  /// One stream event into `reply` (the dialect's fast path, else on_event); whether it was a
  /// token event.
  bool fold_event(const SseEvent& event, Reply& reply) const;
  struct Replica {
    ReplicaUse stats;
    std::size_t in_flight = 0;
    std::chrono::steady_clock::time_point down_until;  ///< Backed off until then.
    int consecutive_failures = 0;
  };
  static constexpr std::chrono::seconds kReplicaBackoff{1};
  static constexpr std::chrono::seconds kReplicaMaxBackoff{30};
  /// Chooses the replica of a new request and counts it in flight.
  std::size_t acquire_replica();
  /// Counts the request done; backs the replica off after a connection error. Returns whether
  /// some replica is up now.
  bool release_replica(std::size_t index, const HttpResult& result,
                       std::chrono::steady_clock::time_point started);

  Endpoint endpoint_;
  std::unique_ptr<Dialect> dialect_;
  const Clock& clock_;
  // The same for every request (a dialect's url() and headers() depend on the endpoint only).
  std::string url_;
  std::vector<std::string> headers_;
  mutable std::mutex replicas_mutex_;
  std::vector<Replica> replicas_;  // guarded by replicas_mutex_ (its size never changes)
  std::size_t next_replica_ = 0;   // guarded by replicas_mutex_
  // Declared last: destroyed first, completing what is in flight while the rest is alive.
  std::unique_ptr<Transport> transport_;
};

/// A wait a server asked for, in seconds: none when it is not a number >= 0 (NaN included); at
/// most kLongestServerWait, so that no value ("9999999999", "1e300", "inf") overflows the
/// nanosecond clock. The harness refuses any wait over retry.max_retry_after_s.
std::optional<Nanos> server_wait(double seconds);
/// About 31 years: longer than any max_retry_after_s, far from Nanos' limit (292 years).
inline constexpr std::chrono::seconds kLongestServerWait{1'000'000'000};

/// Seconds from a Retry-After value: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), bounded by
/// server_wait().
std::optional<Nanos> parse_retry_after(const std::string& value);

/// Each provider's dialect alone, reading its own options from `options` (the backends' factories
/// below build theirs the same way); for the reply parsers' fuzz targets.
std::unique_ptr<Dialect> openai_dialect(ObjectReader& options);
std::unique_ptr<Dialect> gemini_dialect(ObjectReader& options);
std::unique_ptr<Dialect> anthropic_dialect(ObjectReader& options);

/// Factories registered in harness/registry.cpp.
std::unique_ptr<Backend> create_openai(ObjectReader& options, const BackendContext& context);
std::unique_ptr<Backend> create_gemini(ObjectReader& options, const BackendContext& context);
std::unique_ptr<Backend> create_anthropic(ObjectReader& options, const BackendContext& context);

}  // namespace lmmbench::models::http
