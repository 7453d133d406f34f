#pragma once

// The wire format of the transport's own HTTP/1.1 client (models/http/transport.hpp): which
// URLs it serves, the request head it writes, and an incremental response parser. Pure code (no
// sockets, no clock), so that it can be unit-tested and fuzzed byte by byte.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmmbench::models::http::http1 {

/// An http:// URL that the own client serves: the host is a numeric IPv4 address, a bracketed
/// numeric IPv6 address or `localhost` (which needs no DNS: 127.0.0.1, then ::1, RFC 6761
/// §6.3). Anything else — https://, other host names (DNS), user info, a zone id, characters
/// that would need encoding — is not a PlainUrl, and the transport leaves it to libcurl.
/// The views point into the parsed URL.
struct PlainUrl {
  std::string_view host;    ///< As written, without brackets; "localhost" in any case.
  std::uint16_t port = 80;  ///< Default 80.
  bool localhost = false;
  bool ipv6 = false;  ///< A bracketed literal (the Host header writes the brackets back).
  /// The numeric address (network order; 4 bytes used for IPv4); unused for localhost.
  std::array<unsigned char, 16> address{};
  std::string_view target;  ///< Path and query, "/" when the URL has none; no fragment.
};

[[nodiscard]] std::optional<PlainUrl> parse_plain_url(std::string_view url);

/// Appends the head of a POST of `body_size` bytes to `out`, as libcurl writes it for the same
/// call: request line, Host (with the port unless 80), User-Agent, Accept: */*, the caller's
/// header lines, Content-Length, and Content-Type: application/x-www-form-urlencoded when the
/// caller set none (libcurl's default for a POST, CURLOPT_POSTFIELDS(3)), then the empty line.
/// As in CURLOPT_HTTPHEADER(3): a caller's header replaces the default of the same name
/// (case-insensitive), a caller's "Name:" with no value only removes that default (so
/// "Expect:" sends nothing; this client never sends Expect), and "Name;" sends the header with
/// an empty value.
void append_request_head(std::string& out, const PlainUrl& url, std::string_view user_agent,
                         const std::vector<std::string>& headers, std::size_t body_size);

/// append_request_head in two steps, for a caller that sends the same URL and headers many
/// times: everything but the body's size is made once, then each request's head is the prefix
/// plus a few bytes.
struct RequestHead {
  std::string prefix;           ///< Request line, Host, User-Agent, Accept, the caller's lines.
  bool content_length = true;   ///< The caller set no Content-Length: write it.
  bool default_content = true;  ///< The caller set no Content-Type: write libcurl's default.
};
void make_request_head(RequestHead& out, const PlainUrl& url, std::string_view user_agent,
                       const std::vector<std::string>& headers);
void append_request_head(std::string& out, const RequestHead& head, std::size_t body_size);

/// `url` with its views moved from the string `from` into the equal string `to` (views to
/// literals, such as a "localhost" host or a "/" target, stay).
[[nodiscard]] PlainUrl rebased(PlainUrl url, std::string_view from, std::string_view to);

/// Reads one HTTP/1.1 (or 1.0) response from the bytes of a connection, fed in pieces of any
/// size; the result does not depend on where the pieces are cut. Interim 1xx responses are
/// skipped (101 is an error: this client never asks to switch). The body is delimited by
/// Transfer-Encoding: chunked (extensions and trailers read and ignored), Content-Length, or the
/// end of the connection; 204 and 304 have none. Header lines may end in CR LF or LF.
///
/// Limits: the header block (every status and header line, interim responses and trailers
/// included) is at most `max_header_bytes`, a chunk-size line at most 4 KiB, the decoded body
/// at most `max_body_bytes` (Event::too_large; a Content-Length above it fails at once).
/// Anything malformed is Event::error with error() saying what.
class ResponseParser {
 public:
  struct Limits {
    std::size_t max_header_bytes = 64 * 1024;
    std::size_t max_body_bytes = SIZE_MAX;
  };
  enum class Event {
    need_more,  ///< Every byte of the input was consumed; feed more (or end_of_input()).
    headers,    ///< The final response's status and headers are read (once per response).
    body,       ///< A piece of the decoded body, in `body`.
    done,       ///< The response is complete; what is left of the input is not part of it.
    error,      ///< Malformed (error() says why); the connection cannot be used further.
    too_large,  ///< The body would exceed max_body_bytes.
  };

  ResponseParser() = default;
  explicit ResponseParser(Limits limits) : limits_(limits) {}
  /// Starts over for the next response on the same connection (keeps the buffers).
  void reset();
  void set_limits(Limits limits) { limits_ = limits; }

  /// Consumes bytes of `input` (advancing it) up to the next event. After done, error or
  /// too_large it consumes nothing and returns the same event again.
  Event next(std::string_view& input, std::string_view& body);
  /// The connection ended (orderly close): done for a body read until the close, else error.
  Event end_of_input();

  [[nodiscard]] long status() const { return status_; }
  /// Lower-cased, parameters kept, surrounding blanks removed.
  [[nodiscard]] std::string& content_type() { return content_type_; }
  [[nodiscard]] std::optional<std::string>& retry_after() { return retry_after_; }
  [[nodiscard]] std::optional<std::string>& retry_after_ms() { return retry_after_ms_; }
  [[nodiscard]] std::optional<std::uint64_t> content_length() const { return content_length_; }
  /// After done: the connection may carry another request (keep-alive, a delimited body).
  [[nodiscard]] bool reusable() const { return keep_alive_ && framing_ != Framing::until_close; }
  /// Any byte of a response was consumed.
  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] std::uint64_t body_bytes() const { return body_bytes_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  enum class State {
    status_line,
    header_line,
    body_fixed,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailer_line,
    body_until_close,
    done,
    failed,
    too_large,
  };
  enum class Framing { none, fixed, chunked, until_close };
  enum class Take { line, partial, too_long };

  Take take_line(std::string_view& input, std::string_view& line, std::size_t budget);
  Event fail(std::string message);
  bool read_status_line(std::string_view line);
  bool read_header_line(std::string_view line);
  Event end_of_headers();
  Event emit(std::string_view& input, std::size_t n, std::string_view& body);

  Limits limits_;
  State state_ = State::status_line;
  Framing framing_ = Framing::none;
  std::string line_;  ///< A line split across inputs.
  std::size_t header_bytes_ = 0;
  std::uint64_t remaining_ = 0;  ///< Of a fixed body or the current chunk.
  std::uint64_t body_bytes_ = 0;
  long status_ = 0;
  bool http10_ = false;
  bool keep_alive_ = true;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool transfer_encoding_ = false;
  bool chunked_ = false;
  bool started_ = false;
  std::optional<std::uint64_t> content_length_;
  std::string content_type_;
  std::optional<std::string> retry_after_;
  std::optional<std::string> retry_after_ms_;
  std::string error_;
};

}  // namespace lmmbench::models::http::http1
