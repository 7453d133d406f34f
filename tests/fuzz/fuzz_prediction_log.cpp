// The prediction log as `--resume` reads it: the whole file through PredictionLog (a torn last
// line is dropped, the rest must be entries), and each line through the entry reader. Only
// InputError may escape; an entry that was read must write back to a line that reads the same.

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/jsonl.hpp"
#include "fuzz_support.hpp"
#include "harness/prediction_log.hpp"

namespace {

void check_line(std::size_t line_number, std::string_view line) {
  lmmbench::harness::LogEntry entry;
  try {
    const auto record = lmmbench::parse_jsonl_line(line, "fuzz.jsonl", line_number);
    if (!record) return;
    entry = lmmbench::harness::read_log_entry(*record);
  } catch (const lmmbench::InputError&) {
    return;
  }
  // Timings pass through integer nanoseconds, so only the rest must come back exactly.
  nlohmann::json again = entry;
  const auto reread = lmmbench::harness::read_log_entry(
      *lmmbench::parse_jsonl_line(again.dump(), "again.jsonl", 1));
  nlohmann::json back = reread;
  again.erase("timing");
  back.erase("timing");
  if (back != again) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lmmbench::fuzz::text_of(data, size);
  lmmbench::for_each_line_in_memory(text, check_line);
  const auto path = lmmbench::fuzz::write_file(lmmbench::fuzz::scratch_dir() / "log.jsonl", text);
  try {
    const lmmbench::harness::PredictionLog log(path);
  } catch (const lmmbench::InputError&) {
  }
  return 0;
}
