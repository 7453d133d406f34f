#include "core/json_source.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/key_recorder.hpp"
#include "core/text.hpp"

namespace lmmbench {

namespace {

/// What ends a `//` comment for nlohmann (lexer::scan_comment): LF, CR or NUL.
constexpr std::string_view kLineCommentEnds("\n\r\0", 3);

/// Walks JSON text already known to be valid (comments allowed, nesting within kMaxJsonDepth, so
/// the recursion is bounded) and records the line of every value: of its key for object members,
/// of its first character for array elements. With DuplicateKeys::reject, a key met twice in one
/// object throws InputError naming both lines.
class LineScanner {
 public:
  LineScanner(std::string_view text, const std::string& name, DuplicateKeys duplicates)
      : text_(text), name_(name), duplicates_(duplicates) {}

  std::map<std::string, std::size_t> scan() {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // a UTF-8 byte-order mark, as nlohmann skips
    skip_space();
    lines_[""] = line_;
    value("");
    return std::move(lines_);
  }

 private:
  void skip_space() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        // As nlohmann reads it: a line comment ends at LF, CR or NUL (the NUL belongs to it).
        pos_ = std::min(text_.find_first_of(kLineCommentEnds, pos_), text_.size());
        if (pos_ < text_.size() && text_[pos_] == '\0') ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        pos_ += 2;
        while (pos_ + 1 < text_.size() && !(text_[pos_] == '*' && text_[pos_ + 1] == '/')) {
          if (text_[pos_] == '\n') ++line_;
          ++pos_;
        }
        pos_ += 2;
      } else {
        return;
      }
    }
  }

  std::string_view string_token() {
    const std::size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != '"')
      pos_ += text_[pos_] == '\\' ? 2 : 1;
    ++pos_;
    return text_.substr(start, pos_ - start);
  }

  void value(const std::string& pointer) {
    const char c = pos_ < text_.size() ? text_[pos_] : '\0';
    if (c == '{') {
      ++pos_;
      skip_space();
      while (pos_ < text_.size() && text_[pos_] != '}') {
        const std::size_t key_line = line_;
        const auto key = nlohmann::json::parse(string_token()).get<std::string>();
        const std::string child = append_pointer(pointer, key);
        const auto [it, inserted] = lines_.try_emplace(child, key_line);
        if (!inserted && duplicates_ == DuplicateKeys::reject) {
          throw InputError(Location{name_, key_line, child},
                           fmt::format("key '{}' appears twice in one object (first at line {}); "
                                       "remove one",
                                       key, it->second));
        }
        it->second = key_line;
        skip_space();
        ++pos_;  // ':'
        skip_space();
        value(child);
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == ',') {
          ++pos_;
          skip_space();
        }
      }
      ++pos_;
    } else if (c == '[') {
      ++pos_;
      skip_space();
      std::size_t index = 0;
      while (pos_ < text_.size() && text_[pos_] != ']') {
        const std::string child = pointer + "/" + std::to_string(index++);
        lines_[child] = line_;
        value(child);
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == ',') {
          ++pos_;
          skip_space();
        }
      }
      ++pos_;
    } else if (c == '"') {
      string_token();
    } else {
      while (pos_ < text_.size() &&
             std::string_view(",]} \t\r\n/").find(text_[pos_]) == std::string_view::npos) {
        ++pos_;
      }
    }
  }

  std::string_view text_;
  const std::string& name_;
  DuplicateKeys duplicates_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::map<std::string, std::size_t> lines_;
};

std::size_t line_at_byte(std::string_view text, std::size_t byte, std::size_t first_line = 1) {
  const std::size_t end = std::min(byte, text.size());
  return first_line + static_cast<std::size_t>(std::count(text.begin(), text.begin() + end, '\n'));
}

/// nlohmann's SAX interface, building the value as its own DOM parser does (the last of repeated
/// keys wins), but refusing to open a container deeper than kMaxJsonDepth and keeping the path of
/// the value being read, so that a number out of range can name its field. nlohmann's parser
/// itself is iterative; it is what is done with the value afterwards that recurses.
class BoundedBuilder {
 public:
  using json = nlohmann::json;

  explicit BoundedBuilder(json& root) : root_(root) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(json::number_integer_t value) { return add(value); }
  bool number_unsigned(json::number_unsigned_t value) { return add(value); }
  bool number_float(json::number_float_t value, const json::string_t& /*text*/) {
    return add(value);
  }
  bool string(json::string_t& value) { return add(std::move(value)); }
  bool binary(json::binary_t& value) { return add(json::binary(std::move(value))); }
  bool start_object(std::size_t /*size*/) { return open(json::value_t::object); }
  bool start_array(std::size_t /*size*/) { return open(json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& key) {
    Frame& top = frames_.back();
    const auto it = top.value->get_ref<json::object_t&>().try_emplace(std::move(key)).first;
    top.key = &it->first;
    top.member = &it->second;
    return true;
  }
  bool parse_error(std::size_t position, const std::string& token,
                   const nlohmann::detail::exception& error) {
    error_position_ = position;
    error_token_ = token;
    error_id_ = error.id;
    error_text_ = error.what();
    field_ = current_pointer();
    return false;
  }

  [[nodiscard]] bool too_deep() const { return too_deep_; }
  [[nodiscard]] std::size_t error_position() const { return error_position_; }
  [[nodiscard]] const std::string& error_token() const { return error_token_; }
  [[nodiscard]] int error_id() const { return error_id_; }
  [[nodiscard]] const std::string& error_text() const { return error_text_; }
  /// JSON pointer of the value being read when the error happened.
  [[nodiscard]] const std::string& error_field() const { return field_; }

 private:
  struct Frame {
    json* value;                      ///< The open array or object.
    const std::string* key{nullptr};  ///< Objects: the member being read.
    json* member{nullptr};
  };

  /// Where the next value goes. A parent array may reallocate only while it is the top frame, so
  /// the pointers held by open frames stay valid (std::map nodes never move).
  json* slot() {
    if (frames_.empty()) return &root_;
    Frame& top = frames_.back();
    if (top.value->is_object()) return top.member;
    auto& array = top.value->get_ref<json::array_t&>();
    array.emplace_back();
    return &array.back();
  }
  template <typename Value>
  bool add(Value&& value) {
    *slot() = json(std::forward<Value>(value));
    return true;
  }
  bool open(json::value_t type) {
    if (frames_.size() >= kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    json* value = slot();
    *value = json(type);
    frames_.push_back(Frame{value});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }
  [[nodiscard]] std::string current_pointer() const {
    std::string pointer;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Frame& frame = frames_[i];
      if (frame.value->is_object()) {
        if (frame.key == nullptr) break;
        pointer = append_pointer(pointer, *frame.key);
      } else {
        // An inner frame's container is its parent's last element; the value being read when
        // the error happened is not yet added to the innermost array.
        const std::size_t size = frame.value->size();
        pointer += "/" + std::to_string(i + 1 < frames_.size() ? size - 1 : size);
      }
    }
    return pointer;
  }

  json& root_;
  std::vector<Frame> frames_;
  bool too_deep_ = false;
  std::size_t error_position_ = 0;
  std::string error_token_;
  int error_id_ = 0;
  std::string error_text_;
  std::string field_;
};

/// The byte at which `text` (valid up to there) opens its (kMaxJsonDepth + 1)-th nested container.
std::size_t too_deep_at(std::string_view text, bool comments) {
  std::size_t depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        i += text[i] == '\\' ? 1 : 0;
    } else if (comments && c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      i = std::min(text.find_first_of(kLineCommentEnds, i), text.size());
    } else if (comments && c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const auto end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return text.size();
}

/// Parses with `builder`; false on any error, which the builder then describes.
bool parse_bounded(std::string_view text, BoundedBuilder& builder, bool comments) {
  return nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json,
                                   /*strict=*/true, comments);
}

}  // namespace

std::string append_pointer(const std::string& pointer, std::string_view token) {
  std::string out = pointer + "/";
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

JsonSource::JsonSource(nlohmann::json root, std::string name, std::filesystem::path base_dir,
                       std::map<std::string, std::size_t> lines, std::size_t fixed_line)
    : root_(std::move(root)),
      name_(std::move(name)),
      base_dir_(std::move(base_dir)),
      lines_(std::move(lines)),
      fixed_line_(fixed_line) {}

nlohmann::json parse_json(std::string_view text, const std::string& name, std::size_t first_line,
                          bool comments) {
  nlohmann::json root;
  BoundedBuilder builder(root);
  if (parse_bounded(text, builder, comments)) return root;
  if (builder.too_deep()) {
    throw InputError(
        Location{name, line_at_byte(text, too_deep_at(text, comments), first_line), ""},
        fmt::format("invalid JSON: arrays and objects nested deeper than {} levels",
                    kMaxJsonDepth));
  }
  // nlohmann reports the byte after the offending token.
  const std::size_t byte = builder.error_position() > 0 ? builder.error_position() - 1 : 0;
  const std::size_t line = line_at_byte(text, byte, first_line);
  if (builder.error_id() == 406) {  // out_of_range.406: a number that overflows a double
    throw InputError(Location{name, line, builder.error_field()},
                     fmt::format("number out of range (beyond a double): {}",
                                 builder.error_token().substr(0, 40)));
  }
  // nlohmann's message repeats the position: keep only the part after "syntax error ".
  std::string message = builder.error_text();
  if (const auto p = message.find("syntax error "); p != std::string::npos) {
    message = message.substr(p);
  }
  throw InputError(Location{name, line, ""}, "invalid JSON: " + message);
}

const char* json_type_name(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

nlohmann::json parse_json_or_discarded(std::string_view text) {
  nlohmann::json root;
  BoundedBuilder builder(root);
  if (parse_bounded(text, builder, /*comments=*/false)) return root;
  return nlohmann::json(nlohmann::json::value_t::discarded);
}

std::shared_ptr<const JsonSource> JsonSource::from_file(const std::filesystem::path& path,
                                                        DuplicateKeys duplicates) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Location{path.string(), 0, ""}, "cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return from_text(buffer.str(), path.string(), path.parent_path(), duplicates);
}

std::shared_ptr<const JsonSource> JsonSource::from_text(std::string_view text, std::string name,
                                                        std::filesystem::path base_dir,
                                                        DuplicateKeys duplicates) {
  nlohmann::json root = parse_json(text, name, 1, /*comments=*/true);
  auto lines = LineScanner(text, name, duplicates).scan();
  return std::shared_ptr<const JsonSource>(
      new JsonSource(std::move(root), std::move(name), std::move(base_dir), std::move(lines), 0));
}

std::shared_ptr<const JsonSource> JsonSource::from_value(nlohmann::json value, std::string name,
                                                         std::size_t line,
                                                         std::filesystem::path base_dir) {
  return std::shared_ptr<const JsonSource>(
      new JsonSource(std::move(value), std::move(name), std::move(base_dir), {}, line));
}

std::size_t JsonSource::line_of(const std::string& pointer) const {
  if (fixed_line_ > 0) return fixed_line_;
  const auto it = lines_.find(pointer);
  return it == lines_.end() ? 0 : it->second;
}

ConfigNode::ConfigNode(std::shared_ptr<const JsonSource> source, std::string pointer,
                       const nlohmann::json* value)
    : source_(std::move(source)), pointer_(std::move(pointer)), value_(value) {}

ConfigNode::ConfigNode(std::shared_ptr<const JsonSource> source)
    : source_(std::move(source)), pointer_(), value_(&source_->root()) {}

ConfigNode::ConfigNode() : ConfigNode(JsonSource::from_value(nullptr, "", 0)) {}

Location ConfigNode::location() const {
  return Location{source_->name(), source_->line_of(pointer_), pointer_};
}

void ConfigNode::fail(const std::string& message) const {
  throw InputError(location(), message);
}

std::string ConfigNode::as_string() const {
  if (!value_->is_string()) fail(fmt::format("expected a string, got {}", json_type_name(*value_)));
  return value_->get<std::string>();
}

bool ConfigNode::as_bool() const {
  if (!value_->is_boolean())
    fail(fmt::format("expected true or false, got {}", json_type_name(*value_)));
  return value_->get<bool>();
}

double ConfigNode::as_number() const {
  if (!value_->is_number()) fail(fmt::format("expected a number, got {}", json_type_name(*value_)));
  return value_->get<double>();
}

std::int64_t ConfigNode::as_int(std::int64_t min, std::int64_t max) const {
  std::int64_t v = 0;
  if (value_->is_number_integer()) {
    if (value_->is_number_unsigned() && value_->get<std::uint64_t>() > INT64_MAX) {
      fail("integer out of range");
    }
    v = value_->get<std::int64_t>();
  } else if (value_->is_number_float() &&
             value_->get<double>() == std::floor(value_->get<double>()) &&
             std::abs(value_->get<double>()) < 9.0e15) {
    v = static_cast<std::int64_t>(value_->get<double>());
  } else {
    fail(fmt::format("expected an integer, got {}", json_type_name(*value_)));
  }
  if (v < min || v > max) fail(fmt::format("{} is out of range [{}, {}]", v, min, max));
  return v;
}

std::vector<std::string> ConfigNode::as_string_list() const {
  const auto items = elements();
  std::vector<std::string> out;
  out.reserve(items.size());  // exact: datasets keep millions of these lists
  for (const auto& element : items)
    out.push_back(element.as_string());
  return out;
}

std::filesystem::path ConfigNode::as_path() const {
  const std::string text = as_string();
  // "${NAME}" is replaced by the environment variable NAME (e.g. ${LMMBENCH_DATA}); a lone '$' is
  // literal. An unset or empty variable is an error: a path silently rooted at "/" would read the
  // wrong files.
  std::string expanded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "${") != 0) {
      expanded += text[i];
      continue;
    }
    const auto close = text.find('}', i + 2);
    if (close == std::string::npos) fail("unclosed '${' in path '" + text + "'");
    const std::string name = text.substr(i + 2, close - i - 2);
    const bool valid_name =
        !name.empty() &&
        (std::isalpha(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_') &&
        std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
        });
    if (!valid_name) fail("'${" + name + "}' in path '" + text + "' is not a variable name");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
      fail(
          fmt::format("environment variable {} is not set (the path '{}' needs it); set it, e.g. "
                      "export {}=/path/to/datasets",
                      name, text, name));
    }
    expanded += value;
    i = close;
  }
  const std::filesystem::path p = expanded;
  if (p.empty()) fail("expected a file path, got an empty string");
  return p.is_absolute() ? p : (source_->base_dir() / p).lexically_normal();
}

std::vector<ConfigNode> ConfigNode::elements() const {
  if (!value_->is_array()) fail(fmt::format("expected an array, got {}", json_type_name(*value_)));
  std::vector<ConfigNode> out;
  out.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i) {
    out.emplace_back(source_, pointer_ + "/" + std::to_string(i), &(*value_)[i]);
  }
  return out;
}

ObjectReader ConfigNode::object() const {
  return ObjectReader(*this);
}

namespace {
thread_local KeyRecorder* active_recorder = nullptr;
}  // namespace

KeyRecorder::KeyRecorder() {
  if (active_recorder != nullptr) throw Error("a KeyRecorder is already active on this thread");
  active_recorder = this;
}

KeyRecorder::~KeyRecorder() {
  active_recorder = nullptr;
}

void KeyRecorder::record(const ConfigNode& object, std::string_view key) {
  if (active_recorder == nullptr) return;
  active_recorder->keys_.emplace(object.source().name(), append_pointer(object.pointer(), key));
}

ObjectReader::ObjectReader(ConfigNode node) : node_(std::move(node)) {
  if (!node_.json().is_object()) {
    node_.fail(fmt::format("expected an object, got {}", json_type_name(node_.json())));
  }
}

bool ObjectReader::has(std::string_view key) const {
  const auto it = node_.json().find(key);
  return it != node_.json().end() && !it->is_null();
}

std::optional<ConfigNode> ObjectReader::find(std::string_view key) {
  known_.emplace(key);
  KeyRecorder::record(node_, key);
  const auto it = node_.json().find(key);
  if (it == node_.json().end() || it->is_null()) return std::nullopt;
  return ConfigNode(node_.shared_source(), append_pointer(node_.pointer(), key), &*it);
}

ConfigNode ObjectReader::required(std::string_view key) {
  auto found = find(key);
  if (!found) {
    Location where = node_.location();
    where.field = append_pointer(node_.pointer(), key);
    throw InputError(where, "missing required field");
  }
  return *found;
}

std::string ObjectReader::get_string(std::string_view key, std::string fallback) {
  const auto found = find(key);
  return found ? found->as_string() : std::move(fallback);
}

bool ObjectReader::get_bool(std::string_view key, bool fallback) {
  const auto found = find(key);
  return found ? found->as_bool() : fallback;
}

double ObjectReader::get_number(std::string_view key, double fallback) {
  const auto found = find(key);
  return found ? found->as_number() : fallback;
}

std::int64_t ObjectReader::get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) {
  const auto found = find(key);
  return found ? found->as_int(min, max) : fallback;
}

std::vector<std::string> ObjectReader::get_string_list(std::string_view key,
                                                       std::vector<std::string> fallback) {
  const auto found = find(key);
  return found ? found->as_string_list() : std::move(fallback);
}

void ObjectReader::allow(std::initializer_list<std::string_view> keys) {
  for (const auto key : keys) {
    known_.emplace(key);
    KeyRecorder::record(node_, key);
  }
}

void ObjectReader::finish() const {
  const std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [key, value] : node_.json().items()) {
    if (known_.contains(key)) continue;
    const ConfigNode member(node_.shared_source(), append_pointer(node_.pointer(), key), &value);
    member.fail(fmt::format("unknown field '{}'{}", key, did_you_mean(key, known)));
  }
}

}  // namespace lmmbench
