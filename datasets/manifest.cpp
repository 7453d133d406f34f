#include "datasets/manifest.hpp"

#include <algorithm>
#include <vector>

#include "core/sha256.hpp"

namespace lmmbench::datasets {

std::string manifest_sha256(std::span<const std::filesystem::path> files,
                            const std::filesystem::path& root) {
  std::vector<std::string> lines;
  lines.reserve(files.size());
  const auto canonical_root = std::filesystem::weakly_canonical(root);
  for (const auto& file : files) {
    const auto absolute = std::filesystem::weakly_canonical(file);
    auto relative = absolute.lexically_relative(canonical_root);
    const bool inside = !relative.empty() && *relative.begin() != "..";
    const std::string name = inside ? relative.generic_string() : absolute.generic_string();
    lines.push_back(sha256_file(file) + "  " + name + "\n");
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  Sha256 hash;
  for (const auto& line : lines)
    hash.update(line);
  return hash.hex_digest();
}

}  // namespace lmmbench::datasets
