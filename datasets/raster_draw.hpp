#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "datasets/image_io.hpp"

/// Aliased (hard-edged) filling of simple shapes and bitmap text into an RgbImage. Every pixel is
/// either untouched or set to exactly the given colour, so a decoded PNG can be segmented by exact
/// colour (the synthetic suite's tests verify ground truth that way). All geometry is integer
/// arithmetic: the output is identical on every compiler and CPU. Drawing is clipped to the image.
namespace lmmbench::datasets {

struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;

  friend bool operator==(const Rgb&, const Rgb&) = default;
};

/// A point in pixel-corner coordinates: pixel (x, y) covers [x, x+1) x [y, y+1).
struct Point {
  int x = 0;
  int y = 0;
};

/// Pixels in [x, x + width) x [y, y + height).
void fill_rect(RgbImage& image, int x, int y, int width, int height, Rgb colour);

/// Pixels whose centre lies within `radius` of (cx, cy), boundary included.
void fill_disc(RgbImage& image, int cx, int cy, int radius, Rgb colour);

/// Pixels whose centre lies inside or on the edge of a convex polygon (either winding).
void fill_convex_polygon(RgbImage& image, std::span<const Point> vertices, Rgb colour);

/// Size in pixels of the ink of `text` (printable ASCII, one line) drawn by draw_text at `scale`.
struct TextExtent {
  int width = 0;
  int height = 0;
};
TextExtent text_extent(std::string_view text, int scale);

/// Draws `text` with stb_easy_font's segment font, each font unit a `scale` x `scale` block, with
/// the top-left corner of its ink at (x, y). Characters outside printable ASCII draw nothing.
void draw_text(RgbImage& image, std::string_view text, int x, int y, int scale, Rgb colour);

}  // namespace lmmbench::datasets
