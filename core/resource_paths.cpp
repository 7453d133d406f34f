#include "core/resource_paths.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"

// Set by core/CMakeLists.txt: the install layout relative to the prefix (GNUInstallDirs) and the
// source tree's configs directory.
#ifndef LMMBENCH_INSTALL_BINDIR
#error "LMMBENCH_INSTALL_BINDIR must be defined"
#endif

namespace lmmbench {

namespace {

namespace fs = std::filesystem;

bool present(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool is_dir(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

/// The installation prefix of the running executable: its directory with the bin directory's
/// components taken off the end, when they match.
std::optional<fs::path> installed_prefix() {
  const auto dir = executable_dir();
  if (!dir) return std::nullopt;
  fs::path prefix = dir->lexically_normal();
  if (!prefix.has_filename()) prefix = prefix.parent_path();
  const fs::path bindir = fs::path(LMMBENCH_INSTALL_BINDIR).lexically_normal();
  std::vector<fs::path> parts(bindir.begin(), bindir.end());
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (it->empty()) continue;
    if (prefix.filename() != *it) return std::nullopt;
    prefix = prefix.parent_path();
  }
  return prefix;
}

std::string searched(const std::vector<fs::path>& dirs) {
  std::vector<std::string> names;
  for (const auto& d : dirs)
    names.push_back(d.string());
  return names.empty() ? "no config directory exists" : join(names, ", ");
}

}  // namespace

std::optional<fs::path> executable_dir() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return exe.parent_path();
}

std::optional<fs::path> installed_library_dir() {
  const auto prefix = installed_prefix();
  if (!prefix) return std::nullopt;
  return *prefix / LMMBENCH_INSTALL_LIBDIR / "lmmbench";
}

std::vector<fs::path> config_search_path(const fs::path& config_dir, const std::string& option) {
  std::vector<fs::path> dirs;
  if (!config_dir.empty()) {
    if (!is_dir(config_dir)) {
      throw InputError(Location{option, 0, ""},
                       fmt::format("config directory {} not found", config_dir.string()));
    }
    dirs.push_back(config_dir);
  }
  if (const char* home = std::getenv(kHomeVariable); home != nullptr && *home != '\0') {
    dirs.push_back(fs::path(home) / "configs");
  }
  if (const auto prefix = installed_prefix()) {
    dirs.push_back(*prefix / LMMBENCH_INSTALL_DATADIR / "lmmbench" / "configs");
  }
  dirs.push_back(fs::path(LMMBENCH_SOURCE_CONFIGS));
  std::vector<fs::path> kept;
  for (auto& d : dirs) {
    if (is_dir(d)) kept.push_back(std::move(d));
  }
  return kept;
}

std::optional<fs::path> config_dir_holding(const fs::path& relative, const fs::path& config_dir) {
  for (const auto& dir : config_search_path(config_dir)) {
    if (present(dir / relative)) return dir;
  }
  return std::nullopt;
}

fs::path find_config(const fs::path& relative, const fs::path& config_dir) {
  if (const auto dir = config_dir_holding(relative, config_dir)) return *dir / relative;
  throw InputError(Location{relative.string(), 0, ""},
                   fmt::format("not found in the config search path ({}); name a directory with "
                               "--config-dir or set {}",
                               searched(config_search_path(config_dir)), kHomeVariable));
}

fs::path resolve_config_file(const std::string& text, const std::string& subdir,
                             const fs::path& config_dir) {
  const fs::path as_path(text);
  std::error_code ec;
  if (text.empty() || text.find('/') != std::string::npos || fs::exists(as_path, ec)) {
    return as_path;
  }
  const fs::path relative =
      (fs::path(subdir) / (as_path.extension() == ".json" ? text : text + ".json"))
          .lexically_normal();
  if (const auto dir = config_dir_holding(relative, config_dir)) return *dir / relative;
  throw InputError(Location{text, 0, ""},
                   fmt::format("no such file, and no shipped config {} in the config search path "
                               "({})",
                               relative.string(), searched(config_search_path(config_dir))));
}

}  // namespace lmmbench
