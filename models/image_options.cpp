#include "models/image_options.hpp"

#include <array>
#include <utility>

#include "core/text.hpp"

namespace lmmbench::models {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kFormats{{
    {"png", "image/png"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"webp", "image/webp"},
    {"gif", "image/gif"},
    {"bmp", "image/bmp"},
}};

}  // namespace

void read_image_limit_options(ObjectReader& options, Capabilities& capabilities) {
  capabilities.max_image_side =
      static_cast<int>(options.get_int("max_image_side", capabilities.max_image_side, 0, 1 << 20));
  capabilities.max_image_bytes = static_cast<std::size_t>(options.get_int(
      "max_image_bytes", static_cast<std::int64_t>(capabilities.max_image_bytes), 0));
  if (const auto formats = options.find("image_formats")) {
    capabilities.image_mime_types.clear();
    for (const auto& element : formats->elements()) {
      const std::string name = ascii_lower(element.as_string());
      std::string mime;
      for (const auto& [short_name, type] : kFormats) {
        if (name == short_name || name == type) mime = type;
      }
      if (mime.empty()) {
        element.fail("unknown image format '" + name +
                     "'; known: png, jpeg, webp, gif, bmp (or their MIME types)");
      }
      capabilities.image_mime_types.push_back(mime);
    }
    if (capabilities.image_mime_types.empty()) formats->fail("expected at least one image format");
  }
}

}  // namespace lmmbench::models
