#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datasets/sample.hpp"

namespace lmmbench::datasets {

/// What a consumer of images accepts (a backend's Capabilities, in datasets' terms).
struct ImageLimits {
  std::vector<std::string> mime_types;  ///< Accepted encodings ("image/png", ...); empty = any.
  int max_side = 0;                     ///< Longest side in pixels; 0 = no limit.
  std::uint64_t max_bytes = 0;          ///< Encoded size; 0 = no limit.
  /// Decode the whole image even when it fits as it is, so a file whose header is fine but whose
  /// data is truncated or corrupt is caught here (InputError) rather than by the model server.
  bool validate = true;
  /// Decoding an image with more pixels is refused before it starts (InputError).
  std::uint64_t max_pixels = kDefaultMaxImagePixels;
};

/// An image as it will be sent.
struct FittedImage {
  std::string bytes;
  std::string mime_type;
  bool reencoded = false;  ///< False: the original bytes, untouched.
  int width = 0;           ///< Of what is sent; 0 when the image was not decoded or probed.
  int height = 0;
};

/// The image itself when it already fits; otherwise decoded, scaled down (aspect ratio kept) to
/// max_side, and re-encoded — in its own format when that is accepted and PNG or JPEG, else as
/// JPEG or PNG, whichever is accepted (JPEG first) — stepping JPEG quality down (90, 75, 60, 45)
/// and then the size (x0.75) until it fits max_bytes. Deterministic: the same input and limits
/// give the same bytes. Returns nullopt with `problem` set when no accepted encoding can be made
/// to fit (the harness then records the request as unsupported); throws InputError naming `name`
/// when the image must be decoded (to re-encode it, or with `validate`) and cannot be.
std::optional<FittedImage> fit_image(std::string bytes, const std::string& mime_type,
                                     const ImageLimits& limits, const std::string& name,
                                     std::string& problem);

}  // namespace lmmbench::datasets
