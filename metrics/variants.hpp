#pragma once

#include <span>
#include <string>
#include <string_view>

namespace lmmbench::metrics {

/// The variant a metric factory should build: `requested`, or the first of `valid` (the default)
/// when `requested` is empty. Throws InputError listing the valid variants (and the nearest one)
/// when `requested` is not among them.
std::string select_variant(std::string_view metric, std::string_view requested,
                           std::span<const std::string> valid);

}  // namespace lmmbench::metrics
