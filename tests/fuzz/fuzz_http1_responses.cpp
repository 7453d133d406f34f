// What a server sends back on a connection of the transport's own HTTP/1.1 client
// (models/http/http1.hpp): the response parser must end in exactly one of done, error and
// too_large (or wait for more), never crash or read out of bounds, and give the same outcome
// whether the bytes come at once or cut into reads (the sizes come from the input). The
// limits are small so that the fuzzer reaches them.

#include <cstdlib>
#include <vector>

#include "fuzz_support.hpp"
#include "http1_outcome.hpp"
#include "models/http/http1.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using lmmbench::testing::read_http1;
  const auto text = lmmbench::fuzz::text_of(data, size);
  const lmmbench::models::http::http1::ResponseParser::Limits limits{.max_header_bytes = 512,
                                                                     .max_body_bytes = 256};
  // The first byte chooses the reads' size (1 to 16 bytes).
  const std::size_t piece = size == 0 ? 1 : data[0] % 16 + 1;
  std::vector<std::size_t> cuts;
  for (std::size_t at = piece; at < size; at += piece)
    cuts.push_back(at);
  for (const bool eof : {false, true}) {
    const auto whole = read_http1(text, {}, limits, eof);
    if (read_http1(text, cuts, limits, eof) != whole) std::abort();
    if (whole.body.size() > limits.max_body_bytes) std::abort();
    if (whole.reusable && whole.status < 200) std::abort();
  }
  // The URL reader on the same bytes.
  (void)lmmbench::models::http::http1::parse_plain_url(text);
  return 0;
}
