#pragma once

#include "core/json_source.hpp"
#include "models/backend.hpp"

namespace lmmbench::models {

/// Reads the image-limit options any backend may take, so that what a model accepts is set per
/// model config: "max_image_side" (pixels), "max_image_bytes" and "image_formats" (a list of
/// "png", "jpeg", "webp", "gif", "bmp" or MIME types). Each given value overrides the backend's
/// default in `capabilities`; the harness then re-encodes images to fit (harness/prompt.cpp).
void read_image_limit_options(ObjectReader& options, Capabilities& capabilities);

}  // namespace lmmbench::models
