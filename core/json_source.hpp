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

/// A parsed JSON document (comments allowed) that remembers the line of every key and array
/// element, so that errors found after parsing can still name the file, the line and the field.
/// Immutable after construction; share it through std::shared_ptr. Thread-safe for reading.
class JsonSource {
 public:
  /// Reads and parses `path`. Throws InputError naming the file and line of a syntax error.
  static std::shared_ptr<const JsonSource> from_file(const std::filesystem::path& path);
  /// Parses `text`; `name` stands for the file in error messages, `base_dir` resolves relative
  /// paths.
  static std::shared_ptr<const JsonSource> from_text(std::string_view text, std::string name,
                                                     std::filesystem::path base_dir = {});
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
