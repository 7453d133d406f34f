#pragma once

#include <chrono>
#include <string>

#include "reports/run_record.hpp"

namespace lmmbench::harness {

/// Hostname, OS (uname), CPU model and core count of this machine.
reports::HostInfo describe_host();

/// The build provenance of this binary, as the run record stores it.
reports::ToolInfo describe_tool();

/// "2026-11-27T19:15:02Z"
std::string iso8601_utc(std::chrono::system_clock::time_point t);
/// "20261127T191502Z", for directory names.
std::string compact_utc(std::chrono::system_clock::time_point t);

}  // namespace lmmbench::harness
