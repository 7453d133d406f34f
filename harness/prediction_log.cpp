#include "harness/prediction_log.hpp"

#include <cerrno>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "datasets/image_io.hpp"

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

void from_json(const nlohmann::json& j, LogEntry& e) {
  e.key = j.at("key").get<std::string>();
  e.model = j.at("model").get<std::string>();
  e.task = j.at("task").get<std::string>();
  e.sample_id = j.at("sample_id").get<std::string>();
  e.prompt_sha256 = j.at("prompt_sha256").get<std::string>();
  e.params_sha256 = j.at("params_sha256").get<std::string>();
  e.backend = j.at("backend").get<std::string>();
  e.logged_at = j.value("logged_at", "");
  e.request = j.value("request", "");
  auto& c = e.completion;
  c = models::Completion{};
  if (j.at("outcome").get<std::string>() == "ok") {
    c.text = j.at("prediction").get<std::string>();
  } else {
    const auto kind = models::parse_error_kind(j.at("error_kind").get<std::string>());
    if (!kind || *kind == models::ErrorKind::none) {
      throw nlohmann::json::other_error::create(501, "unknown error_kind", &j);
    }
    c.error = *kind;
    c.error_message = j.value("error_message", "");
  }
  if (const auto usage = j.find("usage"); usage != j.end() && usage->is_object()) {
    if (usage->value("prompt_tokens", nlohmann::json()).is_number_integer()) {
      c.usage.prompt_tokens = usage->at("prompt_tokens").get<std::int64_t>();
    }
    if (usage->value("completion_tokens", nlohmann::json()).is_number_integer()) {
      c.usage.completion_tokens = usage->at("completion_tokens").get<std::int64_t>();
    }
  }
  if (const auto timing = j.find("timing"); timing != j.end() && timing->is_object()) {
    c.timings.submitted = from_seconds(timing->value("submitted_s", 0.0));
    c.timings.finished = from_seconds(timing->value("finished_s", 0.0));
    if (timing->contains("first_token_s")) {
      c.timings.first_token = from_seconds(timing->at("first_token_s").get<double>());
    }
    for (const auto& t : timing->value("token_events_s", nlohmann::json::array())) {
      c.timings.token_events.push_back(from_seconds(t.get<double>()));
    }
  }
  c.attempts = j.value("attempts", 1);
  c.cached = j.value("cached", false);
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
  if (std::filesystem::exists(path)) text = datasets::read_file_bytes(path);

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
      auto entry = nlohmann::json::parse(line).get<LogEntry>();
      entries_[entry.key] = std::move(entry);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(Location{path.string(), line_number, ""},
                       fmt::format("malformed prediction-log entry: {}", e.what()));
    }
  }

  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_system_error("cannot open prediction log " + path.string());
  if (::ftruncate(fd_, static_cast<off_t>(complete)) != 0 || ::lseek(fd_, 0, SEEK_END) < 0) {
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
