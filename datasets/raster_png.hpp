#pragma once

#include <string>

#include "datasets/image_io.hpp"

namespace lmmbench::datasets {

/// Encodes an 8-bit RGB PNG (no interlace, filter None) whose deflate stream uses fixed Huffman
/// codes and only two back-references: the previous pixel (runs) and the pixel above (repeated
/// rows). On flat synthetic images this is about a hundred times faster than stb_image_write
/// (whose fixed compression level spends ~10 ms on a 336 x 336 image) at a similar size; on
/// photographs it compresses poorly, so use encode_png for those.
///
/// The bytes are a function of the pixels alone — no library or library version is involved —
/// which is what lets the synthetic suite be byte-identical on every machine. Any conforming PNG
/// decoder reads the result. Throws Error for an image wider than 10922 pixels (a row must fit
/// the 32 KiB deflate window) or with a pixel buffer of the wrong size.
std::string encode_png_rle(const RgbImage& image);

}  // namespace lmmbench::datasets
