#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace lmmbench {

/// Incremental SHA-256 (OpenSSL EVP). Not thread-safe; one instance per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(std::string_view bytes);
  /// Lower-case hex digest (64 characters). The object cannot be updated afterwards.
  std::string hex_digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

/// Hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);

/// Hex SHA-256 of a file's contents. Throws InputError when the file cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace lmmbench
