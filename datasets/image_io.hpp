#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/sample.hpp"

namespace lmmbench::datasets {

/// MIME type from a file name's extension ("image/png" ...); nullopt for unknown extensions.
std::optional<std::string> image_mime_type(const std::filesystem::path& path);

/// MIME type from an image's first bytes (PNG, JPEG, GIF, BMP and WebP signatures); nullopt when
/// none matches.
std::optional<std::string> sniff_image_mime_type(std::string_view bytes);

struct ImageInfo {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::string mime_type;  ///< From the content (sniff_image_mime_type).
};

/// Reads only the header: stb_image for PNG, JPEG, GIF and BMP, libwebp for WebP. Throws
/// InputError naming the file when it is missing or not an image that can be decoded.
ImageInfo probe_image(const std::filesystem::path& path);
/// As probe_image for bytes in memory; `name` stands for them in messages.
ImageInfo probe_image_bytes(std::string_view bytes, const std::string& name);

/// Throws InputError naming `name` when width x height exceeds `max_pixels`, saying how much
/// memory decoding it would take; the check that comes before any decoding.
void require_pixels_within(int width, int height, std::uint64_t max_pixels,
                           const std::string& name);

/// The encoded bytes of a sample's image: `data` when the loader kept them; else the file read
/// again — beneath its root without following links (read_file_beneath) — or the decoded base64
/// slice of the file that holds it. Bytes read again must have the SHA-256 recorded at load.
/// Throws InputError naming the file when it cannot be read or decoded, or has changed.
std::string read_image_bytes(const ImageRef& image);

/// An 8-bit RGB raster, row-major, no padding.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  ///< width * height * 3 bytes.

  RgbImage() = default;
  RgbImage(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b);
  void set(int x, int y, std::uint8_t r, std::uint8_t g, std::uint8_t b);
};

/// Decodes an encoded image to 8-bit RGB: PNG, JPEG (baseline and progressive), BMP and GIF (its
/// first frame) with stb_image, WebP with libwebp. An alpha channel is dropped. Throws InputError
/// naming `name` for anything that does not decode (truncated, corrupt, unsupported variant), and
/// before decoding for an image whose header says it has more than `max_pixels` pixels.
RgbImage decode_image(std::string_view bytes, const std::string& name,
                      std::uint64_t max_pixels = kDefaultMaxImagePixels);

/// Encodes as PNG (stb_image_write) in memory; byte-identical output for identical pixels.
std::string encode_png(const RgbImage& image);
/// Encodes as baseline JPEG (stb_image_write), `quality` in 1..100.
std::string encode_jpeg(const RgbImage& image, int quality);
/// Resamples to width x height with stb_image_resize's default filters (Mitchell when shrinking).
RgbImage resize_image(const RgbImage& image, int width, int height);

}  // namespace lmmbench::datasets
