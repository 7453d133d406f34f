#pragma once

// Shared by the fuzz targets (tests/fuzz/README.md). Each target defines LLVMFuzzerTestOneInput;
// libFuzzer calls it in the `fuzz` build, smoke_main.cpp in the default build.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace lmmbench::fuzz {

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// A private directory for the inputs that a reader takes only as files, made once per process
/// and removed at exit. Never destroyed (the exit handler still needs it; a function-local static
/// would be destroyed before a handler registered while constructing it runs). Not thread-safe
/// (fuzz targets run on one thread).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path* const dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "lmmbench-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    const auto* made = new std::filesystem::path(pattern);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return made;
  }();
  return *dir;
}

/// Writes `bytes` to `path` (replacing it) and returns the path.
inline std::filesystem::path write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
  return path;
}

}  // namespace lmmbench::fuzz
