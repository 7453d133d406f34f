#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_source.hpp"
#include "models/completion.hpp"

namespace lmmbench::harness {

/// One line of the prediction log: a finished request of one sample in one model x task cell.
struct LogEntry {
  std::string key;  ///< log_key(...) of the fields below.
  std::string model;
  std::string task;
  std::string sample_id;
  std::string prompt_sha256;  ///< prompt_sha256(request)
  std::string params_sha256;  ///< params_sha256(request.params)
  std::string backend;        ///< Backend::fingerprint()
  std::string request;        ///< The request's text, where the log keeps it (the judge log).
  models::Completion completion;
  std::string logged_at;  ///< UTC, ISO 8601.
};

/// SHA-256 over (model, task, sample id, prompt hash, params hash, backend fingerprint): a logged
/// answer is reused only when all of them are unchanged.
std::string log_key(const std::string& model, const std::string& task, const std::string& sample_id,
                    const std::string& prompt_sha256, const std::string& params_sha256,
                    const std::string& backend);

/// One line of the log, written and read through one field list (prediction_log.cpp's visit()).
void to_json(nlohmann::json& j, const LogEntry& e);
/// Throws InputError naming the field (without file and line; read_log_entry adds them).
void from_json(const nlohmann::json& j, LogEntry& e);
/// One parsed log line; a missing or wrong-typed field throws InputError naming the file, the
/// line and the field.
LogEntry read_log_entry(const ConfigNode& line);

/// Whether a logged failure is worth another try when a run is resumed: transient failures
/// (timeouts, connection and HTTP errors, cancellation, malformed replies) are retried; answers and
/// deterministic failures (unsupported, missing, refused, truncated) are kept.
bool retry_on_resume(models::ErrorKind kind);

/// The durable, append-only record of every finished request (JSON Lines). Each entry is written
/// with one write(2) of one complete line, so a process killed at any moment leaves at most one
/// partial last line, which open() drops. For one key the latest entry wins.
///
/// Not thread-safe: the harness appends from one thread.
class PredictionLog {
 public:
  /// Opens `path` for appending, creating it when absent, and reads what it already holds.
  /// Throws InputError naming the line of a malformed entry other than a torn last line.
  explicit PredictionLog(const std::filesystem::path& path, bool fsync_each_entry = false);
  ~PredictionLog();
  PredictionLog(const PredictionLog&) = delete;
  PredictionLog& operator=(const PredictionLog&) = delete;

  /// The latest entry for `key`, or nullptr.
  [[nodiscard]] const LogEntry* find(const std::string& key) const;
  /// Writes the entry and makes it visible to find(). Throws Error when the write fails.
  void append(LogEntry entry);

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// Non-fatal findings of open() (e.g. "dropped a torn last line").
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool fsync_each_entry_;
  std::unordered_map<std::string, LogEntry> entries_;
  std::vector<std::string> warnings_;
};

}  // namespace lmmbench::harness
