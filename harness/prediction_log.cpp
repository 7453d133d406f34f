#include "harness/prediction_log.hpp"

#include <cerrno>
#include <cmath>
#include <limits>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_fields.hpp"
#include "core/jsonl.hpp"
#include "core/sha256.hpp"

namespace lmmbench::harness {

std::string log_key(const std::string& model, const std::string& task, const std::string& sample_id,
                    const std::string& prompt_sha256, const std::string& params_sha256,
                    const std::string& backend) {
  return sha256_hex(
      nlohmann::json::array({model, task, sample_id, prompt_sha256, params_sha256, backend})
          .dump());
}

// A log line lists its fields once, in visit() (core/json_fields.hpp): append() writes and open()
// reads through that one list. The completion's outcome, usage and timing have a representation
// of their own, written and read by the adapters below.

namespace {

[[noreturn]] void fail(const std::string& field, const std::string& message) {
  throw InputError(Location{"", 0, field}, message);
}

/// A logged time in seconds; beyond ±1e9 s (31 years) it cannot be a stamp of a run's clock, and
/// converting it to nanoseconds would overflow.
Nanos seconds_at(const nlohmann::json& j, const std::string& field) {
  if (!j.is_number()) fail(field, "expected a number, got " + std::string(json_type_name(j)));
  const double s = j.get<double>();
  if (!(std::abs(s) <= 1e9)) fail(field, fmt::format("{} s is not a time of this run", s));
  return std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(s));
}

/// "timing": {"submitted_s", "finished_s", "first_token_s" (when known), "token_events_s" (when
/// any)}, in seconds on the run's clock. Anything but an object reads as no timings.
struct TimingCodec {
  static nlohmann::json encode(const models::Timings& t) {
    nlohmann::json j{{"submitted_s", to_seconds(t.submitted)},
                     {"finished_s", to_seconds(t.finished)}};
    if (t.first_token) j["first_token_s"] = to_seconds(*t.first_token);
    if (!t.token_events.empty()) {
      auto& events = j["token_events_s"] = nlohmann::json::array();
      for (const auto n : t.token_events)
        events.push_back(to_seconds(n));
    }
    return j;
  }
  static void decode(const nlohmann::json& j, models::Timings& t) {
    if (!j.is_object()) return;
    const auto present = [&j](const char* key) {
      const auto it = j.find(key);
      return it != j.end() && !it->is_null() ? &*it : nullptr;
    };
    if (const auto* v = present("submitted_s")) t.submitted = seconds_at(*v, "/timing/submitted_s");
    if (const auto* v = present("finished_s")) t.finished = seconds_at(*v, "/timing/finished_s");
    if (const auto* v = present("first_token_s")) {
      t.first_token = seconds_at(*v, "/timing/first_token_s");
    }
    if (const auto* v = present("token_events_s")) {
      if (!v->is_array()) {
        fail("/timing/token_events_s", "expected an array, got " + std::string(json_type_name(*v)));
      }
      for (std::size_t i = 0; i < v->size(); ++i)
        t.token_events.push_back(
            seconds_at((*v)[i], "/timing/token_events_s/" + std::to_string(i)));
    }
  }
};

/// "usage": {"prompt_tokens", "completion_tokens"}, null where the server did not report them;
/// on reading, anything but an integer counts as unknown.
struct UsageCodec {
  static nlohmann::json encode(const models::TokenUsage& u) {
    const auto count = [](const std::optional<std::int64_t>& v) {
      return v ? nlohmann::json(*v) : nlohmann::json();
    };
    return {{"prompt_tokens", count(u.prompt_tokens)},
            {"completion_tokens", count(u.completion_tokens)}};
  }
  static void decode(const nlohmann::json& j, models::TokenUsage& u) {
    if (!j.is_object()) return;
    for (const auto& [key, slot] : {std::pair{"prompt_tokens", &u.prompt_tokens},
                                    std::pair{"completion_tokens", &u.completion_tokens}}) {
      const auto it = j.find(key);
      if (it != j.end() && it->is_number_integer()) *slot = it->get<std::int64_t>();
    }
  }
};

/// The completion's outcome, read before the fields it decides on: "outcome" is "ok" or "error"
/// (required); an answer has a "prediction" (required), a failure an "error_kind" (required, a
/// known kind) and an "error_message"; each is null in the other case and ignored on reading.
/// Reading "error" marks the completion failed until "error_kind" says how.
template <class C>
struct Outcome {
  using json_adapter = void;
  C& c;
  [[nodiscard]] nlohmann::json encode() const { return c.ok() ? "ok" : "error"; }
  void decode(const nlohmann::json& j) const {
    if (!j.is_string())
      fail("/outcome", "expected a string, got " + std::string(json_type_name(j)));
    if (j.get_ref<const std::string&>() != "ok") c.error = models::ErrorKind::internal;
  }
  [[nodiscard]] bool empty() const { return false; }
};

template <class C>
struct Prediction {
  using json_adapter = void;
  C& c;
  [[nodiscard]] nlohmann::json encode() const {
    return c.ok() ? nlohmann::json(c.text) : nlohmann::json();
  }
  void decode(const nlohmann::json& j) const {
    if (!c.ok()) return;
    if (!j.is_string()) {
      fail("/prediction", "expected a string, got " + std::string(json_type_name(j)));
    }
    c.text = j.get<std::string>();
  }
  void missing() const {
    if (c.ok()) fail("/prediction", "missing required field");
  }
  [[nodiscard]] bool empty() const { return false; }
};

template <class C>
struct FailureKind {
  using json_adapter = void;
  C& c;
  [[nodiscard]] nlohmann::json encode() const {
    return c.ok() ? nlohmann::json() : nlohmann::json(models::to_string(c.error));
  }
  void decode(const nlohmann::json& j) const {
    if (c.ok()) return;
    if (!j.is_string()) {
      fail("/error_kind", "expected a string, got " + std::string(json_type_name(j)));
    }
    const auto& name = j.get_ref<const std::string&>();
    const auto kind = models::parse_error_kind(name);
    if (!kind || *kind == models::ErrorKind::none) {
      fail("/error_kind", fmt::format("unknown error kind '{}'", name));
    }
    c.error = *kind;
  }
  void missing() const {
    if (!c.ok()) fail("/error_kind", "missing required field");
  }
  [[nodiscard]] bool empty() const { return false; }
};

template <class C>
struct FailureMessage {
  using json_adapter = void;
  C& c;
  [[nodiscard]] nlohmann::json encode() const {
    return c.ok() ? nlohmann::json() : nlohmann::json(c.error_message);
  }
  void decode(const nlohmann::json& j) const {
    if (c.ok()) return;
    if (!j.is_string()) {
      fail("/error_message", "expected a string, got " + std::string(json_type_name(j)));
    }
    c.error_message = j.get<std::string>();
  }
  [[nodiscard]] bool empty() const { return false; }
};

}  // namespace

template <class S, class F>
requires json_fields::Record<S, LogEntry>
void visit(S& e, F&& f) {
  using json_fields::required;
  f("key", e.key, required);
  f("model", e.model, required);
  f("task", e.task, required);
  f("sample_id", e.sample_id, required);
  f("prompt_sha256", e.prompt_sha256, required);
  f("params_sha256", e.params_sha256, required);
  f("backend", e.backend, required);
  auto& c = e.completion;
  using C = std::remove_reference_t<decltype(c)>;
  // "outcome" first: the reader walks this list in order, and the next three depend on it.
  f("outcome", Outcome<C>{c}, required);
  f("prediction", Prediction<C>{c});
  f("error_kind", FailureKind<C>{c});
  f("error_message", FailureMessage<C>{c});
  f("usage", json_fields::with_codec<UsageCodec>(c.usage));
  f("timing", json_fields::with_codec<TimingCodec>(c.timings));
  f("attempts", c.attempts);
  f("cached", c.cached, json_fields::omit_empty);  // served by the response cache: no request sent
  f("logged_at", e.logged_at);
  f("request", e.request, json_fields::omit_empty);
}

LMMBENCH_JSON_FIELDS(LogEntry)

LogEntry read_log_entry(const ConfigNode& line) {
  (void)line.object();  // "expected an object" at the line
  LogEntry e;
  try {
    json_fields::read(line.json(), e);
  } catch (const InputError& error) {
    Location where = line.location();
    where.field = line.pointer() + error.where().field;
    throw InputError(where, error.detail());
  }
  if (e.completion.attempts < 0) {
    Location where = line.location();
    where.field = line.pointer() + "/attempts";
    throw InputError(where, fmt::format("{} is out of range [0, {}]", e.completion.attempts,
                                        std::numeric_limits<int>::max()));
  }
  return e;
}

bool retry_on_resume(models::ErrorKind kind) {
  using models::ErrorKind;
  switch (kind) {
    case ErrorKind::http:
    case ErrorKind::timeout:
    case ErrorKind::connection:
    case ErrorKind::malformed_reply:
    case ErrorKind::cancelled:
    case ErrorKind::internal:
      return true;
    default:
      return false;
  }
}

PredictionLog::PredictionLog(const std::filesystem::path& path, bool fsync_each_entry)
    : path_(path), fsync_each_entry_(fsync_each_entry) {
  std::string text;
  if (std::filesystem::exists(path)) text = read_file_bytes(path);

  // A line without its newline can only be the last write of a killed process: drop it.
  std::size_t complete = text.rfind('\n');
  complete = complete == std::string::npos ? 0 : complete + 1;
  if (complete < text.size()) {
    warnings_.push_back(
        fmt::format("{}: dropped an incomplete last line ({} bytes) left by an "
                    "interrupted write",
                    path.string(), text.size() - complete));
  }
  std::size_t line_number = 0;
  for (std::size_t start = 0; start < complete;) {
    const std::size_t end = text.find('\n', start);
    ++line_number;
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    try {
      auto entry = read_log_entry(*parse_jsonl_line(line, path.string(), line_number));
      entries_[entry.key] = std::move(entry);
    } catch (const InputError& e) {
      throw InputError(e.where(), "malformed prediction-log entry: " + e.detail());
    }
  }

  // O_APPEND: every write(2) lands at the end of the file as it is then, so a line is never
  // written over another one (the run lock keeps a second writer out; this keeps the log whole
  // even if one gets in).
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_system_error("cannot open prediction log " + path.string());
  if (::ftruncate(fd_, static_cast<off_t>(complete)) != 0) {
    const int code = errno;
    ::close(fd_);
    errno = code;
    throw_system_error("cannot prepare prediction log " + path.string());
  }
}

PredictionLog::~PredictionLog() {
  if (fd_ >= 0) ::close(fd_);
}

const LogEntry* PredictionLog::find(const std::string& key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void PredictionLog::append(LogEntry entry) {
  const std::string line =
      nlohmann::json(entry).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("cannot append to prediction log " + path_.string());
    }
    written += static_cast<std::size_t>(n);
  }
  if (fsync_each_entry_ && ::fdatasync(fd_) != 0) {
    throw_system_error("cannot sync prediction log " + path_.string());
  }
  entries_[entry.key] = std::move(entry);
}

}  // namespace lmmbench::harness
