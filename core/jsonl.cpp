#include "core/jsonl.hpp"

#include <fstream>
#include <string>

#include "core/text.hpp"

namespace lmmbench {

namespace {

void parse_line(std::string_view line, const std::string& name, std::size_t line_number,
                const std::filesystem::path& base_dir,
                const std::function<void(const ConfigNode&)>& on_record) {
  if (trim(line).empty()) return;
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    std::string message = e.what();
    if (const auto p = message.find("syntax error "); p != std::string::npos) {
      message = message.substr(p);
    }
    throw InputError(Location{name, line_number, ""}, "invalid JSON: " + message);
  }
  on_record(ConfigNode(JsonSource::from_value(std::move(value), name, line_number, base_dir)));
}

}  // namespace

void for_each_jsonl_record(const std::filesystem::path& path,
                           const std::function<void(const ConfigNode&)>& on_record) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Location{path.string(), 0, ""}, "cannot open file");
  const std::string name = path.string();
  const auto base_dir = path.parent_path();
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // UTF-8 BOM
    parse_line(line, name, line_number, base_dir, on_record);
  }
  if (in.bad()) throw InputError(Location{name, line_number, ""}, "read error");
}

void for_each_jsonl_record(std::string_view text, const std::string& name,
                           const std::filesystem::path& base_dir,
                           const std::function<void(const ConfigNode&)>& on_record) {
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++line_number;
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    parse_line(text.substr(start, end - start), name, line_number, base_dir, on_record);
    start = end + 1;
  }
}

}  // namespace lmmbench
