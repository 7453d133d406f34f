#include "core/file_io.hpp"

#include <sstream>

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

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path)
    : path_(std::move(path)),
      temporary_(path_.string() + ".tmp." + std::to_string(::getpid())),
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
