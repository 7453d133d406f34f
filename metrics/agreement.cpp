#include "metrics/agreement.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

namespace lmmbench::metrics {

Agreement agreement(std::span<const std::string> a, std::span<const std::string> b) {
  if (a.size() != b.size()) throw std::invalid_argument("agreement: raters of different sizes");
  Agreement out;
  out.n = a.size();
  if (out.n == 0) {
    out.percent = out.kappa = std::nan("");
    return out;
  }
  std::size_t same = 0;
  std::map<std::string, std::pair<std::size_t, std::size_t>, std::less<>> marginals;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) ++same;
    ++marginals[a[i]].first;
    ++marginals[b[i]].second;
  }
  const double n = static_cast<double>(out.n);
  const double observed = static_cast<double>(same) / n;
  double chance = 0.0;
  for (const auto& [label, counts] : marginals)
    chance += (static_cast<double>(counts.first) / n) * (static_cast<double>(counts.second) / n);
  out.percent = 100.0 * observed;
  out.kappa = chance >= 1.0 ? std::nan("") : (observed - chance) / (1.0 - chance);
  return out;
}

}  // namespace lmmbench::metrics
