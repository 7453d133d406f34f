#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace lmmbench::datasets {

/// One file of a dataset manifest.
struct ManifestEntry {
  std::string sha256;  ///< Hex digest of the file's bytes.
  std::string name;    ///< Relative to the manifest root ('/'-separated), or absolute when the
                       ///< file lies outside it.
  std::uint64_t bytes = 0;

  friend bool operator==(const ManifestEntry&, const ManifestEntry&) = default;
};

/// Hashes every file (reading each once) and names it relative to `root`; sorted by name,
/// duplicates removed. A file in `known` (path as in `files` -> SHA-256, e.g. the images a loader
/// already read and hashed) is not read again. Throws InputError naming a file that cannot be read.
std::vector<ManifestEntry> manifest_entries(
    std::span<const std::filesystem::path> files, const std::filesystem::path& root,
    const std::unordered_map<std::string, std::string>& known = {});

/// SHA-256 over a manifest: the hash of the sorted lines "<sha256 of file>  <name>\n". Renaming,
/// editing, adding or removing any file changes it; moving the whole tree does not.
std::string manifest_sha256(std::span<const ManifestEntry> entries);
/// manifest_sha256(manifest_entries(files, root)).
std::string manifest_sha256(std::span<const std::filesystem::path> files,
                            const std::filesystem::path& root);

/// The manifest as text in sha256sum's format ("<sha256>  <name>\n" per file), so
/// `sha256sum -c` run in the root directory checks it too.
std::string manifest_text(std::span<const ManifestEntry> entries);
/// Parses manifest_text; throws InputError naming `name` and the line of a malformed entry.
std::vector<ManifestEntry> parse_manifest(const std::string& text, const std::string& name);

/// Differences between a recorded manifest and the current one, each "changed: NAME",
/// "missing: NAME" (recorded, now absent) or "added: NAME" (new); empty when identical.
std::vector<std::string> manifest_differences(std::span<const ManifestEntry> recorded,
                                              std::span<const ManifestEntry> current);

}  // namespace lmmbench::datasets
