#pragma once

// Everything the own HTTP/1.1 client's response parser says about one input, for comparing the
// same bytes fed in different pieces (tests/http/test_http1.cpp and the http1_responses fuzz
// target).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/http/http1.hpp"

namespace lmmbench::testing {

struct Http1Outcome {
  using Event = models::http::http1::ResponseParser::Event;
  Event last = Event::need_more;  ///< done, error, too_large, or need_more (input ran out)
  int headers_events = 0;
  long status = 0;
  std::string content_type;
  std::optional<std::string> retry_after;
  std::optional<std::string> retry_after_ms;
  std::string body;
  std::string error;
  bool reusable = false;
  std::size_t left_over = 0;  ///< Input bytes after a complete response.

  bool operator==(const Http1Outcome&) const = default;
};

/// Feeds `text` cut before each offset of `cuts` (ascending), then ends the input when
/// `eof` and the parser still waits.
inline Http1Outcome read_http1(std::string_view text, const std::vector<std::size_t>& cuts,
                               models::http::http1::ResponseParser::Limits limits, bool eof) {
  using Event = Http1Outcome::Event;
  models::http::http1::ResponseParser parser(limits);
  Http1Outcome out;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(text.size());
  for (const std::size_t end : ends) {
    if (end < from) continue;
    std::string_view piece = text.substr(from, end - from);
    from = end;
    while (true) {
      std::string_view body;
      const Event e = parser.next(piece, body);
      if (e == Event::headers) {
        ++out.headers_events;
        out.status = parser.status();
        out.content_type = parser.content_type();
        out.retry_after = parser.retry_after();
        out.retry_after_ms = parser.retry_after_ms();
        continue;
      }
      if (e == Event::body) {
        out.body.append(body);
        continue;
      }
      out.last = e;
      if (e == Event::done) out.left_over = piece.size() + (text.size() - from);
      break;
    }
    if (out.last != Event::need_more) break;
  }
  if (out.last == Event::need_more && eof) out.last = parser.end_of_input();
  out.error = parser.error();
  out.reusable = out.last == Event::done && parser.reusable();
  return out;
}

}  // namespace lmmbench::testing
