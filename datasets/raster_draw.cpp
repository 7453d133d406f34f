#include "datasets/raster_draw.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// stb_easy_font is header-only with every function static; this file uses only some of them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

namespace lmmbench::datasets {

namespace {

void fill_span(RgbImage& image, int y, int x0, int x1, Rgb colour) {
  if (y < 0 || y >= image.height) return;
  x0 = std::max(x0, 0);
  x1 = std::min(x1, image.width);
  if (x0 >= x1) return;
  auto* p =
      image.pixels.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) +
                             static_cast<std::size_t>(x0)) *
                                3;
  for (int x = x0; x < x1; ++x, p += 3) {
    p[0] = colour.r;
    p[1] = colour.g;
    p[2] = colour.b;
  }
}

/// A filled rectangle in font units, half-open.
struct Quad {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
};

/// The quads stb_easy_font emits for `text`, shifted so the ink's top-left is (0, 0). The font's
/// coordinates are small integers held in floats, so rounding them is exact.
std::vector<Quad> text_quads(std::string_view text) {
  std::string printable;
  for (const char c : text) {
    if (c >= 32 && c < 127) printable.push_back(c);
  }
  if (printable.empty()) return {};
  constexpr std::size_t kVertexBytes = 16;  // x, y, z floats + 4 colour bytes
  // The font's documentation budgets ~270 bytes per character; four times that never truncates.
  std::vector<unsigned char> buffer(printable.size() * 1024 + 1024);
  const int quad_count = stb_easy_font_print(0.0f, 0.0f, printable.data(), nullptr, buffer.data(),
                                             static_cast<int>(buffer.size()));
  std::vector<Quad> quads;
  quads.reserve(static_cast<std::size_t>(quad_count));
  int min_x = INT_MAX;
  int min_y = INT_MAX;
  for (int q = 0; q < quad_count; ++q) {
    Quad quad{INT_MAX, INT_MAX, INT_MIN, INT_MIN};
    for (int v = 0; v < 4; ++v) {
      float xy[2];
      std::memcpy(xy,
                  buffer.data() + (static_cast<std::size_t>(q) * 4 + static_cast<std::size_t>(v)) *
                                      kVertexBytes,
                  sizeof xy);
      const int x = static_cast<int>(std::lround(xy[0]));
      const int y = static_cast<int>(std::lround(xy[1]));
      quad.x0 = std::min(quad.x0, x);
      quad.y0 = std::min(quad.y0, y);
      quad.x1 = std::max(quad.x1, x);
      quad.y1 = std::max(quad.y1, y);
    }
    min_x = std::min(min_x, quad.x0);
    min_y = std::min(min_y, quad.y0);
    quads.push_back(quad);
  }
  for (auto& quad : quads) {
    quad.x0 -= min_x;
    quad.x1 -= min_x;
    quad.y0 -= min_y;
    quad.y1 -= min_y;
  }
  return quads;
}

}  // namespace

void fill_rect(RgbImage& image, int x, int y, int width, int height, Rgb colour) {
  for (int row = y; row < y + height; ++row)
    fill_span(image, row, x, x + width, colour);
}

void fill_disc(RgbImage& image, int cx, int cy, int radius, Rgb colour) {
  // Pixel centres are at half-integers; doubling every coordinate keeps the test in integers:
  // (2x + 1 - 2cx)^2 + (2y + 1 - 2cy)^2 <= (2r)^2.
  const std::int64_t limit = 4LL * radius * radius;
  for (int y = cy - radius; y < cy + radius; ++y) {
    const std::int64_t dy = 2LL * y + 1 - 2LL * cy;
    for (int x = cx - radius; x < cx + radius; ++x) {
      const std::int64_t dx = 2LL * x + 1 - 2LL * cx;
      if (dx * dx + dy * dy <= limit) fill_span(image, y, x, x + 1, colour);
    }
  }
}

void fill_convex_polygon(RgbImage& image, std::span<const Point> vertices, Rgb colour) {
  if (vertices.size() < 3) return;
  int min_x = INT_MAX, min_y = INT_MAX, max_x = INT_MIN, max_y = INT_MIN;
  for (const auto& p : vertices) {
    min_x = std::min(min_x, p.x);
    min_y = std::min(min_y, p.y);
    max_x = std::max(max_x, p.x);
    max_y = std::max(max_y, p.y);
  }
  // Edge functions in doubled coordinates (pixel centre = 2x + 1): a centre is inside when it is
  // on the same side of every edge, which holds for either winding.
  const std::size_t n = vertices.size();
  for (int y = min_y; y < max_y; ++y) {
    const std::int64_t py = 2LL * y + 1;
    for (int x = min_x; x < max_x; ++x) {
      const std::int64_t px = 2LL * x + 1;
      bool any_negative = false;
      bool any_positive = false;
      for (std::size_t i = 0; i < n; ++i) {
        const Point& a = vertices[i];
        const Point& b = vertices[(i + 1) % n];
        const std::int64_t cross =
            (2LL * b.x - 2LL * a.x) * (py - 2LL * a.y) - (2LL * b.y - 2LL * a.y) * (px - 2LL * a.x);
        any_negative = any_negative || cross < 0;
        any_positive = any_positive || cross > 0;
      }
      if (!(any_negative && any_positive)) fill_span(image, y, x, x + 1, colour);
    }
  }
}

TextExtent text_extent(std::string_view text, int scale) {
  TextExtent extent;
  for (const auto& quad : text_quads(text)) {
    extent.width = std::max(extent.width, quad.x1 * scale);
    extent.height = std::max(extent.height, quad.y1 * scale);
  }
  return extent;
}

void draw_text(RgbImage& image, std::string_view text, int x, int y, int scale, Rgb colour) {
  for (const auto& quad : text_quads(text)) {
    fill_rect(image, x + quad.x0 * scale, y + quad.y0 * scale, (quad.x1 - quad.x0) * scale,
              (quad.y1 - quad.y0) * scale, colour);
  }
}

}  // namespace lmmbench::datasets
