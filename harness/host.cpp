#include "harness/host.hpp"

#include <array>
#include <ctime>
#include <fstream>
#include <thread>

#include <sys/utsname.h>
#include <unistd.h>

#include "core/build_info.hpp"
#include "core/text.hpp"

namespace lmmbench::harness {

reports::HostInfo describe_host() {
  reports::HostInfo host;
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) == 0) host.hostname = name.data();
  utsname u{};
  if (::uname(&u) == 0) host.os = std::string(u.sysname) + " " + u.release + " " + u.machine;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("model name")) {
      if (const auto colon = line.find(':'); colon != std::string::npos) {
        host.cpu = std::string(trim(std::string_view(line).substr(colon + 1)));
      }
      break;
    }
  }
  host.cpu_count = std::thread::hardware_concurrency();
  return host;
}

reports::ToolInfo describe_tool() {
  const auto& b = build_info();
  reports::ToolInfo tool;
  tool.version = std::string(b.version);
  tool.git_revision = std::string(b.git_revision);
  tool.git_dirty = b.git_dirty;
  tool.build_type = std::string(b.build_type);
  tool.sanitizers = std::string(b.sanitizers);
  return tool;
}

namespace {
std::string format_utc(std::chrono::system_clock::time_point t, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  std::array<char, 64> buffer{};
  const auto n = std::strftime(buffer.data(), buffer.size(), format, &tm);
  return std::string(buffer.data(), n);
}
}  // namespace

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  return format_utc(t, "%Y-%m-%dT%H:%M:%SZ");
}

std::string compact_utc(std::chrono::system_clock::time_point t) {
  return format_utc(t, "%Y%m%dT%H%M%SZ");
}

}  // namespace lmmbench::harness
