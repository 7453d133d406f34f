#pragma once

#include <string_view>

// The HTML report's stylesheet and scripts, compiled in from reports/html_assets/ by
// cmake/embed_assets.cmake.
namespace lmmbench::reports::assets {

extern const std::string_view kReportCss;     ///< html_assets/report.css
extern const std::string_view kReportJs;      ///< html_assets/report.js
extern const std::string_view kErrorGuardJs;  ///< html_assets/error_guard.js

}  // namespace lmmbench::reports::assets
