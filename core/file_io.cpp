#include "core/file_io.hpp"

#include <cerrno>
#include <csignal>
#include <sstream>

#include <sys/types.h>
#include <unistd.h>

#include "core/error.hpp"

namespace lmmbench {

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
