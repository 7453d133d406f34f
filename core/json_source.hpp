#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace lmmbench {

/// The deepest nesting of arrays and objects lmmbench accepts in any JSON it reads (configs,
/// datasets, score input, prediction logs, run records, server replies). Real inputs nest a few
/// levels; the bound keeps every recursive walk of a parsed value (line scanning, copying,
/// comparing, dumping) a small fraction of a thread's stack, where 20,000 levels overflow it.
inline constexpr std::size_t kMaxJsonDepth = 512;

/// Parses one JSON text: the one path by which lmmbench turns JSON text into a value. `comments`
/// treats `//` and `/* */` comments as whitespace. Throws InputError naming `name` and the line
/// (`first_line` plus the newlines before the fault) for a syntax error, nesting deeper than
/// kMaxJsonDepth, or a number beyond the range of a double (which also names the field). A key
/// repeated in one object keeps its last value (JsonSource rejects repeats in configs).
nlohmann::json parse_json(std::string_view text, const std::string& name,
                          std::size_t first_line = 1, bool comments = false);

/// As parse_json, for text whose faults are counted rather than located (server replies): a
/// discarded value (is_discarded()) instead of an exception. Never throws InputError.
nlohmann::json parse_json_or_discarded(std::string_view text);

/// "a string", "a number", "an object", ...: the JSON type of `value` as every "expected X, got Y"
/// message of the readers names it.
const char* json_type_name(const nlohmann::json& value);

/// What JsonSource does with a key that appears twice in one object.
enum class DuplicateKeys {
  reject,     ///< An InputError naming both lines (configs: which value was meant is unknowable).
  last_wins,  ///< nlohmann's rule (data files read on a fast path that keeps the last one).
};

/// A parsed JSON document (comments allowed) that remembers the line of every key and array
/// element, so that errors found after parsing can still name the file, the line and the field.
/// Immutable after construction; share it through std::shared_ptr. Thread-safe for reading.
class JsonSource {
 public:
  /// Reads and parses `path` (parse_json, comments allowed). Throws InputError naming the file
  /// and line of a syntax error, too deep a nesting, a number out of range or (by default) a
  /// repeated key.
  static std::shared_ptr<const JsonSource> from_file(
      const std::filesystem::path& path, DuplicateKeys duplicates = DuplicateKeys::reject);
  /// Parses `text`; `name` stands for the file in error messages, `base_dir` resolves relative
  /// paths.
  static std::shared_ptr<const JsonSource> from_text(
      std::string_view text, std::string name, std::filesystem::path base_dir = {},
      DuplicateKeys duplicates = DuplicateKeys::reject);
  /// Wraps an already-parsed value; every field reports `line` (use for one line of a JSONL file).
  static std::shared_ptr<const JsonSource> from_value(nlohmann::json value, std::string name,
                                                      std::size_t line,
                                                      std::filesystem::path base_dir = {});

  [[nodiscard]] const nlohmann::json& root() const { return root_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  /// Directory that relative paths in this document are resolved against.
  [[nodiscard]] const std::filesystem::path& base_dir() const { return base_dir_; }
  /// 1-based line of the value at `pointer` (of its key, for object members); 0 if unknown.
  [[nodiscard]] std::size_t line_of(const std::string& pointer) const;

 private:
  JsonSource(nlohmann::json root, std::string name, std::filesystem::path base_dir,
             std::map<std::string, std::size_t> lines, std::size_t fixed_line);

  nlohmann::json root_;
  std::string name_;
  std::filesystem::path base_dir_;
  std::map<std::string, std::size_t> lines_;
  std::size_t fixed_line_ = 0;
};

class ObjectReader;

/// One value inside a JsonSource, with typed accessors that throw InputError naming the file, line
/// and field on a type mismatch. Cheap to copy (shares the source).
class ConfigNode {
 public:
  ConfigNode(std::shared_ptr<const JsonSource> source, std::string pointer,
             const nlohmann::json* value);
  /// The whole document.
  explicit ConfigNode(std::shared_ptr<const JsonSource> source);
  /// A JSON null that belongs to no file (a placeholder until assigned).
  ConfigNode();

  [[nodiscard]] const nlohmann::json& json() const { return *value_; }
  [[nodiscard]] const std::string& pointer() const { return pointer_; }
  [[nodiscard]] const JsonSource& source() const { return *source_; }
  [[nodiscard]] const std::shared_ptr<const JsonSource>& shared_source() const { return source_; }
  [[nodiscard]] Location location() const;
  [[noreturn]] void fail(const std::string& message) const;

  [[nodiscard]] std::string as_string() const;
  [[nodiscard]] bool as_bool() const;
  [[nodiscard]] double as_number() const;
  /// An integer within [min, max].
  [[nodiscard]] std::int64_t as_int(std::int64_t min = INT64_MIN,
                                    std::int64_t max = INT64_MAX) const;
  [[nodiscard]] std::vector<std::string> as_string_list() const;
  /// A string naming a file, resolved against the document's base directory when relative.
  /// "${NAME}" is replaced by environment variable NAME (e.g. "${LMMBENCH_DATA}/pope"); an unset
  /// or empty variable fails with a message naming it.
  [[nodiscard]] std::filesystem::path as_path() const;

  [[nodiscard]] bool is_array() const { return value_->is_array(); }
  [[nodiscard]] bool is_object() const { return value_->is_object(); }
  [[nodiscard]] bool is_string() const { return value_->is_string(); }
  /// Elements of an array (fails unless this is an array).
  [[nodiscard]] std::vector<ConfigNode> elements() const;
  /// Reader over an object (fails unless this is an object).
  [[nodiscard]] ObjectReader object() const;

 private:
  std::shared_ptr<const JsonSource> source_;
  std::string pointer_;
  const nlohmann::json* value_;
};

/// Reads the members of a JSON object one key at a time and, at finish(), rejects every key that
/// was never asked for, suggesting the nearest known key. Not thread-safe.
class ObjectReader {
 public:
  explicit ObjectReader(ConfigNode node);

  [[nodiscard]] const ConfigNode& node() const { return node_; }
  [[nodiscard]] bool has(std::string_view key) const;
  /// The member, or nullopt when absent (a JSON null counts as absent). Marks `key` as known.
  std::optional<ConfigNode> find(std::string_view key);
  /// The member; fails with "missing required field" when absent.
  ConfigNode required(std::string_view key);

  std::string required_string(std::string_view key) { return required(key).as_string(); }
  std::string get_string(std::string_view key, std::string fallback);
  bool get_bool(std::string_view key, bool fallback);
  double get_number(std::string_view key, double fallback);
  std::int64_t get_int(std::string_view key, std::int64_t fallback, std::int64_t min = INT64_MIN,
                       std::int64_t max = INT64_MAX);
  std::vector<std::string> get_string_list(std::string_view key,
                                           std::vector<std::string> fallback = {});

  /// Marks keys as known without reading them (e.g. keys handled by someone else).
  void allow(std::initializer_list<std::string_view> keys);
  /// Throws InputError for the first member not read or allowed ("unknown field ... did you mean").
  void finish() const;

 private:
  ConfigNode node_;
  std::set<std::string, std::less<>> known_;
};

/// "/a/b" + "c" -> "/a/b/c", escaping '~' and '/' as RFC 6901 requires.
std::string append_pointer(const std::string& pointer, std::string_view token);

}  // namespace lmmbench
