#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lmmbench::datasets {

/// MIME type from a file name's extension ("image/png" ...); nullopt for unknown extensions.
std::optional<std::string> image_mime_type(const std::filesystem::path& path);

/// Whole file as bytes. Throws InputError naming the file when it cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

struct ImageInfo {
  int width = 0;
  int height = 0;
  int channels = 0;
};

/// Reads only the header (stb_image). Throws InputError naming the file when it is missing or not
/// an image stb can decode.
ImageInfo probe_image(const std::filesystem::path& path);

/// An 8-bit RGB raster, row-major, no padding.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  ///< width * height * 3 bytes.

  RgbImage() = default;
  RgbImage(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b);
  void set(int x, int y, std::uint8_t r, std::uint8_t g, std::uint8_t b);
};

/// Encodes as PNG (stb_image_write) in memory; byte-identical output for identical pixels.
std::string encode_png(const RgbImage& image);

/// Writes a file atomically (temporary file + rename) so a crash never leaves a half-written file.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

}  // namespace lmmbench::datasets
