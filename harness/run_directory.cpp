#include "harness/run_directory.hpp"

#include <iostream>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "harness/host.hpp"
#include "harness/runner.hpp"
#include "reports/renderer.hpp"

namespace lmmbench::harness {

namespace {

/// Creates `dir` if needed; whether it (and its lock file) existed before.
std::filesystem::path created(std::filesystem::path dir, bool& created_dir, bool& created_lock) {
  created_dir = !std::filesystem::exists(dir);
  created_lock = !std::filesystem::exists(dir / RunLock::kFileName);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

RunDirectory::RunDirectory(std::filesystem::path dir, std::string run_name)
    : dir_(created(std::move(dir), created_dir_, created_lock_)), lock_(dir_) {
  if (const auto removed = remove_stale_temporaries(dir_); removed > 0) {
    std::cerr << fmt::format(
        "note: removed {} temporary file(s) left in {} by an interrupted write\n", removed,
        dir_.string());
  }
  record_.tool = describe_tool();
  record_.host = describe_host();
  record_.run_name = std::move(run_name);
  record_.started_at = iso8601_utc(std::chrono::system_clock::now());
}

RunDirectory::~RunDirectory() {
  if (wrote_) return;
  // Still holding the lock: a second process that opened the file meanwhile fails to take it.
  std::error_code ignored;
  if (created_lock_) std::filesystem::remove(dir_ / RunLock::kFileName, ignored);
  if (created_dir_ && std::filesystem::is_empty(dir_, ignored))
    std::filesystem::remove(dir_, ignored);
}

void RunDirectory::write(const std::filesystem::path& relative, std::string_view content) const {
  wrote_ = true;
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
