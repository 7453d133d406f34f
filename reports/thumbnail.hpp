#pragma once

#include <optional>
#include <string>

#include "reports/loaded_run.hpp"

namespace lmmbench::reports {

/// A JPEG thumbnail of the image in `source` (any format stb_image reads), scaled so its longer
/// side is at most `max_side` pixels (never enlarged; alpha composited on white), as a
/// "data:image/jpeg;base64,..." URI. nullopt when the file is missing or not a readable image: a
/// report shows "no image" rather than failing. Thread-safe.
std::optional<std::string> thumbnail_data_uri(const ImageSource& source, int max_side);

}  // namespace lmmbench::reports
