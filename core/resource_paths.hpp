#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lmmbench {

// Where lmmbench finds what it ships: the GPU table (gpus.json), the API price table
// (prices.json), the task, model and run configs named without a path, and the CUDA module. An
// installed lmmbench works from any directory; so does one in its build tree.

/// Environment variable naming an lmmbench home: a directory laid out like the source tree or the
/// installed share directory, i.e. holding configs/.
inline constexpr const char* kHomeVariable = "LMMBENCH_HOME";

/// The configuration directories searched, in order, keeping those that exist:
///   1. `config_dir` (--config-dir) unless empty; it must be a directory (InputError otherwise);
///   2. $LMMBENCH_HOME/configs;
///   3. <prefix>/share/lmmbench/configs of the installation the running executable belongs to
///      (<prefix>/bin/lmmbench; relocatable: found from the executable, not a fixed path);
///   4. the source tree's configs/ that this build was made from.
/// `option` names the command-line option in errors ("--config-dir").
std::vector<std::filesystem::path> config_search_path(const std::filesystem::path& config_dir = {},
                                                      const std::string& option = "--config-dir");

/// The first directory of the search path that holds `relative` (a file or directory such as
/// "gpus.json", "tasks" or "models/gpu/llava-1.5-7b.json"), or nullopt.
std::optional<std::filesystem::path> config_dir_holding(
    const std::filesystem::path& relative, const std::filesystem::path& config_dir = {});

/// The first `relative` found in the search path. Throws InputError naming every directory
/// searched when none holds it.
std::filesystem::path find_config(const std::filesystem::path& relative,
                                  const std::filesystem::path& config_dir = {});

/// A config file given on the command line or in a config: `text` itself when it exists or has a
/// '/'; otherwise a shipped config named `text`: <subdir>/<text>[.json] in the search path (e.g.
/// "pope" -> tasks/pope.json, "prices.json" with subdir "." -> prices.json). Throws InputError
/// listing the directories searched when a name is found nowhere.
std::filesystem::path resolve_config_file(const std::string& text, const std::string& subdir,
                                          const std::filesystem::path& config_dir = {});

/// The directory of the running executable (from /proc/self/exe), or nullopt.
std::optional<std::filesystem::path> executable_dir();

/// <prefix>/lib/lmmbench of the installation the running executable belongs to (where the CUDA
/// module is installed), or nullopt when the executable is not in a <prefix>/bin directory.
std::optional<std::filesystem::path> installed_library_dir();

}  // namespace lmmbench
