#include "harness/prediction_log.hpp"

#include <cerrno>
#include <cmath>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
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

namespace {

nlohmann::json optional_int(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

nlohmann::json seconds(Nanos n) {
  return to_seconds(n);
}

Nanos from_seconds(double s) {
  return std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(s));
}

/// A logged time in seconds; beyond ±1e9 s (31 years) it cannot be a stamp of a run's clock, and
/// converting it to nanoseconds would overflow.
Nanos seconds_at(const ConfigNode& node) {
  const double s = node.as_number();
  if (!(std::abs(s) <= 1e9)) node.fail(fmt::format("{} s is not a time of this run", s));
  return from_seconds(s);
}

}  // namespace

void to_json(nlohmann::json& j, const LogEntry& e) {
  const auto& c = e.completion;
  nlohmann::json timing{{"submitted_s", seconds(c.timings.submitted)},
                        {"finished_s", seconds(c.timings.finished)}};
  if (c.timings.first_token) timing["first_token_s"] = seconds(*c.timings.first_token);
  if (!c.timings.token_events.empty()) {
    auto& events = timing["token_events_s"] = nlohmann::json::array();
    for (const auto t : c.timings.token_events)
      events.push_back(seconds(t));
  }
  j = nlohmann::json{
      {"key", e.key},
      {"model", e.model},
      {"task", e.task},
      {"sample_id", e.sample_id},
      {"prompt_sha256", e.prompt_sha256},
      {"params_sha256", e.params_sha256},
      {"backend", e.backend},
      {"outcome", c.ok() ? "ok" : "error"},
      {"prediction", c.ok() ? nlohmann::json(c.text) : nlohmann::json()},
      {"error_kind", c.ok() ? nlohmann::json() : nlohmann::json(models::to_string(c.error))},
      {"error_message", c.ok() ? nlohmann::json() : nlohmann::json(c.error_message)},
      {"usage",
       {{"prompt_tokens", optional_int(c.usage.prompt_tokens)},
        {"completion_tokens", optional_int(c.usage.completion_tokens)}}},
      {"timing", std::move(timing)},
      {"attempts", c.attempts},
      {"logged_at", e.logged_at}};
  if (c.cached) j["cached"] = true;  // served by the response cache: no request was sent
  if (!e.request.empty()) j["request"] = e.request;
}

LogEntry read_log_entry(const ConfigNode& line) {
  ObjectReader j = line.object();
  LogEntry e;
  e.key = j.required_string("key");
  e.model = j.required_string("model");
  e.task = j.required_string("task");
  e.sample_id = j.required_string("sample_id");
  e.prompt_sha256 = j.required_string("prompt_sha256");
  e.params_sha256 = j.required_string("params_sha256");
  e.backend = j.required_string("backend");
  e.logged_at = j.get_string("logged_at", "");
  e.request = j.get_string("request", "");
  auto& c = e.completion;
  if (j.required_string("outcome") == "ok") {
    c.text = j.required_string("prediction");
  } else {
    const ConfigNode kind_node = j.required("error_kind");
    const auto kind = models::parse_error_kind(kind_node.as_string());
    if (!kind || *kind == models::ErrorKind::none) {
      kind_node.fail(fmt::format("unknown error kind '{}'", kind_node.as_string()));
    }
    c.error = *kind;
    c.error_message = j.get_string("error_message", "");
  }
  // Token counts a server did not report are null; anything but an integer counts as unknown.
  if (const auto usage = j.find("usage"); usage && usage->is_object()) {
    for (const auto& [key, slot] : {std::pair{"prompt_tokens", &c.usage.prompt_tokens},
                                    std::pair{"completion_tokens", &c.usage.completion_tokens}}) {
      const auto it = usage->json().find(key);
      if (it != usage->json().end() && it->is_number_integer()) *slot = it->get<std::int64_t>();
    }
  }
  if (const auto timing_node = j.find("timing"); timing_node && timing_node->is_object()) {
    ObjectReader timing = timing_node->object();
    if (const auto submitted = timing.find("submitted_s")) {
      c.timings.submitted = seconds_at(*submitted);
    }
    if (const auto finished = timing.find("finished_s")) c.timings.finished = seconds_at(*finished);
    if (const auto first = timing.find("first_token_s")) c.timings.first_token = seconds_at(*first);
    if (const auto events = timing.find("token_events_s")) {
      for (const auto& t : events->elements())
        c.timings.token_events.push_back(seconds_at(t));
    }
  }
  c.attempts = static_cast<int>(j.get_int("attempts", 1, 0, INT32_MAX));
  c.cached = j.get_bool("cached", false);
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
