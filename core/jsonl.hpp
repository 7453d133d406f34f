#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

#include "core/json_source.hpp"

namespace lmmbench {

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
