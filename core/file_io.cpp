#include "core/file_io.hpp"

#include <cerrno>
#include <csignal>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/error.hpp"

namespace lmmbench {

std::optional<std::string> read_regular_file(const std::filesystem::path& path,
                                             std::uint64_t offset, std::uint64_t length,
                                             std::uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (offset > size) return std::nullopt;
  const std::uint64_t want = length == 0 ? size - offset : length;
  if (want > max_bytes || want > size - offset) return std::nullopt;
  std::string out(want, '\0');
  std::uint64_t done = 0;
  while (done < want) {
    const ssize_t n =
        ::pread(fd, out.data() + done, want - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // an error, or the file shrank under us
    done += static_cast<std::uint64_t>(n);
  }
  return out;
}

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Location{path.string(), 0, ""}, "cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(Location{path.string(), 0, ""}, "read error");
  return std::move(buffer).str();
}

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  AtomicFileWriter out(path);
  out.write(bytes);
  out.commit();
}

namespace {

constexpr std::string_view kTemporaryInfix = ".tmp.";

}  // namespace

std::size_t remove_stale_temporaries(const std::filesystem::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    const auto at = name.rfind(kTemporaryInfix);
    if (at == std::string::npos || at == 0) continue;
    const std::string_view digits = std::string_view(name).substr(at + kTemporaryInfix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
        digits.size() > 9) {
      continue;
    }
    const auto pid = static_cast<pid_t>(std::stol(std::string(digits)));
    // kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means one does.
    const bool alive = pid != ::getpid() && (::kill(pid, 0) == 0 || errno == EPERM);
    if (alive) continue;
    std::error_code remove_error;
    if (std::filesystem::remove(it->path(), remove_error)) ++removed;
  }
  return removed;
}

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path)
    : path_(std::move(path)),
      temporary_(path_.string() + std::string(kTemporaryInfix) + std::to_string(::getpid())),
      out_(temporary_, std::ios::binary | std::ios::trunc) {
  if (!out_) throw_system_error("cannot create " + temporary_);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (committed_) return;
  out_.close();
  std::error_code ec;
  std::filesystem::remove(temporary_, ec);
}

void AtomicFileWriter::write(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw_system_error("cannot write " + temporary_);
}

void AtomicFileWriter::commit() {
  out_.flush();
  if (!out_) throw_system_error("cannot write " + temporary_);
  out_.close();
  std::error_code ec;
  std::filesystem::rename(temporary_, path_, ec);
  if (ec)
    throw Error("cannot rename " + temporary_ + " to " + path_.string() + ": " + ec.message());
  committed_ = true;
}

}  // namespace lmmbench
