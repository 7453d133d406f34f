#include "datasets/file_beneath.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/error.hpp"

namespace lmmbench::datasets {

namespace {

std::atomic<std::uint64_t> opens{0};
std::atomic<bool> openat2_enabled{true};

/// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

constexpr int kFileFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

/// openat2 beneath `dir` without following links; -1 with errno ENOSYS where the kernel (or a
/// seccomp filter, which answers EPERM) does not offer it.
int open_with_openat2(int dir, const std::filesystem::path& relative) {
#ifdef SYS_openat2
  open_how how{};
  how.flags = kFileFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = -1;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, dir, relative.c_str(), &how, sizeof how));
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0 && errno == EPERM) errno = ENOSYS;
  return fd;
#else
  (void)dir;
  (void)relative;
  errno = ENOSYS;
  return -1;
#endif
}

/// The same with openat, one component at a time: every directory and the file itself opened
/// with O_NOFOLLOW, relative to the descriptor of the one before; ".." is refused.
int open_by_components(int dir, const std::filesystem::path& relative) {
  Fd current(::dup(dir));
  if (current.get() < 0) return -1;
  std::vector<std::string> parts;
  for (const auto& part : relative) {
    const std::string text = part.string();
    if (text.empty() || text == ".") continue;
    if (text == "..") {
      errno = EXDEV;
      return -1;
    }
    parts.push_back(text);
  }
  if (parts.empty()) {
    errno = EISDIR;
    return -1;
  }
  for (std::size_t k = 0; k + 1 < parts.size(); ++k) {
    const int next =
        ::openat(current.get(), parts[k].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return -1;
    current.reset(next);
  }
  return ::openat(current.get(), parts.back().c_str(), kFileFlags | O_NOFOLLOW);
}

/// What stands at `relative` instead of a regular file, from fstat.
std::string not_a_file(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory, not an image file";
  if (S_ISFIFO(mode)) return "is a named pipe (FIFO), not an image file";
  if (S_ISSOCK(mode)) return "is a socket, not an image file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not an image file";
  return "is not a regular file";
}

std::string open_error(int code, const std::filesystem::path& shown) {
  switch (code) {
    case ENOENT:
      return "image file not found: " + shown.string();
    case ELOOP:
      return shown.string() +
             " is a symbolic link (or one of its directories is) where the checked path had "
             "none: it changed since the dataset was loaded; lmmbench does not follow it";
    case EXDEV:
      return shown.string() + " leaves the dataset root";
    case ENOTDIR:
      return "image file not found: " + shown.string() + " (a directory on the way is a file)";
    case ENXIO:
      return shown.string() + " is a socket, not an image file";
    case EISDIR:
      return shown.string() + " is a directory, not an image file";
    default:
      return fmt::format("cannot open {}: {}", shown.string(), std::strerror(code));
  }
}

}  // namespace

std::string read_file_beneath(const std::filesystem::path& root,
                              const std::filesystem::path& relative,
                              const std::filesystem::path& shown, std::uint64_t max_bytes) {
  const Location where{shown.string(), 0, ""};
  const Fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) {
    const int code = errno;
    if (code == ENOENT || code == ENOTDIR) {
      throw InputError(
          fmt::format("image file not found: {} (no directory {})", shown.string(), root.string()));
    }
    throw InputError(Location{root.string(), 0, ""},
                     fmt::format("cannot open the image root: {}", std::strerror(code)));
  }
  count_image_file_open();
  int fd = -1;
  errno = ENOSYS;
  if (openat2_enabled.load()) fd = open_with_openat2(dir.get(), relative);
  if (fd < 0 && errno == ENOSYS) fd = open_by_components(dir.get(), relative);
  if (fd < 0) {
    const int code = errno;
    throw InputError(open_error(code, shown));
  }
  const Fd file(fd);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) {
    throw InputError(where, fmt::format("cannot stat: {}", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) throw InputError(shown.string() + " " + not_a_file(st.st_mode));
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    throw InputError(where, fmt::format("the file is {} bytes; images above {} bytes are refused",
                                        st.st_size, max_bytes));
  }
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(st.st_size));
  std::array<char, 64 * 1024> buffer{};
  while (true) {
    const ssize_t n = ::read(file.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError(where, fmt::format("read error: {}", std::strerror(errno)));
    if (n == 0) break;
    bytes.append(buffer.data(), static_cast<std::size_t>(n));
    if (bytes.size() > max_bytes) {
      throw InputError(where,
                       fmt::format("the file grew past {} bytes while it was read", max_bytes));
    }
  }
  return bytes;
}

void set_openat2_enabled(bool enabled) {
  openat2_enabled.store(enabled);
}

std::uint64_t image_file_opens() {
  return opens.load();
}

void count_image_file_open() {
  opens.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace lmmbench::datasets
