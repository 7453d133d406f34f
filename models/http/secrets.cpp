#include "models/http/secrets.hpp"

#include <algorithm>

namespace lmmbench::models::http {

std::string redact(std::string_view text, std::string_view secret) {
  if (secret.empty()) return std::string(text);
  const std::size_t min_run = std::min<std::size_t>(8, secret.size());
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // The longest run starting at text[i] that occurs anywhere in the secret.
    std::size_t best = 0;
    for (std::size_t s = 0; s < secret.size(); ++s) {
      std::size_t k = 0;
      while (i + k < text.size() && s + k < secret.size() && text[i + k] == secret[s + k])
        ++k;
      best = std::max(best, k);
    }
    if (best >= min_run) {
      out += "[REDACTED]";
      i += best;
    } else {
      out += text[i];
      ++i;
    }
  }
  return out;
}

}  // namespace lmmbench::models::http
