#include "datasets/image_io.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <stb_image.h>
#include <stb_image_write.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/text.hpp"

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

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Location{path.string(), 0, ""}, "cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(Location{path.string(), 0, ""}, "read error");
  return std::move(buffer).str();
}

ImageInfo probe_image(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw InputError(Location{path.string(), 0, ""}, "image file not found");
  }
  ImageInfo info;
  if (stbi_info(path.c_str(), &info.width, &info.height, &info.channels) == 0) {
    throw InputError(Location{path.string(), 0, ""},
                     std::string("not a readable image: ") + stbi_failure_reason());
  }
  return info;
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

void write_file_atomic(const std::filesystem::path& path, const std::string& bytes) {
  const auto temporary = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw_system_error("cannot create " + temporary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw_system_error("cannot write " + temporary);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    throw Error("cannot rename " + temporary + " to " + path.string());
  }
}

}  // namespace lmmbench::datasets
