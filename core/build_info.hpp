#pragma once

#include <string_view>

namespace lmmbench {

/// Provenance of this binary, generated at build time (cmake/write_build_info.cmake).
struct BuildInfo {
  std::string_view version;       ///< Project version from CMakeLists.txt.
  std::string_view git_revision;  ///< Full commit hash, or "unknown" outside a git checkout.
  bool git_dirty;                 ///< Tracked files differed from the commit at build time.
  std::string_view build_type;    ///< CMAKE_BUILD_TYPE (Release, Debug, ...).
  std::string_view sanitizers;    ///< Sanitizers compiled in, empty when none.

  /// True for builds whose timings must not be trusted (debug or sanitized).
  [[nodiscard]] bool is_instrumented() const {
    return build_type != "Release" || !sanitizers.empty();
  }
};

const BuildInfo& build_info();

}  // namespace lmmbench
