#include "datasets/manifest.hpp"

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace lmmbench::datasets {

std::vector<ManifestEntry> manifest_entries(
    std::span<const std::filesystem::path> files, const std::filesystem::path& root,
    const std::unordered_map<std::string, std::string>& known) {
  std::vector<ManifestEntry> entries;
  entries.reserve(files.size());
  const auto canonical_root = std::filesystem::weakly_canonical(root);
  for (const auto& file : files) {
    const auto absolute = std::filesystem::weakly_canonical(file);
    auto relative = absolute.lexically_relative(canonical_root);
    const bool inside = !relative.empty() && *relative.begin() != "..";
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    const auto hashed = known.find(file.string());
    entries.push_back(ManifestEntry{hashed != known.end() ? hashed->second : sha256_file(file),
                                    inside ? relative.generic_string() : absolute.generic_string(),
                                    ec ? 0 : static_cast<std::uint64_t>(size)});
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.sha256) < std::tie(b.name, b.sha256);
  });
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

std::string manifest_sha256(std::span<const ManifestEntry> entries) {
  std::vector<std::string> lines;
  lines.reserve(entries.size());
  for (const auto& e : entries)
    lines.push_back(e.sha256 + "  " + e.name + "\n");
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  Sha256 hash;
  for (const auto& line : lines)
    hash.update(line);
  return hash.hex_digest();
}

std::string manifest_sha256(std::span<const std::filesystem::path> files,
                            const std::filesystem::path& root) {
  return manifest_sha256(manifest_entries(files, root));
}

std::string manifest_text(std::span<const ManifestEntry> entries) {
  std::string out;
  for (const auto& e : entries)
    out += e.sha256 + "  " + e.name + "\n";
  return out;
}

std::vector<ManifestEntry> parse_manifest(const std::string& text, const std::string& name) {
  std::vector<ManifestEntry> entries;
  std::size_t line = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view row(text.data() + start, end - start);
    ++line;
    start = end + 1;
    if (row.empty()) continue;
    const bool ok = row.size() > 66 && row.substr(64, 2) == "  " &&
                    row.substr(0, 64).find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!ok) throw InputError(Location{name, line, ""}, "expected '<sha256>  <file name>'");
    entries.push_back(
        ManifestEntry{std::string(row.substr(0, 64)), std::string(row.substr(66)), 0});
  }
  return entries;
}

std::vector<std::string> manifest_differences(std::span<const ManifestEntry> recorded,
                                              std::span<const ManifestEntry> current) {
  std::map<std::string, std::string> before;
  for (const auto& e : recorded)
    before[e.name] = e.sha256;
  std::map<std::string, std::string> now;
  for (const auto& e : current)
    now[e.name] = e.sha256;
  std::vector<std::string> out;
  for (const auto& [name, hash] : before) {
    const auto it = now.find(name);
    if (it == now.end()) {
      out.push_back("missing: " + name);
    } else if (it->second != hash) {
      out.push_back("changed: " + name);
    }
  }
  for (const auto& [name, hash] : now) {
    if (!before.contains(name)) out.push_back("added: " + name);
  }
  return out;
}

}  // namespace lmmbench::datasets
