#include "core/error.hpp"

#include <cerrno>
#include <cstring>

namespace lmmbench {

std::string Location::to_string() const {
  std::string out = file;
  if (line > 0) out += (out.empty() ? "line " : ":") + std::to_string(line);
  if (!field.empty()) {
    if (!out.empty()) out += ": ";
    out += "field " + field;
  }
  return out;
}

namespace {
std::string with_location(const Location& where, const std::string& message) {
  const std::string prefix = where.to_string();
  return prefix.empty() ? message : prefix + ": " + message;
}
}  // namespace

InputError::InputError(Location where, const std::string& message)
    : std::runtime_error(with_location(where, message)),
      where_(std::move(where)),
      detail_(message) {}

void throw_system_error(const std::string& what) {
  const int code = errno;
  throw Error(what + ": " + std::strerror(code));
}

}  // namespace lmmbench
