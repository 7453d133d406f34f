#pragma once

#include <filesystem>
#include <span>
#include <string>

namespace lmmbench::datasets {

/// SHA-256 over a set of files: the hash of the sorted lines "<sha256 of file>  <name>\n", where
/// <name> is the path relative to `root` (or the absolute path for files outside it). Renaming,
/// editing, adding or removing any file changes it; moving the whole tree does not.
std::string manifest_sha256(std::span<const std::filesystem::path> files,
                            const std::filesystem::path& root);

}  // namespace lmmbench::datasets
