#include "harness/run_directory.hpp"

#include <iostream>
#include <set>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "harness/host.hpp"
#include "harness/runner.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::harness {

namespace {

/// `dir` absolute, without "." or ".." and without a trailing separator.
std::filesystem::path normal(const std::filesystem::path& dir) {
  auto p = std::filesystem::absolute(dir).lexically_normal();
  return p.has_filename() ? p : p.parent_path();
}

/// The names in `dir`, its lock file included.
std::set<std::string> top_level_entries(const std::filesystem::path& dir) {
  std::set<std::string> names{RunLock::kFileName};
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  return names;
}

/// Creates `dir` if needed; sets the outermost directory that did not exist (empty when `dir`
/// did) and whether its lock file existed.
std::filesystem::path created(std::filesystem::path dir, std::filesystem::path& created_from,
                              bool& created_lock) {
  for (auto p = normal(dir); !p.empty() && !std::filesystem::exists(p); p = p.parent_path()) {
    created_from = p;
    if (p == p.parent_path()) break;
  }
  created_lock = !std::filesystem::exists(dir / RunLock::kFileName);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

RunDirectory::RunDirectory(std::filesystem::path dir, std::string run_name)
    : dir_(created(std::move(dir), created_from_, created_lock_)), lock_(dir_) {
  if (const auto removed = remove_stale_temporaries(dir_); removed > 0) {
    std::cerr << fmt::format(
        "note: removed {} temporary file(s) left in {} by an interrupted write\n", removed,
        dir_.string());
  }
  found_ = top_level_entries(dir_);
  record_.tool = describe_tool();
  record_.host = describe_host();
  record_.run_name = std::move(run_name);
  record_.started_at = iso8601_utc(std::chrono::system_clock::now());
}

RunDirectory::~RunDirectory() {
  try {
    // The lock file this owner created goes when nothing else appeared beside it: whatever was
    // added (run.json, a prediction log) keeps the directory as it is. Removed while still held:
    // a second process that opened the file meanwhile fails to take it.
    if (!created_lock_ || top_level_entries(dir_) != found_) return;
    std::filesystem::remove(dir_ / RunLock::kFileName);
    if (created_from_.empty()) return;
    for (auto p = normal(dir_); std::filesystem::is_empty(p); p = p.parent_path()) {
      std::filesystem::remove(p);
      if (p == created_from_ || p == p.parent_path()) break;
    }
  } catch (const std::exception&) {
    // Best effort: a directory left behind is only untidy.
  }
}

void RunDirectory::write(const std::filesystem::path& relative, std::string_view content) const {
  write_file_atomic(dir_ / relative, content);
}

void RunDirectory::save() const {
  write(kRecordFile, nlohmann::json(record_).dump(2) + "\n");
}

void RunDirectory::finish(const std::string& status) {
  record_.status = status;
  record_.finished_at = iso8601_utc(std::chrono::system_clock::now());
  record_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  close();
}

void RunDirectory::close() const {
  save();
  try {
    reports::write_run_reports(dir_, record_);
  } catch (const std::exception& e) {
    std::cerr << "warning: could not write the reports (run `lmmbench report " << dir_.string()
              << "` to retry): " << e.what() << '\n';
  }
}

}  // namespace lmmbench::harness
