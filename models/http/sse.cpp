#include "models/http/sse.hpp"

namespace lmmbench::models::http {

void SseParser::feed(std::string_view bytes, const Handler& on_event) {
  std::size_t start = 0;
  if (after_cr_ && !bytes.empty() && bytes.front() == '\n') start = 1;  // CRLF split across reads
  after_cr_ = false;
  for (std::size_t i = start; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c != '\n' && c != '\r') continue;
    if (partial_.empty()) {
      line(bytes.substr(start, i - start), on_event);
    } else {
      partial_.append(bytes.substr(start, i - start));
      line(partial_, on_event);
      partial_.clear();
    }
    if (c == '\r') {
      if (i + 1 == bytes.size()) {
        after_cr_ = true;
      } else if (bytes[i + 1] == '\n') {
        ++i;
      }
    }
    start = i + 1;
  }
  partial_.append(bytes.substr(start));
}

bool SseParser::finish(const Handler& on_event) {
  if (!partial_.empty()) {
    const std::string last = std::move(partial_);
    partial_.clear();
    line(last, on_event);
  }
  if (!has_data_) return false;
  line({}, on_event);
  return true;
}

void SseParser::line(std::string_view text, const Handler& on_event) {
  if (text.empty()) {  // blank line: dispatch
    if (has_data_) on_event(current_);
    current_.event.clear();
    current_.data.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;  // comment
  const auto colon = text.find(':');
  const std::string_view field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event.assign(value);
  } else if (field == "id") {
    current_.id.assign(value);
  }
  // "retry" and unknown fields are ignored, as the specification says.
}

}  // namespace lmmbench::models::http
