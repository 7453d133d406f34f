#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lmmbench {

/// Standard base64 (RFC 4648 §4, '+' and '/', '=' padding), no line breaks: what data URLs and the
/// image fields of the OpenAI, Anthropic and Gemini APIs expect.
std::string base64_encode(std::string_view bytes);
/// The same encoding appended to `out` (one resize, no temporary): for request bodies that embed
/// an image.
void base64_append(std::string_view bytes, std::string& out);

/// Decodes standard base64. ASCII whitespace is skipped (VLMEvalKit's TSVs and MIME bodies may
/// wrap lines); padding is optional. nullopt for any other byte outside the alphabet, for data
/// after padding, or for a length that cannot be base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace lmmbench
