#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_source.hpp"

namespace lmmbench {

/// Receives one line of a text file: its 1-based number and its bytes without the '\n' (a '\r'
/// before it is kept; JSON counts it as whitespace). A UTF-8 byte-order mark at the start of line
/// 1 is removed. The view is valid only during the call.
using LineHandler = std::function<void(std::size_t line_number, std::string_view text)>;

/// Calls `on_line` for every line of `path`, in order, reading in large blocks into one reused
/// buffer: memory is bounded by the block size and the longest line, never by the file. Throws
/// InputError "cannot open file" / "read error" naming the file (and the line reached).
void for_each_line(const std::filesystem::path& path, const LineHandler& on_line);
/// As above for an open stream (e.g. stdin), which stays open; `name` stands for it in messages.
void for_each_line(std::FILE* stream, const std::string& name, const LineHandler& on_line);
/// As above for text already in memory (named apart: a std::string would convert to both a path
/// and a view).
void for_each_line_in_memory(std::string_view text, const LineHandler& on_line);

/// Parses one JSON Lines line into a ConfigNode whose errors name `name` and `line_number`;
/// nullopt for a blank line (ASCII whitespace only). Invalid JSON throws InputError
/// "name:line: invalid JSON: syntax error ..." (parse_json: also too deep a nesting and numbers
/// out of range).
std::optional<ConfigNode> parse_jsonl_line(std::string_view line, const std::string& name,
                                           std::size_t line_number,
                                           const std::filesystem::path& base_dir = {});

/// Calls `on_record` for every non-blank line of a JSON Lines file, in order, with the parsed line
/// as a ConfigNode whose errors name `path` and the 1-based line number. A line that is not valid
/// JSON throws InputError naming file and line. Reads the file as a stream: memory does not grow
/// with the file.
void for_each_jsonl_record(const std::filesystem::path& path,
                           const std::function<void(const ConfigNode& record)>& on_record);

/// As above for text already in memory; `name` stands for the file in messages.
void for_each_jsonl_record(std::string_view text, const std::string& name,
                           const std::filesystem::path& base_dir,
                           const std::function<void(const ConfigNode& record)>& on_record);

}  // namespace lmmbench
