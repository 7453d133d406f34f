#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace lmmbench::metrics {

/// How often two raters (two judge models) give the same label to the same items.
struct Agreement {
  std::size_t n = 0;     ///< Items both rated.
  double percent = 0.0;  ///< 100 x (items with the same label) / n; NaN when n = 0.
  double kappa = 0.0;    ///< Cohen's kappa; NaN when undefined (n = 0, or chance agreement 1).
};

/// Percent agreement and Cohen's kappa (Cohen 1960, "A coefficient of agreement for nominal
/// scales"): kappa = (p_o - p_e) / (1 - p_e), p_o the observed agreement, p_e = sum over labels of
/// the product of the two raters' marginal proportions. Labels are compared as exact strings;
/// a[i] and b[i] rate the same item. Throws std::invalid_argument when the sizes differ.
[[nodiscard]] Agreement agreement(std::span<const std::string> a, std::span<const std::string> b);

}  // namespace lmmbench::metrics
