#include "models/http/http1.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>

namespace lmmbench::models::http::http1 {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `text` equals `lower_name` (lower-case ASCII) ignoring case.
bool iequals(std::string_view text, std::string_view lower_name) {
  if (text.size() != lower_name.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (lower(text[i]) != lower_name[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
    v.remove_suffix(1);
  return v;
}

/// Calls `f(token)` for each comma-separated, trimmed, non-empty token of a header value.
template <typename F>
void for_each_token(std::string_view value, F f) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto token = trim(value.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool parse_port(std::string_view digits, std::uint16_t& port) {
  if (digits.empty() || digits.size() > 5) return false;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535)
    return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

/// A path and query that libcurl would send unchanged: visible ASCII, no dot segments (which it
/// removes, RFC 3986 §5.2.4), no backslash.
bool plain_target(std::string_view target) {
  for (const char c : target) {
    if (c <= ' ' || c >= 0x7f || c == '\\') return false;
  }
  return target.find("/.") == std::string_view::npos;
}

constexpr std::size_t kMaxChunkLine = 4096;

}  // namespace

std::optional<PlainUrl> parse_plain_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const auto hash = url.find('#');
  if (hash != std::string_view::npos) url = url.substr(0, hash);
  const auto slash = url.find_first_of("/?");
  const std::string_view authority = url.substr(0, slash);
  PlainUrl out;
  if (slash == std::string_view::npos) {
    out.target = "/";
  } else if (url[slash] == '?') {
    return std::nullopt;  // libcurl inserts the "/"
  } else {
    out.target = url.substr(slash);
    if (!plain_target(out.target)) return std::nullopt;
  }
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = authority.substr(1, close - 1);
    out.ipv6 = true;
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port && !parse_port(port, out.port)) return std::nullopt;
  if (out.host.empty() || out.host.size() > 45) return std::nullopt;
  char host[46];
  std::memcpy(host, out.host.data(), out.host.size());
  host[out.host.size()] = '\0';
  if (out.ipv6) {
    if (inet_pton(AF_INET6, host, out.address.data()) != 1) return std::nullopt;
  } else if (iequals(out.host, "localhost")) {
    out.localhost = true;
    out.host = "localhost";
  } else if (inet_pton(AF_INET, host, out.address.data()) != 1) {
    return std::nullopt;
  }
  return out;
}

void make_request_head(RequestHead& out, const PlainUrl& url, std::string_view user_agent,
                       const std::vector<std::string>& headers) {
  // The defaults a caller's header of the same name replaces (libcurl's Curl_checkheaders).
  constexpr std::array<std::string_view, 5> kDefaults = {"host", "user-agent", "accept",
                                                         "content-length", "content-type"};
  std::array<bool, kDefaults.size()> replaced{};
  for (const auto& h : headers) {
    const auto colon = h.find_first_of(":;");
    if (colon == std::string::npos) continue;
    const std::string_view name(h.data(), colon);
    for (std::size_t i = 0; i < kDefaults.size(); ++i) {
      if (iequals(name, kDefaults[i])) replaced[i] = true;
    }
  }
  std::string& p = out.prefix;
  p.clear();
  p.append("POST ");
  p.append(url.target);
  p.append(" HTTP/1.1\r\n");
  if (!replaced[0]) {
    p.append("Host: ");
    if (url.ipv6) p.push_back('[');
    p.append(url.host);
    if (url.ipv6) p.push_back(']');
    if (url.port != 80) {
      char digits[8];
      const auto end = std::to_chars(digits, digits + sizeof digits, url.port).ptr;
      p.push_back(':');
      p.append(digits, end);
    }
    p.append("\r\n");
  }
  if (!replaced[1] && !user_agent.empty()) {
    p.append("User-Agent: ");
    p.append(user_agent);
    p.append("\r\n");
  }
  if (!replaced[2]) p.append("Accept: */*\r\n");
  for (const auto& h : headers) {
    const auto sep = h.find_first_of(":;");
    if (sep == std::string::npos) continue;
    if (h[sep] == ';') {
      // "Name;" sends the header with an empty value; anything after the ';' is not a header.
      if (trim(std::string_view(h).substr(sep + 1)).empty()) {
        p.append(h.data(), sep);
        p.append(":\r\n");
      }
      continue;
    }
    if (trim(std::string_view(h).substr(sep + 1)).empty()) continue;  // only removes a default
    p.append(h);
    p.append("\r\n");
  }
  out.content_length = !replaced[3];
  out.default_content = !replaced[4];
}

void append_request_head(std::string& out, const RequestHead& head, std::size_t body_size) {
  out.append(head.prefix);
  if (head.content_length) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, body_size).ptr;
    out.append("Content-Length: ");
    out.append(digits, end);
    out.append("\r\n");
  }
  if (head.default_content) out.append("Content-Type: application/x-www-form-urlencoded\r\n");
  out.append("\r\n");
}

void append_request_head(std::string& out, const PlainUrl& url, std::string_view user_agent,
                         const std::vector<std::string>& headers, std::size_t body_size) {
  RequestHead head;
  make_request_head(head, url, user_agent, headers);
  append_request_head(out, head, body_size);
}

PlainUrl rebased(PlainUrl url, std::string_view from, std::string_view to) {
  const auto begin = reinterpret_cast<std::uintptr_t>(from.data());
  const auto move = [&](std::string_view& v) {
    const auto at = reinterpret_cast<std::uintptr_t>(v.data());
    if (at >= begin && at + v.size() <= begin + from.size()) v = to.substr(at - begin, v.size());
  };
  move(url.host);
  move(url.target);
  return url;
}

void ResponseParser::reset() {
  state_ = State::status_line;
  framing_ = Framing::none;
  line_.clear();
  header_bytes_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  status_ = 0;
  http10_ = false;
  keep_alive_ = true;
  connection_close_ = false;
  connection_keep_alive_ = false;
  transfer_encoding_ = false;
  chunked_ = false;
  started_ = false;
  content_length_.reset();
  content_type_.clear();
  retry_after_.reset();
  retry_after_ms_.reset();
  error_.clear();
}

ResponseParser::Event ResponseParser::fail(std::string message) {
  state_ = State::failed;
  keep_alive_ = false;
  error_ = std::move(message);
  return Event::error;
}

ResponseParser::Take ResponseParser::take_line(std::string_view& input, std::string_view& line,
                                               std::size_t budget) {
  const auto* nl = static_cast<const char*>(std::memchr(input.data(), '\n', input.size()));
  const std::size_t n =
      nl == nullptr ? input.size() : static_cast<std::size_t>(nl - input.data()) + 1;
  if (line_.size() + n > budget) return Take::too_long;
  if (nl == nullptr) {
    line_.append(input);
    input = {};
    return Take::partial;
  }
  if (line_.empty()) {
    line = input.substr(0, n - 1);
  } else {
    line_.append(input.data(), n - 1);
    line = line_;
  }
  input.remove_prefix(n);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return Take::line;
}

bool ResponseParser::read_status_line(std::string_view line) {
  // HTTP-version SP 3DIGIT [SP reason-phrase] (RFC 9112 §4).
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[7] < '0' || line[7] > '9' ||
      line[8] != ' ')
    return false;
  long status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || (line.size() > 12 && line[12] != ' ')) return false;
  status_ = status;
  http10_ = line[7] == '0';
  return true;
}

bool ResponseParser::read_header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return true;  // obsolete folding: ignored
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    error_ = "malformed HTTP reply: a header line without a name and ':'";
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  switch (lower(name.front())) {
    case 'c':
      if (iequals(name, "content-type")) {
        content_type_.assign(value);
        std::transform(content_type_.begin(), content_type_.end(), content_type_.begin(), lower);
      } else if (iequals(name, "content-length")) {
        std::uint64_t length = 0;
        if (value.empty() || value.size() > 19) {
          error_ = "malformed HTTP reply: invalid or too large Content-Length";
          return false;
        }
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (ec != std::errc() || end != value.data() + value.size()) {
          error_ = "malformed HTTP reply: invalid or too large Content-Length";
          return false;
        }
        if (content_length_ && *content_length_ != length) {
          error_ = "malformed HTTP reply: conflicting Content-Length headers";
          return false;
        }
        content_length_ = length;
      } else if (iequals(name, "connection")) {
        for_each_token(value, [this](std::string_view token) {
          if (iequals(token, "close")) connection_close_ = true;
          if (iequals(token, "keep-alive")) connection_keep_alive_ = true;
        });
      }
      break;
    case 't':
      if (iequals(name, "transfer-encoding")) {
        // The body is chunked when chunked is the last coding (RFC 9112 §6.3).
        transfer_encoding_ = true;
        for_each_token(value,
                       [this](std::string_view token) { chunked_ = iequals(token, "chunked"); });
      }
      break;
    case 'r':
      if (iequals(name, "retry-after")) {
        retry_after_.emplace(value);
      } else if (iequals(name, "retry-after-ms")) {
        retry_after_ms_.emplace(value);
      }
      break;
    default:
      break;
  }
  return true;
}

ResponseParser::Event ResponseParser::end_of_headers() {
  if (status_ < 200) {
    if (status_ == 101)
      return fail("malformed HTTP reply: 101 Switching Protocols was not asked for");
    // An interim response: the final one follows (its headers replace these).
    state_ = State::status_line;
    content_length_.reset();
    content_type_.clear();
    retry_after_.reset();
    retry_after_ms_.reset();
    connection_close_ = connection_keep_alive_ = transfer_encoding_ = chunked_ = false;
    return Event::need_more;  // the caller loops on
  }
  keep_alive_ = http10_ ? connection_keep_alive_ && !connection_close_ : !connection_close_;
  if (status_ == 204 || status_ == 304) {
    framing_ = Framing::none;
  } else if (transfer_encoding_) {
    framing_ = chunked_ ? Framing::chunked : Framing::until_close;
    // Both framings given: the message may be smuggled; do not reuse the connection.
    if (content_length_) keep_alive_ = false;
  } else if (content_length_) {
    framing_ = Framing::fixed;
    remaining_ = *content_length_;
  } else {
    framing_ = Framing::until_close;
  }
  switch (framing_) {
    case Framing::none:
      state_ = State::done;
      break;
    case Framing::fixed:
      state_ = remaining_ == 0 ? State::done : State::body_fixed;
      if (remaining_ > limits_.max_body_bytes) state_ = State::too_large;
      break;
    case Framing::chunked:
      state_ = State::chunk_size;
      break;
    case Framing::until_close:
      state_ = State::body_until_close;
      break;
  }
  return Event::headers;
}

ResponseParser::Event ResponseParser::emit(std::string_view& input, std::size_t n,
                                           std::string_view& body) {
  if (body_bytes_ + n > limits_.max_body_bytes) {
    // What fits goes out first, so that the bytes delivered do not depend on the reads' cuts.
    n = static_cast<std::size_t>(limits_.max_body_bytes - body_bytes_);
    if (n == 0) {
      state_ = State::too_large;
      keep_alive_ = false;
      return Event::too_large;
    }
  }
  body = input.substr(0, n);
  input.remove_prefix(n);
  body_bytes_ += n;
  return Event::body;
}

ResponseParser::Event ResponseParser::next(std::string_view& input, std::string_view& body) {
  while (true) {
    switch (state_) {
      case State::done:
        return Event::done;
      case State::failed:
        return Event::error;
      case State::too_large:
        keep_alive_ = false;
        return Event::too_large;
      default:
        break;
    }
    if (input.empty()) return Event::need_more;
    started_ = true;
    switch (state_) {
      case State::status_line:
      case State::header_line:
      case State::trailer_line: {
        std::string_view line;
        const std::size_t before = input.size() + line_.size();
        const auto took = take_line(input, line, limits_.max_header_bytes - header_bytes_);
        if (took == Take::too_long) {
          return fail("malformed HTTP reply: the header block is larger than " +
                      std::to_string(limits_.max_header_bytes) + " bytes");
        }
        if (took == Take::partial) return Event::need_more;
        header_bytes_ += before - input.size();  // the whole line, its start held in line_ too
        if (state_ == State::status_line) {
          if (!read_status_line(line)) {
            return fail("malformed HTTP reply: the status line is not 'HTTP/1.x NNN ...'");
          }
          state_ = State::header_line;
        } else if (line.empty()) {
          line_.clear();
          if (state_ == State::trailer_line) {
            state_ = State::done;
            return Event::done;
          }
          const Event e = end_of_headers();
          if (e != Event::need_more) return e;
          continue;
        } else if (state_ == State::header_line && !read_header_line(line)) {
          state_ = State::failed;
          keep_alive_ = false;
          return Event::error;
        }
        line_.clear();
        continue;
      }
      case State::body_fixed: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
        const Event e = emit(input, n, body);
        if (e != Event::body) return e;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::done;
        return e;
      }
      case State::body_until_close:
        return emit(input, input.size(), body);
      case State::chunk_data: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
        const Event e = emit(input, n, body);
        if (e != Event::body) return e;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::chunk_data_end;
        return e;
      }
      case State::chunk_size:
      case State::chunk_data_end: {
        std::string_view line;
        const auto took = take_line(input, line, kMaxChunkLine);
        if (took == Take::too_long)
          return fail("malformed HTTP reply: a chunk-size line is too long");
        if (took == Take::partial) return Event::need_more;
        if (state_ == State::chunk_data_end) {
          if (!line.empty()) return fail("malformed HTTP reply: a chunk is not followed by CR LF");
          line_.clear();
          state_ = State::chunk_size;
          continue;
        }
        // chunk-size [ chunk-ext ] (RFC 9112 §7.1): hex digits, then blanks or ';' extensions.
        std::uint64_t size = 0;
        std::size_t i = 0;
        for (; i < line.size(); ++i) {
          const char c = lower(line[i]);
          int digit = 0;
          if (c >= '0' && c <= '9') {
            digit = c - '0';
          } else if (c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
          } else {
            break;
          }
          if (size > (UINT64_MAX >> 4)) return fail("malformed HTTP reply: a chunk size overflows");
          size = size << 4 | static_cast<std::uint64_t>(digit);
        }
        const auto rest = trim(line.substr(i));
        if (i == 0 || (!rest.empty() && rest.front() != ';'))
          return fail("malformed HTTP reply: an invalid chunk size");
        line_.clear();
        if (size == 0) {
          state_ = State::trailer_line;
        } else {
          if (size > limits_.max_body_bytes -
                         std::min(body_bytes_, std::uint64_t{limits_.max_body_bytes})) {
            state_ = State::too_large;
            keep_alive_ = false;
            return Event::too_large;
          }
          remaining_ = size;
          state_ = State::chunk_data;
        }
        continue;
      }
      default:
        return Event::error;
    }
  }
}

ResponseParser::Event ResponseParser::end_of_input() {
  switch (state_) {
    case State::done:
      return Event::done;
    case State::body_until_close:
      state_ = State::done;
      keep_alive_ = false;
      return Event::done;
    case State::failed:
      return Event::error;
    case State::too_large:
      return Event::too_large;
    case State::body_fixed:
      return fail("the connection closed before the end of the reply (" +
                  std::to_string(remaining_) + " bytes of the body missing)");
    case State::status_line:
      if (!started_) return fail("the server closed the connection without replying");
      [[fallthrough]];
    case State::header_line:
      return fail("the connection closed within the reply's headers");
    default:
      return fail("the connection closed within the reply's chunked body");
  }
}

}  // namespace lmmbench::models::http::http1
