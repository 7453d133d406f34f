#include "reports/thumbnail.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <vector>

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include "core/base64.hpp"
#include "core/file_io.hpp"

namespace lmmbench::reports {

namespace {

constexpr int kJpegQuality = 78;
/// Images with more pixels are not decoded: a thumbnail is not worth gigabytes of memory.
constexpr long long kMaxPixels = 64LL * 1024 * 1024;
/// Nor are encoded images larger than this.
constexpr std::uint64_t kMaxEncodedBytes = 256ULL * 1024 * 1024;

struct StbFree {
  void operator()(unsigned char* p) const { stbi_image_free(p); }
};

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::string*>(context);
  out->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

/// The encoded image bytes, or nullopt when they cannot be read. The path comes from a scores
/// file: a link, a FIFO, a device or a file past the size cap is not read.
std::optional<std::string> read_encoded(const ImageSource& source) {
  if (source.base64_length == 0) {
    return read_regular_file(source.path, 0, 0, kMaxEncodedBytes);
  }
  const auto text =
      read_regular_file(source.path, source.base64_offset, source.base64_length, kMaxEncodedBytes);
  if (!text) return std::nullopt;
  return base64_decode(*text);
}

}  // namespace

std::optional<std::string> thumbnail_data_uri(const ImageSource& source, int max_side) {
  if (max_side <= 0) return std::nullopt;
  const auto encoded = read_encoded(source);
  if (!encoded || encoded->empty() || encoded->size() > static_cast<std::size_t>(INT32_MAX)) {
    return std::nullopt;
  }
  const auto* data = reinterpret_cast<const stbi_uc*>(encoded->data());
  const int length = static_cast<int>(encoded->size());
  int width = 0;
  int height = 0;
  int channels = 0;
  if (stbi_info_from_memory(data, length, &width, &height, &channels) == 0 ||
      static_cast<long long>(width) * height > kMaxPixels) {
    return std::nullopt;
  }
  // Decode to RGB; an image with alpha is decoded to RGBA and composited on white (JPEG has no
  // alpha, and transparent regions should read as paper).
  const bool alpha = channels == 2 || channels == 4;
  std::unique_ptr<unsigned char, StbFree> pixels(
      stbi_load_from_memory(data, length, &width, &height, &channels, alpha ? 4 : 3));
  if (!pixels || width <= 0 || height <= 0) return std::nullopt;
  const std::size_t count = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  std::vector<unsigned char> rgb;
  if (alpha) {
    rgb.resize(count * 3);
    const unsigned char* p = pixels.get();
    for (std::size_t i = 0; i < count; ++i) {
      const unsigned a = p[4 * i + 3];
      for (std::size_t c = 0; c < 3; ++c) {
        rgb[3 * i + c] =
            static_cast<unsigned char>((p[4 * i + c] * a + 255u * (255u - a) + 127u) / 255u);
      }
    }
  } else {
    rgb.assign(pixels.get(), pixels.get() + count * 3);
  }
  const double scale = std::min(1.0, static_cast<double>(max_side) / std::max(width, height));
  const int out_w = std::max(1, static_cast<int>(std::lround(width * scale)));
  const int out_h = std::max(1, static_cast<int>(std::lround(height * scale)));
  std::vector<unsigned char> small;
  if (out_w == width && out_h == height) {
    small = std::move(rgb);
  } else {
    small.resize(static_cast<std::size_t>(out_w) * static_cast<std::size_t>(out_h) * 3);
    if (stbir_resize_uint8(rgb.data(), width, height, 0, small.data(), out_w, out_h, 0, 3) == 0) {
      return std::nullopt;
    }
  }
  std::string jpeg;
  if (stbi_write_jpg_to_func(append, &jpeg, out_w, out_h, 3, small.data(), kJpegQuality) == 0) {
    return std::nullopt;
  }
  return "data:image/jpeg;base64," + base64_encode(jpeg);
}

}  // namespace lmmbench::reports
