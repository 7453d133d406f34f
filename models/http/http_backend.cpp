#include "models/http/http_backend.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>

#include <curl/curl.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "models/http/secrets.hpp"
#include "models/image_options.hpp"

namespace lmmbench::models::http {

namespace {

/// Option names that would put a secret into a config file, which is saved with the run.
constexpr std::string_view kSecretKeys[] = {"api_key", "apikey",       "api-key",       "key",
                                            "token",   "access_token", "authorization", "bearer",
                                            "secret",  "x-api-key",    "x-goog-api-key"};

std::chrono::milliseconds seconds_option(ObjectReader& options, std::string_view key,
                                         double fallback) {
  const double s = options.get_number(key, fallback);
  if (!(s > 0)) options.required(key).fail(std::string(key) + " must be > 0 seconds");
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0 + 0.5));
}

/// A printable, bounded excerpt of a body that is not the JSON we expected.
std::string excerpt(std::string_view body) {
  std::string out;
  for (const char c : body.substr(0, 200))
    out += (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) ? c : ' ';
  if (body.size() > 200) out += "...";
  return out;
}

/// Whether an api_key_env value may be repeated in a message: it has the shape of a conventional
/// variable name (upper case, digits, '_'; an '_' or at most 12 characters), not of a key
/// ("sk_live_...", "hf_...", "AKIA..." of 20 characters), which a user may have pasted there.
bool looks_like_variable_name(std::string_view name) {
  const bool shape =
      !name.empty() && name.size() <= 64 && std::isupper(static_cast<unsigned char>(name[0])) &&
      std::all_of(name.begin(), name.end(),
                  [](unsigned char c) { return std::isupper(c) || std::isdigit(c) || c == '_'; });
  return shape && (name.find('_') != std::string_view::npos || name.size() <= 12);
}

bool is_json_type(const std::string& content_type) {
  return content_type.starts_with("application/json") ||
         (content_type.starts_with("application/") &&
          content_type.find("+json") != std::string::npos);
}

}  // namespace

std::string string_member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> int_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::string Dialect::error_message(const nlohmann::json& body) const {
  if (body.is_object()) {
    const auto it = body.find("error");
    if (it != body.end()) {
      if (it->is_object() && it->contains("message") && (*it)["message"].is_string()) {
        return (*it)["message"].get<std::string>();
      }
      if (it->is_string()) return it->get<std::string>();  // TGI: {"error": "...", ...}
    }
    if (body.contains("message") && body["message"].is_string()) {
      return body["message"].get<std::string>();
    }
  }
  return excerpt(body.dump());
}

void Dialect::write_body(const Request& request, const Endpoint& endpoint, bool stream,
                         std::string& out) const {
  out += body(request, endpoint, stream)
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool Dialect::try_parse_reply(std::string_view, Reply&) const {
  return false;
}

bool Dialect::try_on_event(const SseEvent&, Reply&, bool&) const {
  return false;
}

std::optional<Nanos> Dialect::retry_hint(const nlohmann::json&) const {
  return std::nullopt;
}

bool Dialect::is_content_filter(long, const nlohmann::json&) const {
  return false;
}

bool Dialect::rejects_credentials(long, const nlohmann::json&) const {
  return false;
}

std::optional<Nanos> server_wait(double seconds) {
  if (!(seconds >= 0)) return std::nullopt;
  if (seconds >= static_cast<double>(kLongestServerWait.count())) return kLongestServerWait;
  return std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(seconds));
}

std::optional<Nanos> parse_retry_after(const std::string& value) {
  if (value.empty()) return std::nullopt;
  // Delta-seconds, also with a fraction ("1.5", some servers), in any size: strtod saturates
  // where strtoll would overflow. "inf" and "1e300" are not HTTP, but are bounded all the same.
  char* end = nullptr;
  const double seconds = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '\0') return server_wait(seconds);
  const time_t when = curl_getdate(value.c_str(), nullptr);  // an HTTP-date
  if (when < 0) return std::nullopt;
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return server_wait(static_cast<double>(std::max<std::int64_t>(0, when - now)));
}

Endpoint read_endpoint(ObjectReader& options, std::string kind, std::string default_base_url,
                       Capabilities defaults) {
  for (const auto key : kSecretKeys) {
    if (options.has(key)) {
      options.required(key).fail(fmt::format(
          "API keys are never read from config files, which are saved with every run; set "
          "\"api_key_env\" to the name of an environment variable that holds the key (the value "
          "of \"{}\" was not used)",
          key));
    }
  }
  Endpoint e;
  e.kind = std::move(kind);
  // "base_url": one URL, or a list of replicas serving the same model (see HttpBackend).
  auto check_url = [&](std::string url, const std::function<void(const std::string&)>& fail) {
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    if (!url.starts_with("http://") && !url.starts_with("https://"))
      fail("base_url must start with http:// or https://");
    // Every URL a dialect builds starts with base_url, and base_url is saved with the run
    // (run.json, the fingerprint in predictions.jsonl, the reports): a credential in it would be
    // written everywhere. Keys go in headers (Gemini's too: x-goog-api-key), so a URL needs none.
    const auto authority_end = url.find('/', url.find("//") + 2);
    if (url.substr(0, authority_end).find('@') != std::string::npos)
      fail("base_url must not contain credentials (user:password@); use api_key_env");
    if (url.find_first_of("?#") != std::string::npos) {
      fail(
          "base_url must not have a query or fragment (a key in ?key=... would be saved with the "
          "run); put the key in the environment variable named by api_key_env");
    }
    return url;
  };
  const auto base_url = options.find("base_url");
  if (base_url && base_url->is_array()) {
    const auto elements = base_url->elements();
    if (elements.empty()) base_url->fail("base_url: a list of replicas needs at least one URL");
    for (const auto& element : elements) {
      auto url = check_url(element.as_string(), [&](const std::string& why) { element.fail(why); });
      if (std::find(e.replicas.begin(), e.replicas.end(), url) != e.replicas.end())
        element.fail(fmt::format("base_url lists the replica {} twice", url));
      e.replicas.push_back(std::move(url));
    }
  } else {
    e.replicas.push_back(
        check_url(base_url ? base_url->as_string() : default_base_url,
                  [&](const std::string& why) { options.required("base_url").fail(why); }));
  }
  e.base_url = e.replicas.front();
  e.model = options.get_string("model", "");
  if (const auto env = options.find("api_key_env")) {
    e.api_key_env = env->as_string();
    const bool valid_name =
        !e.api_key_env.empty() &&
        std::all_of(e.api_key_env.begin(), e.api_key_env.end(),
                    [](unsigned char c) { return std::isalnum(c) || c == '_'; }) &&
        !std::isdigit(static_cast<unsigned char>(e.api_key_env.front()));
    if (!valid_name) {
      env->fail(
          "api_key_env must name an environment variable (letters, digits and '_'), not "
          "hold a key");
    }
    const char* value = std::getenv(e.api_key_env.c_str());
    if (value == nullptr || *value == '\0') {
      env->fail(
          looks_like_variable_name(e.api_key_env)
              ? fmt::format("the environment variable {} (api_key_env) is not set", e.api_key_env)
              : std::string("the environment variable named by api_key_env is not set (its "
                            "value is not repeated here: it does not look like a variable "
                            "name and may be a key)"));
    }
    e.api_key = value;
    // Short dummy keys ("EMPTY", vLLM's convention) may well be words of a URL.
    for (const auto& url : e.replicas) {
      if (e.api_key.size() >= 8 && redact(url, e.api_key) != url) {
        options.required("base_url")
            .fail("base_url contains the API key (or part of it); it is saved with the run");
      }
    }
  }
  e.stream = options.get_bool("stream", false);
  const std::string truncation = options.get_string("truncation", "answer");
  if (truncation != "answer" && truncation != "error") {
    options.required("truncation").fail("truncation must be \"answer\" or \"error\"");
  }
  e.truncation_is_error = truncation == "error";
  if (const auto extra = options.find("extra_body")) {
    if (!extra->is_object()) extra->fail("extra_body must be an object");
    e.extra_body = extra->json();
  }
  auto& t = e.transport;
  t.connect_timeout = seconds_option(options, "connect_timeout_s", 10);
  t.total_timeout = seconds_option(options, "timeout_s", 600);
  t.idle_timeout = seconds_option(options, "idle_timeout_s", 60);
  t.max_in_flight = static_cast<std::size_t>(options.get_int("max_in_flight", 0, 0, 100'000));
  t.requests_per_minute = options.get_number("requests_per_minute", 0);
  t.tokens_per_minute = options.get_number("tokens_per_minute", 0);
  if (t.requests_per_minute < 0 || t.tokens_per_minute < 0) {
    options.required(t.requests_per_minute < 0 ? "requests_per_minute" : "tokens_per_minute")
        .fail("rate limits must be >= 0 (0 = none)");
  }
  t.max_response_bytes = static_cast<std::size_t>(
      options.get_int("max_response_bytes", 32 << 20, 1024, std::int64_t{1} << 34));
  t.verify_tls = options.get_bool("verify_tls", true);
  if (const auto ca = options.find("ca_bundle")) t.ca_bundle = ca->as_path().string();
  e.capabilities = defaults;
  e.capabilities.max_images_per_request = static_cast<std::size_t>(options.get_int(
      "max_images", static_cast<std::int64_t>(defaults.max_images_per_request), 0, 100'000));
  read_image_limit_options(options, e.capabilities);  // max_image_side/_bytes, image_formats
  e.capabilities.streaming = true;
  e.capabilities.reports_usage = true;
  e.capabilities.cache_responses = true;
  return e;
}

/// Per-request state shared by the transport callbacks of one request.
struct HttpBackend::Exchange {
  CompletionCallback done;
  SseParser parser;
  Reply reply;
  std::optional<Nanos> first_token;
  std::vector<Nanos> token_events;
  std::string malformed;  ///< Why the stream consumer stopped the transfer.
  double token_estimate = 0;
};

HttpBackend::HttpBackend(Endpoint endpoint, std::unique_ptr<Dialect> dialect, const Clock& clock)
    : endpoint_(std::move(endpoint)),
      dialect_(std::move(dialect)),
      clock_(clock),
      url_(dialect_->url(endpoint_, endpoint_.stream)),
      headers_(dialect_->headers(endpoint_)),
      transport_(std::make_unique<Transport>(endpoint_.transport)) {
  if (endpoint_.replicas.empty()) endpoint_.replicas.push_back(endpoint_.base_url);
  for (const auto& url : endpoint_.replicas)
    replicas_.push_back(Replica{ReplicaUse{url}, 0, {}, 0});
  // submit() may be called from a completion callback, on the transport thread: the callback
  // (on_done in submit()) runs with no lock of ours held (release_replica's replicas_mutex_ is
  // released before `done` runs), and submit() only builds the body (const, the dialect is
  // stateless), takes replicas_mutex_ briefly and queues the call in Transport::submit, which
  // takes the transport's queue mutex briefly (the loop does not hold it while it runs
  // callbacks) and never waits for the loop; the loop starts the call on its next turn. A
  // request refused before it is queued (an image over max_image_bytes, a body that cannot be
  // built) completes inside submit(), which the caller must expect (Backend's contract).
  endpoint_.capabilities.submit_from_callback = true;
}

std::size_t HttpBackend::acquire_replica() {
  const std::lock_guard lock(replicas_mutex_);
  const auto now = std::chrono::steady_clock::now();
  const std::size_t n = replicas_.size();
  std::size_t best = n;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_replica_ + k) % n;  // rotating start: ties spread evenly
    if (replicas_[i].down_until > now) continue;
    if (best == n || replicas_[i].in_flight < replicas_[best].in_flight) best = i;
  }
  if (best == n) {
    // Every replica is backed off: probe the one whose back-off ends first.
    best = static_cast<std::size_t>(std::min_element(replicas_.begin(), replicas_.end(),
                                                     [](const Replica& a, const Replica& b) {
                                                       return a.down_until < b.down_until;
                                                     }) -
                                    replicas_.begin());
  }
  next_replica_ = (best + 1) % n;
  ++replicas_[best].in_flight;
  ++replicas_[best].stats.requests;
  return best;
}

bool HttpBackend::release_replica(std::size_t index, const HttpResult& result,
                                  std::chrono::steady_clock::time_point started) {
  const std::lock_guard lock(replicas_mutex_);
  const auto now = std::chrono::steady_clock::now();
  Replica& r = replicas_[index];
  --r.in_flight;
  if (result.error == TransportError::connection) {
    // Taken out for a back-off that doubles with each failure in a row (1 s, 2 s, ... 30 s).
    ++r.stats.connection_failures;
    r.down_until =
        now + std::min<std::chrono::steady_clock::duration>(
                  kReplicaBackoff * (1 << std::min(r.consecutive_failures, 5)), kReplicaMaxBackoff);
    ++r.consecutive_failures;
  } else if (result.error == TransportError::none) {
    // The server answered (any status): it is up.
    r.consecutive_failures = 0;
    r.down_until = {};
    ++r.stats.answered;
    r.stats.latency_sum_s += std::chrono::duration<double>(now - started).count();
  }
  return std::any_of(replicas_.begin(), replicas_.end(),
                     [&](const Replica& other) { return other.down_until <= now; });
}

std::vector<ReplicaUse> HttpBackend::replica_use() const {
  const std::lock_guard lock(replicas_mutex_);
  std::vector<ReplicaUse> out;
  if (replicas_.size() < 2) return out;
  for (const auto& r : replicas_)
    out.push_back(r.stats);
  return out;
}

HttpBackend::~HttpBackend() {
  transport_.reset();  // completes anything still queued while the dialect is alive
}

std::string HttpBackend::fingerprint() const {
  // Everything that changes answers or what is logged; never the key, timeouts or rate limits.
  // One replica: its URL, as before replicas existed (the keys of earlier runs stay valid).
  const nlohmann::json urls = endpoint_.replicas.size() > 1 ? nlohmann::json(endpoint_.replicas)
                                                            : nlohmann::json(endpoint_.base_url);
  const nlohmann::json parts{{"base_url", urls},
                             {"model", endpoint_.model},
                             {"dialect", dialect_->fingerprint_options()},
                             {"extra_body", endpoint_.extra_body},
                             {"truncation", endpoint_.truncation_is_error ? "error" : "answer"}};
  return endpoint_.kind + "/v1 " + parts.dump();
}

HttpCall HttpBackend::build_call(const Request& request) const {
  HttpCall call;
  call.url = url_;
  call.headers = headers_;
  if (endpoint_.extra_body.empty()) {
    dialect_->write_body(request, endpoint_, endpoint_.stream, call.body);
  } else {
    nlohmann::json body = dialect_->body(request, endpoint_, endpoint_.stream);
    body.merge_patch(endpoint_.extra_body);
    call.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  call.stream = endpoint_.stream;
  // A rough prompt estimate (4 bytes of text per token, ~1000 tokens per image) plus the output
  // budget; the real usage corrects the bucket when the reply arrives.
  call.token_cost =
      static_cast<double>(request.text().size() + request.system_prompt.size()) / 4.0 +
      1000.0 * static_cast<double>(request.image_count()) +
      static_cast<double>(request.params.max_tokens);
  return call;
}

void HttpBackend::cancel() {
  transport_->cancel_all();
}

void HttpBackend::submit(Request request, CompletionCallback done) {
  const auto& caps = endpoint_.capabilities;
  for (const auto& part : request.content) {
    const auto* image = std::get_if<ImagePart>(&part);
    if (image != nullptr && caps.max_image_bytes > 0 && image->bytes &&
        image->bytes->size() > caps.max_image_bytes) {
      done(Completion::failure(
          ErrorKind::unsupported,
          fmt::format("image {} has {} bytes; {} accepts at most {} (max_image_bytes)",
                      image->source, image->bytes->size(), endpoint_.kind, caps.max_image_bytes)));
      return;
    }
  }
  HttpCall call;
  try {
    call = build_call(request);
  } catch (const std::exception& e) {
    done(Completion::failure(
        ErrorKind::internal,
        redact(fmt::format("building the request: {}", e.what()), endpoint_.api_key)));
    return;
  }
  const std::size_t replica = acquire_replica();
  // Every URL a dialect builds starts with base_url (read_endpoint): the replica's replaces it.
  if (replica > 0)
    call.url = endpoint_.replicas[replica] + call.url.substr(endpoint_.base_url.size());
  const auto started = std::chrono::steady_clock::now();
  auto exchange = std::make_shared<Exchange>();
  exchange->done = std::move(done);
  exchange->token_estimate = call.token_cost;
  call.on_stream_bytes = [this, exchange](std::string_view bytes) {
    const Nanos now = clock_.now();  // every event of one read arrived at the same moment
    try {
      exchange->parser.feed(bytes, [&](const SseEvent& event) {
        if (fold_event(event, exchange->reply)) {
          if (!exchange->first_token) exchange->first_token = now;
          exchange->token_events.push_back(now);
        }
      });
    } catch (const std::exception& e) {
      exchange->malformed = e.what();
      return false;
    }
    return true;
  };
  call.on_done = [this, exchange, replica, started](HttpResult result) {
    const bool any_replica_up = release_replica(replica, result, started);
    const bool connection_failed = result.error == TransportError::connection;
    Completion c = complete(*exchange, std::move(result));
    if (connection_failed && replicas_.size() > 1) {
      c.error_message += fmt::format(" (replica {})", endpoint_.replicas[replica]);
      // Another replica is up: the harness's retry goes there (acquire_replica skips this one
      // while it is backed off). Only when every replica is down does the backend stop.
      if (any_replica_up) c.fatal = false;
    }
    c.error_message = redact(c.error_message, endpoint_.api_key);
    exchange->done(std::move(c));
  };
  transport_->submit(std::move(call));
}

bool HttpBackend::fold_event(const SseEvent& event, Reply& reply) const {
  bool token = false;
  if (dialect_->try_on_event(event, reply, token)) return token;
  return dialect_->on_event(event, reply);
}

Completion HttpBackend::complete(Exchange& ex, HttpResult r) const {
  switch (r.error) {
    case TransportError::none:
      break;
    case TransportError::cancelled:
      return Completion::failure(ErrorKind::cancelled, r.error_message);
    case TransportError::timeout:
      return Completion::failure(ErrorKind::timeout, "timeout: " + r.error_message);
    case TransportError::connection: {
      auto c = Completion::failure(ErrorKind::connection, "connection: " + r.error_message);
      c.http_status = static_cast<int>(r.status);
      c.fatal = r.unreachable;
      return c;
    }
    case TransportError::too_large:
      return Completion::failure(ErrorKind::malformed_reply, r.error_message);
    case TransportError::aborted:
      return Completion::failure(
          ErrorKind::malformed_reply,
          "malformed stream: " + (ex.malformed.empty() ? r.error_message : ex.malformed));
  }

  if (r.status < 200 || r.status >= 300) {
    nlohmann::json body = parse_json_or_discarded(r.body);
    const std::string message =
        body.is_discarded() ? excerpt(r.body) : dialect_->error_message(body);
    if (!body.is_discarded() && dialect_->is_content_filter(r.status, body)) {
      auto c = Completion::failure(ErrorKind::refused, "content filter: " + message);
      c.http_status = static_cast<int>(r.status);
      return c;
    }
    auto c = Completion::failure(ErrorKind::http, fmt::format("HTTP {}: {}", r.status, message));
    c.http_status = static_cast<int>(r.status);
    // A rejected key, a forbidden project, an unknown model or path: every later request gets the
    // same answer.
    c.fatal = r.status == 401 || r.status == 403 || r.status == 404 ||
              (!body.is_discarded() && dialect_->rejects_credentials(r.status, body));
    if (r.retry_after_ms) {
      char* end = nullptr;
      const double ms = std::strtod(r.retry_after_ms->c_str(), &end);
      if (end != r.retry_after_ms->c_str() && *end == '\0')
        c.retry_after = server_wait(ms / 1000.0);
    }
    if (!c.retry_after && r.retry_after) c.retry_after = parse_retry_after(*r.retry_after);
    if (!c.retry_after && !body.is_discarded()) c.retry_after = dialect_->retry_hint(body);
    return c;
  }

  Reply reply;
  try {
    if (r.streamed) {
      ex.parser.finish([&](const SseEvent& event) {
        if (fold_event(event, ex.reply)) {
          const Nanos now = clock_.now();
          if (!ex.first_token) ex.first_token = now;
          ex.token_events.push_back(now);
        }
      });
      reply = std::move(ex.reply);
      if (!reply.stream_complete) {
        return Completion::failure(
            ErrorKind::malformed_reply,
            fmt::format("the stream ended before its end marker ({} token events, {} characters "
                        "received)",
                        ex.token_events.size(), reply.text.size()));
      }
    } else {
      if (!is_json_type(r.content_type)) {
        return Completion::failure(
            ErrorKind::malformed_reply,
            fmt::format("expected an application/json reply, got Content-Type '{}': {}",
                        r.content_type, excerpt(r.body)));
      }
      if (!dialect_->try_parse_reply(r.body, reply)) {
        reply = Reply{};
        const auto json = parse_json_or_discarded(r.body);
        if (json.is_discarded()) {
          return Completion::failure(ErrorKind::malformed_reply,
                                     "the reply is not valid JSON: " + excerpt(r.body));
        }
        reply = dialect_->parse_reply(json);
      }
    }
  } catch (const std::exception& e) {
    return Completion::failure(ErrorKind::malformed_reply, e.what());
  }

  Completion c;
  c.usage = reply.usage;
  c.timings.first_token = ex.first_token;
  c.timings.token_events = std::move(ex.token_events);
  if (reply.usage.prompt_tokens || reply.usage.completion_tokens) {
    const double actual = static_cast<double>(reply.usage.prompt_tokens.value_or(0) +
                                              reply.usage.completion_tokens.value_or(0));
    transport_->adjust_tokens(actual - ex.token_estimate);
  }
  if (reply.finish == Finish::refused) {
    c.error = ErrorKind::refused;
    c.error_message = fmt::format("refused ({}){}{}", reply.finish_reason,
                                  reply.refusal.empty() ? "" : ": ", reply.refusal);
    return c;
  }
  if (reply.finish == Finish::length && endpoint_.truncation_is_error) {
    c.error = ErrorKind::truncated;
    c.error_message = fmt::format("the reply was cut at max_tokens ({})", reply.finish_reason);
    return c;
  }
  c.text = std::move(reply.text);
  return c;
}

}  // namespace lmmbench::models::http
