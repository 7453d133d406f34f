#include "datasets/raster_png.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/error.hpp"

namespace lmmbench::datasets {

namespace {

/// Appends bits least-significant first, as deflate (RFC 1951 §3.1.1) packs them.
class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}

  void bits(std::uint32_t value, int count) {
    buffer_ |= static_cast<std::uint64_t>(value) << filled_;
    filled_ += count;
    while (filled_ >= 8) {
      out_.push_back(static_cast<char>(buffer_ & 0xFF));
      buffer_ >>= 8;
      filled_ -= 8;
    }
  }

  /// A Huffman code, which deflate stores most-significant bit first.
  void code(std::uint32_t value, int length) {
    std::uint32_t reversed = 0;
    for (int i = 0; i < length; ++i)
      reversed |= ((value >> i) & 1U) << (length - 1 - i);
    bits(reversed, length);
  }

  void flush() {
    if (filled_ > 0) bits(0, 8 - filled_);
  }

 private:
  std::string& out_;
  std::uint64_t buffer_ = 0;
  int filled_ = 0;
};

/// The fixed literal/length code of RFC 1951 §3.2.6.
void literal_or_length_symbol(BitWriter& w, int symbol) {
  const auto s = static_cast<std::uint32_t>(symbol);
  if (symbol < 144) {
    w.code(0x30 + s, 8);
  } else if (symbol < 256) {
    w.code(0x190 + s - 144, 9);
  } else if (symbol < 280) {
    w.code(s - 256, 7);
  } else {
    w.code(0xC0 + s - 280, 8);
  }
}

constexpr std::array<int, 29> kLengthBase = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                             15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                             67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<int, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<int, 30> kDistanceBase = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<int, 30> kDistanceExtra = {0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                                4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                                9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/// Index of the last base <= value.
template <std::size_t N>
std::size_t bucket(const std::array<int, N>& bases, int value) {
  std::size_t i = N - 1;
  while (bases[i] > value)
    --i;
  return i;
}

constexpr std::size_t kMaxMatch = 258;

void match(BitWriter& w, int length, int distance) {
  const std::size_t l = bucket(kLengthBase, length);
  literal_or_length_symbol(w, 257 + static_cast<int>(l));
  w.bits(static_cast<std::uint32_t>(length - kLengthBase[l]), kLengthExtra[l]);
  const std::size_t d = bucket(kDistanceBase, distance);
  w.code(static_cast<std::uint32_t>(d), 5);
  w.bits(static_cast<std::uint32_t>(distance - kDistanceBase[d]), kDistanceExtra[d]);
}

/// A zlib stream (RFC 1950) holding one fixed-Huffman deflate block.
std::string zlib_compress(std::string_view data, int row_bytes) {
  std::string out = {'\x78', '\x01'};  // deflate, 32 KiB window; (0x78 * 256 + 0x01) % 31 == 0
  BitWriter w(out);
  w.bits(1, 1);  // BFINAL
  w.bits(1, 2);  // BTYPE = fixed Huffman
  // Raw pointers: the match search dominates, and unoptimised builds (tests) pay for every
  // operator[] call.
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const auto n = data.size();
  // The row above first: on flat images it usually yields the longest match at once.
  const std::array<std::size_t, 2> distances = {static_cast<std::size_t>(row_bytes), 3};
  std::size_t i = 0;
  while (i < n) {
    std::size_t best_length = 0;
    std::size_t best_distance = 0;
    const std::size_t limit = std::min(kMaxMatch, n - i);
    for (const std::size_t distance : distances) {
      if (i < distance || best_length == limit) continue;
      const unsigned char* here = bytes + i;
      const unsigned char* there = here - distance;
      std::size_t length = 0;
      while (length < limit && here[length] == there[length])
        ++length;
      if (length > best_length) {
        best_length = length;
        best_distance = distance;
      }
    }
    if (best_length >= 3) {
      match(w, static_cast<int>(best_length), static_cast<int>(best_distance));
      i += best_length;
    } else {
      literal_or_length_symbol(w, bytes[i]);
      ++i;
    }
  }
  literal_or_length_symbol(w, 256);  // end of block
  w.flush();

  // Adler-32, reducing modulo 65521 only every 5552 bytes: the most that cannot overflow 32 bits.
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (std::size_t start = 0; start < n; start += 5552) {
    const std::size_t end = std::min(n, start + 5552);
    for (std::size_t k = start; k < end; ++k) {
      a += bytes[k];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  const std::uint32_t adler = (b << 16) | a;
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((adler >> shift) & 0xFF));
  return out;
}

std::uint32_t crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k)
        c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFU;
  for (const char byte : bytes)
    c = table[(c ^ static_cast<unsigned char>(byte)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void chunk(std::string& out, std::string_view type, std::string_view data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  std::string body(type);
  body.append(data);
  out.append(body);
  put_u32(out, crc32(body));
}

}  // namespace

std::string encode_png_rle(const RgbImage& image) {
  constexpr int kMaxWidth = (32768 - 1) / 3;
  if (image.width <= 0 || image.height <= 0 || image.width > kMaxWidth ||
      image.pixels.size() !=
          static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3) {
    throw Error("encode_png_rle: unsupported image dimensions or pixel buffer size");
  }
  const int row_bytes = 1 + image.width * 3;
  std::string raw(static_cast<std::size_t>(row_bytes) * static_cast<std::size_t>(image.height),
                  '\0');
  const std::size_t pixel_row_bytes = static_cast<std::size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y) {
    // Each row is a filter-type byte (0, None) followed by the row's pixels.
    std::memcpy(raw.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(row_bytes) + 1,
                image.pixels.data() + static_cast<std::size_t>(y) * pixel_row_bytes,
                pixel_row_bytes);
  }

  std::string header;
  put_u32(header, static_cast<std::uint32_t>(image.width));
  put_u32(header, static_cast<std::uint32_t>(image.height));
  header +=
      {'\x08', '\x02', '\x00', '\x00', '\x00'};  // 8-bit, RGB, deflate, filter 0, no interlace

  std::string png = "\x89PNG\r\n\x1a\n";
  chunk(png, "IHDR", header);
  chunk(png, "IDAT", zlib_compress(raw, row_bytes));
  chunk(png, "IEND", "");
  return png;
}

}  // namespace lmmbench::datasets
