#include "metrics/variants.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"

namespace lmmbench::metrics {

std::string select_variant(std::string_view metric, std::string_view requested,
                           std::span<const std::string> valid) {
  if (requested.empty()) return valid.empty() ? std::string{} : valid.front();
  if (std::find(valid.begin(), valid.end(), requested) != valid.end())
    return std::string(requested);
  throw InputError(fmt::format("metric '{}' has no variant '{}'{}; variants: {}", metric, requested,
                               did_you_mean(requested, valid), join(valid, ", ")));
}

}  // namespace lmmbench::metrics
