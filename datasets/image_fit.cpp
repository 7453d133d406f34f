#include "datasets/image_fit.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "datasets/image_io.hpp"

namespace lmmbench::datasets {

namespace {

bool accepts(const ImageLimits& limits, const std::string& mime) {
  return limits.mime_types.empty() || std::find(limits.mime_types.begin(), limits.mime_types.end(),
                                                mime) != limits.mime_types.end();
}

RgbImage scaled(const RgbImage& image, double factor) {
  const int w = std::max(1, static_cast<int>(std::lround(image.width * factor)));
  const int h = std::max(1, static_cast<int>(std::lround(image.height * factor)));
  if (w == image.width && h == image.height) return image;
  return resize_image(image, w, h);
}

}  // namespace

std::optional<FittedImage> fit_image(std::string bytes, const std::string& mime_type,
                                     const ImageLimits& limits, const std::string& name,
                                     std::string& problem) {
  const bool format_ok = accepts(limits, mime_type);
  const bool bytes_ok = limits.max_bytes == 0 || bytes.size() <= limits.max_bytes;
  std::optional<RgbImage> decoded;
  int width = 0;
  int height = 0;
  if (limits.validate) {
    decoded = decode_image(bytes, name, limits.max_pixels);
    width = decoded->width;
    height = decoded->height;
  } else if (limits.max_side > 0) {
    const auto info = probe_image_bytes(bytes, name);
    width = info.width;
    height = info.height;
  }
  const bool side_ok = limits.max_side == 0 || std::max(width, height) <= limits.max_side;
  if (format_ok && bytes_ok && side_ok) {
    return FittedImage{std::move(bytes), mime_type, false, width, height};
  }

  std::string target;
  if (format_ok && (mime_type == "image/png" || mime_type == "image/jpeg")) {
    target = mime_type;
  } else if (accepts(limits, "image/jpeg")) {
    target = "image/jpeg";
  } else if (accepts(limits, "image/png")) {
    target = "image/png";
  } else {
    problem = fmt::format(
        "the image is {} and the backend accepts only {}; lmmbench re-encodes to PNG or JPEG",
        mime_type, fmt::join(limits.mime_types, ", "));
    return std::nullopt;
  }

  RgbImage image = decoded ? std::move(*decoded) : decode_image(bytes, name, limits.max_pixels);
  if (limits.max_side > 0 && std::max(image.width, image.height) > limits.max_side) {
    image = scaled(image, static_cast<double>(limits.max_side) /
                              static_cast<double>(std::max(image.width, image.height)));
  }
  auto encode = [&](const RgbImage& raster, int quality) {
    return target == "image/png" ? encode_png(raster) : encode_jpeg(raster, quality);
  };
  std::string out = encode(image, 90);
  if (limits.max_bytes > 0 && out.size() > limits.max_bytes && target == "image/jpeg") {
    for (const int quality : {75, 60, 45}) {
      out = encode(image, quality);
      if (out.size() <= limits.max_bytes) break;
    }
  }
  for (int step = 0; limits.max_bytes > 0 && out.size() > limits.max_bytes && step < 16; ++step) {
    if (std::min(image.width, image.height) <= 16) break;
    image = scaled(image, 0.75);
    out = encode(image, 75);
  }
  if (limits.max_bytes > 0 && out.size() > limits.max_bytes) {
    problem = fmt::format(
        "the image cannot be made to fit in {} bytes (smallest {} encoding: {} "
        "bytes)",
        limits.max_bytes, target, out.size());
    return std::nullopt;
  }
  return FittedImage{std::move(out), target, true, image.width, image.height};
}

}  // namespace lmmbench::datasets
