#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace lmmbench {

/// Where in the user's input something is: a file, a 1-based line (0 = unknown) and a field path
/// (a JSON pointer such as "/models/0/backend", or a column name). Any part may be empty.
struct Location {
  std::string file;
  std::size_t line = 0;
  std::string field;

  /// "file:line: field /a/b" with the missing parts left out.
  [[nodiscard]] std::string to_string() const;
};

/// The user's input is wrong (config, dataset, command line, server reply): the message says where
/// and what. main() maps it to exit code 2. Library code throws it and never exits.
class InputError : public std::runtime_error {
 public:
  InputError(Location where, const std::string& message);
  explicit InputError(const std::string& message) : InputError(Location{}, message) {}

  [[nodiscard]] const Location& where() const { return where_; }
  /// The message without the location prefix.
  [[nodiscard]] const std::string& detail() const { return detail_; }

 private:
  Location where_;
  std::string detail_;
};

/// Something failed that is not the user's input (I/O, a library call, a broken invariant).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws Error with errno's text appended: "what: strerror(errno)".
[[noreturn]] void throw_system_error(const std::string& what);

}  // namespace lmmbench
