#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "models/completion.hpp"
#include "models/request.hpp"

namespace lmmbench::harness {

/// Where the response cache lives: $LMMBENCH_CACHE_DIR/responses.sqlite when that variable is set,
/// otherwise <output_dir>/.cache/lmmbench/responses.sqlite next to the run directories of the
/// config (so every re-run of a config shares it).
std::filesystem::path default_cache_path(const std::filesystem::path& output_dir);

/// Whether a request's answer is a function of the request: greedy decoding (temperature 0) or a
/// fixed seed. Only such requests are cached.
bool is_deterministic(const models::GenerationParams& params);

/// The cache key: SHA-256 over a version tag, the backend fingerprint, the prompt hash (system
/// prompt, text and every image's content hash, in order) and the generation-parameter hash.
std::string cache_key(const std::string& fingerprint, const std::string& prompt_sha256,
                      const std::string& params_sha256);

/// Successful replies of remote models, kept across runs in SQLite, so that a re-run or a run into
/// a new directory does not ask the model again. One row per key (text and token usage only; never
/// a secret, a timing or a request body).
///
/// Durability: WAL journal, synchronous=NORMAL, one autocommit INSERT per answer — a SIGKILL loses
/// at most the answers not yet written, never the file. Several processes may share the file
/// (busy timeout 10 s). Thread-safe (one connection behind a mutex).
class ResponseCache {
 public:
  /// Opens or creates the cache. Throws Error naming the file and SQLite's message.
  explicit ResponseCache(const std::filesystem::path& path);
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  /// The cached completion (text and usage, cached = true), or nullopt.
  std::optional<models::Completion> find(const std::string& key);
  /// Stores a successful completion (others are ignored); replaces an existing row.
  void put(const std::string& key, const models::Completion& completion);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mutex_;
  void* db_ = nullptr;      ///< sqlite3*
  void* select_ = nullptr;  ///< sqlite3_stmt*
  void* insert_ = nullptr;  ///< sqlite3_stmt*
};

}  // namespace lmmbench::harness
