#include "datasets/image_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <signal.h>
#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>
#include <webp/decode.h>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "datasets/file_beneath.hpp"
#include "datasets/sample.hpp"

namespace lmmbench::datasets {

std::optional<std::string> image_mime_type(const std::filesystem::path& path) {
  const std::string ext = ascii_lower(path.extension().string());
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".webp") return "image/webp";
  if (ext == ".gif") return "image/gif";
  if (ext == ".bmp") return "image/bmp";
  return std::nullopt;
}

std::optional<std::string> sniff_image_mime_type(std::string_view bytes) {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
  if (bytes.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) return "image/gif";
  if (bytes.starts_with("BM")) return "image/bmp";
  if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP") {
    return "image/webp";
  }
  return std::nullopt;
}

ImageInfo probe_image_bytes(std::string_view bytes, const std::string& name) {
  const Location where{name, 0, ""};
  ImageInfo info;
  const auto mime = sniff_image_mime_type(bytes);
  if (!mime) {
    throw InputError(where, bytes.empty()
                                ? "not a readable image: the file is empty"
                                : "not a readable image: not PNG, JPEG, GIF, BMP or WebP");
  }
  info.mime_type = *mime;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (*mime == "image/webp") {
    if (WebPGetInfo(data, bytes.size(), &info.width, &info.height) == 0) {
      throw InputError(where, "not a readable image: corrupt WebP header");
    }
    info.channels = 3;
    return info;
  }
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      stbi_info_from_memory(data, static_cast<int>(bytes.size()), &info.width, &info.height,
                            &info.channels) == 0) {
    throw InputError(where, std::string("not a readable image: ") + stbi_failure_reason());
  }
  return info;
}

ImageInfo probe_image(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw InputError(Location{path.string(), 0, ""}, "image file not found");
  }
  // The header is all a probe needs; 64 KiB covers JPEG files whose SOF marker follows large
  // EXIF/ICC segments (stb reads the markers in order).
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Location{path.string(), 0, ""}, "cannot open file");
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  try {
    return probe_image_bytes(head, path.string());
  } catch (const InputError&) {
    if (head.size() < 64 * 1024) throw;
  }
  return probe_image_bytes(read_file_bytes(path), path.string());
}

void require_pixels_within(int width, int height, std::uint64_t max_pixels,
                           const std::string& name) {
  const auto pixels = static_cast<std::uint64_t>(std::max(width, 0)) *
                      static_cast<std::uint64_t>(std::max(height, 0));
  if (max_pixels == 0 || pixels <= max_pixels) return;
  throw InputError(
      Location{name, 0, ""},
      fmt::format("the image is {} x {} = {} pixels, above the limit of {} (\"max_image_pixels\" "
                  "of the dataset); decoding it would take at least {} MB, so it is refused "
                  "before decoding",
                  width, height, pixels, max_pixels, pixels * 3 / 1'000'000));
}

namespace {

/// The bytes of a file image read again, before the check against the recorded hash.
std::string read_again(const ImageRef& image) {
  if (image.base64_length == 0) {
    if (!image.root.empty()) return read_file_beneath(image.root, image.beneath, image.path);
    count_image_file_open();
    return read_file_bytes(image.path);
  }
  const Location where{image.path.string(), 0, ""};
  count_image_file_open();
  std::ifstream in(image.path, std::ios::binary);
  if (!in) throw InputError(where, "cannot open file");
  in.seekg(static_cast<std::streamoff>(image.base64_offset));
  std::string text(image.base64_length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (static_cast<std::uint64_t>(in.gcount()) != image.base64_length) {
    throw InputError(where, "the file is shorter than when it was loaded (changed since?)");
  }
  auto bytes = base64_decode(text);
  if (!bytes) {
    throw InputError(where, "the base64 image at byte " + std::to_string(image.base64_offset) +
                                " is not valid base64");
  }
  return std::move(*bytes);
}

}  // namespace

std::string read_image_bytes(const ImageRef& image) {
  if (image.data) return *image.data;
  std::string bytes = read_again(image);
  if (!image.sha256.empty() && sha256_hex(bytes) != image.sha256) {
    throw InputError(Location{image.path.string(), 0, ""},
                     "the image changed since the dataset was loaded (its SHA-256 is no longer "
                     "the one in the run's manifest); run again to use the new file");
  }
  return bytes;
}

RgbImage decode_image(std::string_view bytes, const std::string& name, std::uint64_t max_pixels) {
  const Location where{name, 0, ""};
  const ImageInfo header = probe_image_bytes(bytes, name);
  require_pixels_within(header.width, header.height, max_pixels, name);
  const auto mime = std::optional<std::string>(header.mime_type);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  RgbImage image;
  if (*mime == "image/webp") {
    int w = 0;
    int h = 0;
    std::unique_ptr<std::uint8_t, void (*)(void*)> rgb(WebPDecodeRGB(data, bytes.size(), &w, &h),
                                                       &WebPFree);
    if (!rgb) throw InputError(where, "not a readable image: WebP decoding failed");
    image.width = w;
    image.height = h;
    image.pixels.assign(rgb.get(), rgb.get() + static_cast<std::size_t>(w) * h * 3);
    return image;
  }
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw InputError(where, "not a readable image: too large");
  }
  int w = 0;
  int h = 0;
  int channels = 0;
  // For GIF, stbi_load_from_memory returns the first frame.
  std::unique_ptr<stbi_uc, void (*)(void*)> rgb(
      stbi_load_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &channels, 3),
      &stbi_image_free);
  if (!rgb) throw InputError(where, std::string("not a readable image: ") + stbi_failure_reason());
  image.width = w;
  image.height = h;
  image.pixels.assign(rgb.get(), rgb.get() + static_cast<std::size_t>(w) * h * 3);
  return image;
}

RgbImage::RgbImage(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b)
    : width(w), height(h), pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3) {
  for (std::size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = r;
    pixels[i + 1] = g;
    pixels[i + 2] = b;
  }
}

void RgbImage::set(int x, int y, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                         static_cast<std::size_t>(x)) *
                        3;
  pixels[i] = r;
  pixels[i + 1] = g;
  pixels[i + 2] = b;
}

std::string encode_png(const RgbImage& image) {
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<std::size_t>(size));
  };
  if (stbi_write_png_to_func(append, &out, image.width, image.height, 3, image.pixels.data(),
                             image.width * 3) == 0) {
    throw Error("PNG encoding failed");
  }
  return out;
}

std::string encode_jpeg(const RgbImage& image, int quality) {
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<std::size_t>(size));
  };
  if (stbi_write_jpg_to_func(append, &out, image.width, image.height, 3, image.pixels.data(),
                             std::clamp(quality, 1, 100)) == 0) {
    throw Error("JPEG encoding failed");
  }
  return out;
}

RgbImage resize_image(const RgbImage& image, int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  if (stbir_resize_uint8(image.pixels.data(), image.width, image.height, 0, out.pixels.data(),
                         width, height, 0, 3) == 0) {
    throw Error("image resizing failed");
  }
  return out;
}

}  // namespace lmmbench::datasets
