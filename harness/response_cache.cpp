#include "harness/response_cache.hpp"

#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace lmmbench::harness {

namespace {

sqlite3* db(void* p) {
  return static_cast<sqlite3*>(p);
}
sqlite3_stmt* stmt(void* p) {
  return static_cast<sqlite3_stmt*>(p);
}

}  // namespace

std::filesystem::path default_cache_path(const std::filesystem::path& output_dir) {
  if (const char* dir = std::getenv("LMMBENCH_CACHE_DIR"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir) / "responses.sqlite";
  }
  return output_dir / ".cache" / "lmmbench" / "responses.sqlite";
}

bool is_deterministic(const models::GenerationParams& params) {
  return params.temperature == 0.0 || params.seed.has_value();
}

std::string cache_key(const std::string& fingerprint, const std::string& prompt_sha256,
                      const std::string& params_sha256) {
  return sha256_hex(
      nlohmann::json::array({"lmmbench-response/v1", fingerprint, prompt_sha256, params_sha256})
          .dump());
}

ResponseCache::ResponseCache(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  sqlite3* handle = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  db_ = handle;
  auto fail = [&](const std::string& what) {
    const std::string message = fmt::format("response cache {}: {}: {}", path.string(), what,
                                            handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
    sqlite3_close(handle);
    db_ = nullptr;
    throw Error(message);
  };
  if (rc != SQLITE_OK) fail("cannot open");
  sqlite3_busy_timeout(handle, 10'000);
  const char* setup =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS responses ("
      "  key TEXT PRIMARY KEY,"
      "  text TEXT NOT NULL,"
      "  prompt_tokens INTEGER,"
      "  completion_tokens INTEGER,"
      "  created_at TEXT NOT NULL);";
  if (sqlite3_exec(handle, setup, nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot set up");
  sqlite3_stmt* select = nullptr;
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(handle,
                         "SELECT text, prompt_tokens, completion_tokens FROM responses WHERE key=?",
                         -1, &select, nullptr) != SQLITE_OK) {
    fail("cannot prepare a query");
  }
  select_ = select;
  if (sqlite3_prepare_v2(handle,
                         "INSERT OR REPLACE INTO responses(key, text, prompt_tokens, "
                         "completion_tokens, created_at) VALUES(?, ?, ?, ?, "
                         "strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                         -1, &insert, nullptr) != SQLITE_OK) {
    sqlite3_finalize(select);
    select_ = nullptr;
    fail("cannot prepare an insert");
  }
  insert_ = insert;
}

ResponseCache::~ResponseCache() {
  sqlite3_finalize(stmt(select_));
  sqlite3_finalize(stmt(insert_));
  sqlite3_close(db(db_));
}

std::optional<models::Completion> ResponseCache::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  sqlite3_stmt* s = stmt(select_);
  sqlite3_reset(s);
  sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    if (rc != SQLITE_DONE) {
      throw Error(fmt::format("response cache {}: {}", path_.string(), sqlite3_errmsg(db(db_))));
    }
    return std::nullopt;
  }
  models::Completion c;
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  c.text.assign(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
  if (sqlite3_column_type(s, 1) != SQLITE_NULL) c.usage.prompt_tokens = sqlite3_column_int64(s, 1);
  if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
    c.usage.completion_tokens = sqlite3_column_int64(s, 2);
  }
  c.cached = true;
  c.attempts = 0;  // nothing was sent
  sqlite3_reset(s);
  return c;
}

void ResponseCache::put(const std::string& key, const models::Completion& completion) {
  if (!completion.ok() || completion.cached) return;
  std::lock_guard lock(mutex_);
  sqlite3_stmt* s = stmt(insert_);
  sqlite3_reset(s);
  sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, completion.text.data(), static_cast<int>(completion.text.size()),
                    SQLITE_TRANSIENT);
  if (completion.usage.prompt_tokens) {
    sqlite3_bind_int64(s, 3, *completion.usage.prompt_tokens);
  } else {
    sqlite3_bind_null(s, 3);
  }
  if (completion.usage.completion_tokens) {
    sqlite3_bind_int64(s, 4, *completion.usage.completion_tokens);
  } else {
    sqlite3_bind_null(s, 4);
  }
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) {
    throw Error(fmt::format("response cache {}: cannot store an answer: {}", path_.string(),
                            sqlite3_errmsg(db(db_))));
  }
}

}  // namespace lmmbench::harness
