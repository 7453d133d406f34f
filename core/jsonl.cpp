#include "core/jsonl.hpp"

#include <cstring>
#include <memory>
#include <string>

#include "core/text.hpp"

namespace lmmbench {

namespace {

/// Bytes per read: large enough that reading costs a few system calls per megabyte, small enough
/// that the buffer is noise next to anything a caller keeps.
constexpr std::size_t kBlockSize = std::size_t{1} << 20;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

/// Numbers the lines handed to `on_line` and strips the byte-order mark from line 1.
class LineCounter {
 public:
  explicit LineCounter(const LineHandler& on_line) : on_line_(on_line) {}

  void operator()(std::string_view line) {
    ++line_number_;
    if (line_number_ == 1 && line.starts_with(kByteOrderMark)) {
      line.remove_prefix(kByteOrderMark.size());
    }
    on_line_(line_number_, line);
  }
  [[nodiscard]] std::size_t line_number() const { return line_number_; }

 private:
  const LineHandler& on_line_;
  std::size_t line_number_ = 0;
};

}  // namespace

void for_each_line(std::FILE* stream, const std::string& name, const LineHandler& on_line) {
  LineCounter emit(on_line);
  std::string buffer(kBlockSize, '\0');
  std::size_t begin = 0;  // the bytes [begin, end) are read but not yet handed out
  std::size_t end = 0;
  for (;;) {
    if (begin > 0) {
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (end == buffer.size()) buffer.resize(2 * buffer.size());  // a line longer than the buffer
    const std::size_t got = std::fread(buffer.data() + end, 1, buffer.size() - end, stream);
    if (got == 0) {
      if (std::ferror(stream)) {
        throw InputError(Location{name, emit.line_number(), ""}, "read error");
      }
      if (end > begin) emit(std::string_view(buffer.data() + begin, end - begin));
      return;
    }
    std::size_t scan = end;  // the unconsumed bytes before `end` hold no '\n'
    end += got;
    while (const void* found = std::memchr(buffer.data() + scan, '\n', end - scan)) {
      const auto at = static_cast<std::size_t>(static_cast<const char*>(found) - buffer.data());
      emit(std::string_view(buffer.data() + begin, at - begin));
      begin = scan = at + 1;
    }
  }
}

void for_each_line(const std::filesystem::path& path, const LineHandler& on_line) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) throw InputError(Location{path.string(), 0, ""}, "cannot open file");
  for_each_line(file.get(), path.string(), on_line);
}

void for_each_line_in_memory(std::string_view text, const LineHandler& on_line) {
  LineCounter emit(on_line);
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    emit(text.substr(start, end - start));
    start = end + 1;
  }
}

std::optional<ConfigNode> parse_jsonl_line(std::string_view line, const std::string& name,
                                           std::size_t line_number,
                                           const std::filesystem::path& base_dir) {
  if (trim(line).empty()) return std::nullopt;
  return ConfigNode(
      JsonSource::from_value(parse_json(line, name, line_number), name, line_number, base_dir));
}

void for_each_jsonl_record(const std::filesystem::path& path,
                           const std::function<void(const ConfigNode&)>& on_record) {
  const std::string name = path.string();
  const auto base_dir = path.parent_path();
  for_each_line(path, [&](std::size_t line_number, std::string_view line) {
    if (const auto record = parse_jsonl_line(line, name, line_number, base_dir)) on_record(*record);
  });
}

void for_each_jsonl_record(std::string_view text, const std::string& name,
                           const std::filesystem::path& base_dir,
                           const std::function<void(const ConfigNode&)>& on_record) {
  for_each_line_in_memory(text, [&](std::size_t line_number, std::string_view line) {
    if (const auto record = parse_jsonl_line(line, name, line_number, base_dir)) on_record(*record);
  });
}

}  // namespace lmmbench
