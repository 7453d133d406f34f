#include <array>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <stb_image.h>

#include "core/error.hpp"
#include "datasets/raster_draw.hpp"
#include "datasets/raster_png.hpp"

namespace lmmbench::datasets {
namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kRed{200, 10, 10};

RgbImage blank(int w, int h) {
  return RgbImage(w, h, kWhite.r, kWhite.g, kWhite.b);
}

Rgb at(const RgbImage& image, int x, int y) {
  const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) +
                  static_cast<std::size_t>(x)) *
                 3;
  return {image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]};
}

int count(const RgbImage& image, Rgb colour) {
  int n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x)
      n += at(image, x, y) == colour ? 1 : 0;
  }
  return n;
}

/// Decodes with stb_image, an independent decoder, and compares every pixel.
void expect_round_trip(const RgbImage& image) {
  const std::string png = encode_png_rle(image);
  int w = 0, h = 0, channels = 0;
  stbi_uc* decoded = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(png.data()),
                                           static_cast<int>(png.size()), &w, &h, &channels, 3);
  ASSERT_NE(decoded, nullptr) << stbi_failure_reason();
  EXPECT_EQ(w, image.width);
  EXPECT_EQ(h, image.height);
  EXPECT_EQ(channels, 3);
  const std::vector<std::uint8_t> pixels(decoded, decoded + image.pixels.size());
  stbi_image_free(decoded);
  EXPECT_EQ(pixels, image.pixels);
}

TEST(RasterPng, RoundTripsFlatImagesOfEveryShape) {
  expect_round_trip(blank(1, 1));
  expect_round_trip(blank(7, 3));
  expect_round_trip(blank(336, 336));
  expect_round_trip(blank(1000, 2));  // long runs: matches of the maximum length 258 back to back
}

TEST(RasterPng, RoundTripsNoiseAndMixedContent) {
  // Noise forces literals of every byte value; runs of varying length exercise every length and
  // both match distances.
  RgbImage image = blank(257, 61);
  std::uint32_t state = 12345;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      state = state * 1664525U + 1013904223U;
      if (y % 3 == 0 || x % 17 < (y % 9)) {
        image.set(x, y, static_cast<std::uint8_t>(state >> 24),
                  static_cast<std::uint8_t>(state >> 16), static_cast<std::uint8_t>(state >> 8));
      }
    }
  }
  fill_disc(image, 100, 30, 25, kRed);
  expect_round_trip(image);
}

TEST(RasterPng, FlatImagesCompressWell) {
  RgbImage image = blank(336, 336);
  fill_disc(image, 100, 100, 30, kRed);
  EXPECT_LT(encode_png_rle(image).size(), 8000u);  // raw size 339,024 bytes
}

TEST(RasterPng, RejectsImagesItCannotEncode) {
  RgbImage wrong = blank(4, 4);
  wrong.pixels.pop_back();
  EXPECT_THROW((void)encode_png_rle(wrong), Error);
  EXPECT_THROW((void)encode_png_rle(blank(10923, 1)), Error);  // a row would exceed the window
  EXPECT_NO_THROW((void)encode_png_rle(blank(10922, 1)));
}

TEST(RasterDraw, DiscIsRoundAndSymmetric) {
  RgbImage image = blank(100, 100);
  fill_disc(image, 50, 50, 20, kRed);
  const int area = count(image, kRed);
  EXPECT_NEAR(area, 3.14159265 * 400, 40);
  for (int y = 0; y < 100; ++y) {
    for (int x = 0; x < 100; ++x) {
      ASSERT_EQ(at(image, x, y), at(image, 99 - x, y));
      ASSERT_EQ(at(image, x, y), at(image, y, x));
    }
  }
  EXPECT_EQ(at(image, 30, 50), kRed);  // leftmost pixel column of the disc
  EXPECT_EQ(at(image, 29, 50), kWhite);
}

TEST(RasterDraw, PolygonFillIgnoresWindingAndCoversHalfTheBoxForATriangle) {
  const std::array<Point, 3> clockwise = {{{20, 10}, {40, 50}, {0, 50}}};
  const std::array<Point, 3> counter = {{{20, 10}, {0, 50}, {40, 50}}};
  RgbImage a = blank(60, 60);
  RgbImage b = blank(60, 60);
  fill_convex_polygon(a, clockwise, kRed);
  fill_convex_polygon(b, counter, kRed);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NEAR(count(a, kRed), 40 * 40 / 2, 30);
  EXPECT_EQ(at(a, 20, 49), kRed);
  EXPECT_EQ(at(a, 1, 11), kWhite);
}

TEST(RasterDraw, ClipsAtTheImageBorder) {
  RgbImage image = blank(10, 10);
  fill_rect(image, -5, -5, 8, 8, kRed);
  EXPECT_EQ(count(image, kRed), 9);
  fill_disc(image, 9, 9, 50, kRed);
  EXPECT_EQ(count(image, kRed), 100);
}

TEST(RasterDraw, TextInkStartsAtTheOriginAndMatchesItsExtent) {
  for (const int scale : {1, 3, 8}) {
    const TextExtent extent = text_extent("CAT 42", scale);
    ASSERT_GT(extent.width, 0);
    RgbImage image = blank(extent.width + 20, extent.height + 20);
    draw_text(image, "CAT 42", 10, 10, scale, kRed);
    int min_x = image.width, min_y = image.height, max_x = -1, max_y = -1;
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        if (at(image, x, y) != kRed) continue;
        min_x = std::min(min_x, x);
        min_y = std::min(min_y, y);
        max_x = std::max(max_x, x);
        max_y = std::max(max_y, y);
      }
    }
    EXPECT_EQ(min_x, 10) << scale;
    EXPECT_EQ(min_y, 10) << scale;
    EXPECT_EQ(max_x - min_x + 1, extent.width) << scale;
    EXPECT_EQ(max_y - min_y + 1, extent.height) << scale;
  }
  EXPECT_EQ(text_extent("AB", 4).width, 4 * text_extent("AB", 1).width);
  EXPECT_EQ(text_extent("A\x01"
                        "B",
                        1)
                .width,
            text_extent("AB", 1).width);
  EXPECT_EQ(text_extent("", 5).width, 0);
}

}  // namespace
}  // namespace lmmbench::datasets
