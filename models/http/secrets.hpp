#pragma once

#include <string>
#include <string_view>

namespace lmmbench::models::http {

/// Replaces every occurrence of `secret` in `text` — and every run of at least 8 characters that
/// also occurs inside it, as servers quote parts of a rejected key ("Incorrect API key provided:
/// sk-abc***wxyz") — with "[REDACTED]". Returns `text` unchanged when `secret` is empty.
std::string redact(std::string_view text, std::string_view secret);

}  // namespace lmmbench::models::http
