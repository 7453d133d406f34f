#include "models/completion.hpp"

#include <array>
#include <utility>

namespace lmmbench::models {

namespace {
constexpr std::array<std::pair<ErrorKind, std::string_view>, 12> kNames{{
    {ErrorKind::none, "none"},
    {ErrorKind::http, "http"},
    {ErrorKind::timeout, "timeout"},
    {ErrorKind::connection, "connection"},
    {ErrorKind::malformed_reply, "malformed_reply"},
    {ErrorKind::refused, "refused"},
    {ErrorKind::truncated, "truncated"},
    {ErrorKind::unsupported, "unsupported"},
    {ErrorKind::missing, "missing"},
    {ErrorKind::internal, "internal"},
    {ErrorKind::cancelled, "cancelled"},
    {ErrorKind::invalid_input, "invalid_input"},
}};
}  // namespace

std::string_view to_string(ErrorKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "internal";
}

std::optional<ErrorKind> parse_error_kind(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace lmmbench::models
