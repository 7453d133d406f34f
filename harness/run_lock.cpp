#include "harness/run_lock.hpp"

#include <array>
#include <cerrno>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "harness/host.hpp"

namespace lmmbench::harness {

namespace {

/// What the lock file says; an empty or unreadable file gives an empty holder.
RunLockHolder read_holder(int fd) {
  std::string text;
  std::array<char, 512> buffer{};
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
    at += n;
  }
  RunLockHolder holder;
  // Informative only: a lock file whose content is not what this code writes says nothing.
  const auto j = parse_json_or_discarded(text);
  if (j.is_object()) {
    if (const auto pid = j.find("pid"); pid != j.end() && pid->is_number_integer())
      holder.pid = pid->get<long>();
    if (const auto host = j.find("host"); host != j.end() && host->is_string())
      holder.host = host->get<std::string>();
    if (const auto since = j.find("since"); since != j.end() && since->is_string())
      holder.since = since->get<std::string>();
  }
  return holder;
}

/// Whether `file` is still the file open as `fd` (not removed or replaced since it was opened).
bool names(int fd, const std::filesystem::path& file) {
  struct stat open_file {};
  struct stat named {};
  return ::fstat(fd, &open_file) == 0 && ::stat(file.c_str(), &named) == 0 &&
         open_file.st_dev == named.st_dev && open_file.st_ino == named.st_ino;
}

/// flock(LOCK_EX | LOCK_NB): true when taken, false when another open file holds it.
bool try_lock(int fd, const std::filesystem::path& file) {
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return false;
    throw_system_error("cannot lock " + file.string());
  }
  return true;
}

/// The holder of a lock another process has; it writes its pid right after taking the lock, so a
/// reader that comes in between waits a moment for it.
RunLockHolder busy_holder(int fd) {
  RunLockHolder holder = read_holder(fd);
  for (int k = 0; holder.pid == 0 && k < 20; ++k) {
    ::usleep(5000);
    holder = read_holder(fd);
  }
  return holder;
}

}  // namespace

std::string RunLockHolder::describe() const {
  std::string out = pid > 0 ? fmt::format("pid {}", pid) : "a process that has not said its pid";
  if (!host.empty()) out += " on host " + host;
  if (!since.empty()) out += ", since " + since;
  return out;
}

RunLock::RunLock(const std::filesystem::path& run_dir) {
  const auto file = run_dir / kFileName;
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw_system_error("cannot create the run lock " + file.string());
  // A holder that created the file and wrote nothing removes it when it gives up
  // (harness/run_directory.hpp); a lock taken on the removed file is no lock: open it again.
  for (int attempt = 0; attempt < 8 && try_lock(fd_, file) && !names(fd_, file); ++attempt) {
    ::close(fd_);
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) throw_system_error("cannot create the run lock " + file.string());
  }
  if (!try_lock(fd_, file)) {
    const RunLockHolder holder = busy_holder(fd_);
    ::close(fd_);
    fd_ = -1;
    throw InputError(Location{run_dir.string(), 0, ""},
                     fmt::format("this run directory is in use by another lmmbench ({}; lock file "
                                 "{}); wait for it to finish or choose another --out",
                                 holder.describe(), file.string()));
  }
  std::array<char, 256> name{};
  std::string host;
  if (::gethostname(name.data(), name.size() - 1) == 0) host = name.data();
  const std::string text = nlohmann::json{{"pid", static_cast<long>(::getpid())},
                                          {"host", host},
                                          {"since", iso8601_utc(std::chrono::system_clock::now())}}
                               .dump() +
                           "\n";
  // Informative only (the lock is the flock): a failed write leaves the lock held.
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd_, text.data(), text.size(), 0);
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor drops the flock
}

std::optional<RunLockHolder> RunLock::holder(const std::filesystem::path& run_dir) {
  const auto file = run_dir / kFileName;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;  // never locked
  std::optional<RunLockHolder> out;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) out = busy_holder(fd);
  }
  ::close(fd);
  return out;
}

}  // namespace lmmbench::harness
