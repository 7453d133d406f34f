// A worker's stdout as the worker backend reads it: bytes cut into lines by a bounded LineBuffer
// (limit 4096), each line parsed as a worker-protocol message. The parser may only throw
// ProtocolError; an error message maps to a completion error; the buffer never holds more than
// its limit.

#include <cstdlib>
#include <vector>

#include "fuzz_support.hpp"
#include "models/worker/protocol.hpp"
#include "models/worker/subprocess.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lmmbench::models::worker;
  constexpr std::size_t kLimit = 4096;
  LineBuffer buffer(kLimit);
  std::vector<std::string> lines;
  const auto text = lmmbench::fuzz::text_of(data, size);
  // In reads of up to 7 bytes, as a pipe may deliver them.
  for (std::size_t at = 0; at < text.size(); at += 7) {
    if (!buffer.append(text.substr(at, 7), lines)) break;
  }
  if (buffer.partial().size() > kLimit) std::abort();
  for (const auto& line : lines) {
    try {
      const WorkerMessage message = parse_worker_line(line);
      if (const auto* error = std::get_if<ErrorEvent>(&message)) {
        if (completion_of(*error).ok()) std::abort();  // an error is never an answer
      }
      (void)excerpt(line);
    } catch (const ProtocolError&) {
    }
  }
  return 0;
}
