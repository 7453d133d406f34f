#include "datasets/loader_support.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/file_io.hpp"
#include "core/json_cursor.hpp"
#include "core/sha256.hpp"
#include "datasets/file_beneath.hpp"
#include "datasets/image_io.hpp"

namespace lmmbench::datasets {

void require_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw MissingDataError(Location{path.string(), 0, ""}, fmt::format("{} not found", what));
  }
}

void require_directory(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    throw MissingDataError(Location{path.string(), 0, ""}, fmt::format("{} not found", what));
  }
}

namespace {

/// True when `path` is `root` or below it (both canonical, component by component).
bool is_within(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty() && std::next(r) == root.end()) break;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

Dataset start_dataset(const std::filesystem::path& file, std::string_view what) {
  require_file(file, what);
  Dataset dataset;
  dataset.name = file.stem().string();
  dataset.root = file.parent_path();
  dataset.files.push_back(file);
  return dataset;
}

ResolvedPath resolve_inside(const std::filesystem::path& root, std::string_view relative) {
  ResolvedPath out;
  const std::filesystem::path given(relative);
  if (relative.empty()) {
    out.error = "empty image path";
    return out;
  }
  if (given.is_absolute() || given.has_root_name() || given.has_root_directory()) {
    out.error = fmt::format(
        "absolute image path '{}' refused: image paths must be relative to the dataset root {}",
        relative, root.string());
    return out;
  }
  const auto normal = given.lexically_normal();
  if (!normal.empty() && *normal.begin() == "..") {
    out.error = fmt::format("image path '{}' refused: it leaves the dataset root {} through '..'",
                            relative, root.string());
    return out;
  }
  const auto joined = (root / normal).lexically_normal();
  std::error_code root_error;
  // An empty root is the working directory (a dataset file named without a directory).
  const std::filesystem::path base = root.empty() ? std::filesystem::path(".") : root;
  out.real_root = std::filesystem::weakly_canonical(base, root_error);
  if (root_error) out.real_root = std::filesystem::absolute(base).lexically_normal();
  // Follow every symbolic link on the way (the file itself or any directory above it).
  std::error_code ec;
  const auto real = std::filesystem::weakly_canonical(joined, ec);
  if (ec) {
    out.error = ec == std::errc::too_many_symbolic_link_levels
                    ? fmt::format(
                          "image path '{}' refused: {} is a symbolic link loop (or "
                          "passes through one)",
                          relative, joined.string())
                    : fmt::format("image path '{}': cannot resolve {}: {}", relative,
                                  joined.string(), ec.message());
    return out;
  }
  if (!is_within(real, out.real_root)) {
    out.error = fmt::format(
        "image path '{}' refused: it resolves to {} through a symbolic link, outside the dataset "
        "root {}",
        relative, real.string(), out.real_root.string());
    return out;
  }
  out.path = joined;
  out.beneath = real.lexically_relative(out.real_root);
  return out;
}

ImageBudget read_image_budget(ObjectReader& options) {
  ImageBudget budget;
  budget.max_pixels = static_cast<std::uint64_t>(
      options.get_int("max_image_pixels", static_cast<std::int64_t>(budget.max_pixels), 1));
  budget.memory_bytes = static_cast<std::uint64_t>(options.get_int(
                            "image_memory_mb", static_cast<std::int64_t>(budget.memory_bytes >> 20),
                            0, std::int64_t{1} << 40))
                        << 20;
  return budget;
}

ImageOptions read_image_options(ObjectReader& options, const std::filesystem::path& default_root) {
  ImageOptions o;
  if (const auto root = options.find("image_root")) {
    o.root = root->as_path();
  } else {
    o.root = default_root;
  }
  o.load = options.get_bool("load_images", true);
  o.probe = options.get_bool("verify_images", true);
  o.budget = read_image_budget(options);
  return o;
}

std::vector<SplitFile> read_split_files(ObjectReader& options) {
  std::vector<SplitFile> out;
  if (const auto splits = options.find("splits")) {
    if (options.has("path")) options.required("path").fail("give either \"splits\" or \"path\"");
    ObjectReader reader = splits->object();
    // nlohmann keeps object members sorted by name (POPE's three sort in the order LLaVA and
    // lmms-eval report them).
    for (const auto& [name, value] : splits->json().items())
      out.push_back(SplitFile{name, reader.required(name).as_path()});
    if (out.empty()) splits->fail("expected at least one split");
  } else {
    const auto path = options.required("path");
    out.push_back(SplitFile{options.required_string("split"), path.as_path()});
  }
  return out;
}

ImageOptions read_image_options(ObjectReader& options) {
  ImageOptions o = read_image_options(options, {});
  if (o.load && !options.has("image_root")) options.required("image_root");
  return o;
}

void check_gold_letter(const Sample& sample, const Location& where) {
  if (sample.options.empty()) return;
  for (const auto& reference : sample.references) {
    if (reference.size() != 1 || reference[0] < 'A' || reference[0] > 'Z') continue;
    if (static_cast<std::size_t>(reference[0] - 'A') >= sample.options.size()) {
      throw InputError(where, fmt::format("the gold answer '{}' is not one of the {} options "
                                          "(A-{})",
                                          reference, sample.options.size(),
                                          option_letter(sample.options.size() - 1)));
    }
  }
}

void set_sample_error(Sample& sample, const Location& where, const std::string& message) {
  if (!sample.error.empty()) return;
  const std::string prefix = where.to_string();
  sample.error = prefix.empty() ? message : prefix + ": " + message;
}

std::string ImageAttacher::load_bytes(ImageRef& image, std::string bytes) const {
  image.sha256 = sha256_hex(bytes);
  image.bytes = bytes.size();
  image.max_pixels = options_.budget.max_pixels;
  // The header costs nothing once the bytes are here; a header that does not parse is an error
  // only when verifying (the file name gives the type otherwise, as before).
  // A base64 image is inside the record's own file, which the sample's error names already.
  const auto message = [&image](const InputError& e) {
    return image.base64_length > 0 ? e.detail() : std::string(e.what());
  };
  std::optional<ImageInfo> info;
  std::string probe_error;
  try {
    info = probe_image_bytes(bytes, image.path.string());
  } catch (const InputError& e) {
    probe_error = message(e);
  }
  if (options_.probe) {
    if (!info) return probe_error;
    image.mime_type = info->mime_type;
    image.width = info->width;
    image.height = info->height;
  } else if (image.mime_type.empty()) {
    const auto mime = image_mime_type(image.path);
    if (!mime) {
      return "unsupported image type (expected png, jpg, webp, gif or bmp): " + image.path.string();
    }
    image.mime_type = *mime;
  }
  if (info) {
    try {
      require_pixels_within(info->width, info->height, image.max_pixels, image.path.string());
    } catch (const InputError& e) {
      return message(e);
    }
  }
  if (kept_bytes_ + bytes.size() <= options_.budget.memory_bytes) {
    kept_bytes_ += bytes.size();
    image.data = std::make_shared<const std::string>(std::move(bytes));
  }
  return {};
}

void ImageAttacher::attach(Sample& sample, std::string_view relative, const Location& where,
                           std::vector<std::filesystem::path>& files) const {
  if (!options_.load) return;
  const auto resolved = resolve_inside(options_.root, relative);
  if (!resolved.error.empty()) {
    set_sample_error(sample, where, resolved.error);
    return;
  }
  auto [it, first] = attached_.try_emplace(resolved.path.string());
  Attached& attached = it->second;
  if (first) {
    ImageRef image;
    image.path = resolved.path;
    image.root = resolved.real_root;
    image.beneath = resolved.beneath;
    try {
      attached.error =
          load_bytes(image, read_file_beneath(resolved.real_root, resolved.beneath, resolved.path));
    } catch (const InputError& e) {
      attached.error = e.what();
    }
    if (attached.error.empty()) attached.image = std::move(image);
  }
  if (!attached.error.empty()) {
    set_sample_error(sample, where, attached.error);
    return;
  }
  sample.images.push_back(*attached.image);
  files.push_back(resolved.path);
}

void ImageAttacher::attach_base64(Sample& sample, const std::filesystem::path& file,
                                  std::uint64_t offset, std::uint64_t length,
                                  const Location& where) const {
  if (!options_.load) return;
  auto [it, first] = attached_.try_emplace(fmt::format("{}@{}+{}", file.string(), offset, length));
  Attached& attached = it->second;
  if (!first) {
    if (!attached.error.empty()) {
      set_sample_error(sample, where, attached.error);
    } else {
      sample.images.push_back(*attached.image);
    }
    return;
  }
  ImageRef image;
  image.path = file;
  image.base64_offset = offset;
  image.base64_length = length;
  std::string error;
  try {
    std::string bytes = read_image_bytes(image);
    if (!options_.probe) {
      const auto mime = sniff_image_mime_type(bytes);
      if (!mime) throw InputError(Location{file.string(), 0, ""}, "not a readable image");
      image.mime_type = *mime;
    }
    error = load_bytes(image, std::move(bytes));
  } catch (const InputError& e) {
    error = e.detail();
  }
  if (!error.empty()) {
    attached.error = error;
    set_sample_error(sample, where, error);
    return;
  }
  attached.image = image;
  sample.images.push_back(std::move(image));
}

namespace {

/// True when `path` is a regular file (not a link) whose contents are `bytes`.
bool holds_exactly(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  if (std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::regular ||
      std::filesystem::file_size(path, ec) != bytes.size() || ec) {
    return false;
  }
  try {
    return read_file_bytes(path) == bytes;
  } catch (const InputError&) {
    return false;
  }
}

}  // namespace

void ImageAttacher::attach_bytes(Sample& sample, std::string bytes,
                                 const std::filesystem::path& extract_dir,
                                 const Location& where) const {
  if (!options_.load) return;
  const std::string digest = sha256_hex(bytes);
  auto [it, first] = attached_.try_emplace("sha256:" + digest);
  Attached& attached = it->second;
  if (first) {
    ImageRef image;
    // No path until extracted: a message about the bytes is prefixed with `where` (the cell).
    const auto mime = sniff_image_mime_type(bytes);
    if (!mime) {
      attached.error = "not a readable image (no PNG, JPEG, GIF, BMP or WebP signature)";
    } else {
      image.mime_type = *mime;
      std::string kept = bytes;  // load_bytes keeps its argument only while the budget lasts
      attached.error = load_bytes(image, std::move(kept));
    }
    if (attached.error.empty()) {
      const std::string extension = image.mime_type.substr(image.mime_type.find('/') + 1);
      const std::filesystem::path name = digest + "." + (extension == "jpeg" ? "jpg" : extension);
      std::error_code ec;
      std::filesystem::create_directories(extract_dir, ec);
      const auto target = extract_dir / name;
      // A file already there is reused only when it is a regular file (not a link: requests
      // read beneath the cache without following one) with exactly these bytes.
      if (!holds_exactly(target, bytes)) {
        try {
          write_file_atomic(target, bytes);
        } catch (const std::exception& e) {
          attached_.erase(it);
          throw InputError(Location{extract_dir.string(), 0, ""},
                           fmt::format("cannot extract the dataset's embedded images here ({}); "
                                       "set the dataset's \"image_cache\" to a writable directory",
                                       e.what()));
        }
      }
      const auto resolved = resolve_inside(extract_dir, name.string());
      image.path = resolved.path;
      image.root = resolved.real_root;
      image.beneath = resolved.beneath;
      attached.image = std::move(image);
    }
  }
  if (!attached.error.empty()) {
    set_sample_error(sample, where, attached.error);
    return;
  }
  sample.images.push_back(*attached.image);
}

std::string id_text(const ConfigNode& node) {
  const auto& v = node.json();
  std::string id;
  if (v.is_number_integer()) {
    id = v.dump();
  } else if (v.is_string()) {
    id = v.get<std::string>();
  } else {
    node.fail("expected an id (an integer or a string)");
  }
  if (id.empty()) node.fail("sample id must not be empty");
  return id;
}

void IdSet::insert(const std::string& id, const ConfigNode& where) {
  if (!seen_.insert(id).second) where.fail(fmt::format("duplicate sample id '{}'", id));
}

void IdSet::insert(const std::string& id, const Location& where) {
  if (!seen_.insert(id).second)
    throw InputError(where, fmt::format("duplicate sample id '{}'", id));
}

std::string IdDisambiguator::next(const std::string& source_id) {
  const std::size_t n = ++counts_[source_id];
  return n == 1 ? source_id : source_id + "#" + std::to_string(n);
}

void finish_files(Dataset& dataset) {
  std::sort(dataset.files.begin(), dataset.files.end());
  dataset.files.erase(std::unique(dataset.files.begin(), dataset.files.end()), dataset.files.end());
}

namespace {

/// Counts lines incrementally while records are handed out in order.
class LineTracker {
 public:
  explicit LineTracker(std::string_view text) : text_(text) {}
  std::size_t line_at(const char* at) {
    const auto offset = static_cast<std::size_t>(at - text_.data());
    line_ += static_cast<std::size_t>(
        std::count(text_.begin() + static_cast<std::ptrdiff_t>(offset_),
                   text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    offset_ = offset;
    return line_;
  }

 private:
  std::string_view text_;
  std::size_t offset_ = 0;
  std::size_t line_ = 1;
};

using RecordHandler = std::function<void(const ConfigNode&, const std::string&)>;

/// Where one record's bytes are.
struct RecordSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string key;  ///< Member name; empty for array elements.
};

/// The fast path: JsonCursor checks the grammar and finds each record's bytes without building a
/// DOM. Returns false when the cursor declines anything (invalid JSON, or valid JSON it leaves
/// alone); nothing has been handed out then, and the caller falls back to the full parser.
bool scan_records(std::string_view text, std::string_view member, bool& member_found, char& kind,
                  std::vector<RecordSpan>& spans) {
  JsonCursor in(text);
  if (!member.empty()) {
    if (!in.consume('{')) return false;
    std::string key;
    bool done = false;
    for (bool first = true;; first = false) {
      if (!in.next('}', first, done)) return false;
      if (done) return in.at_end();  // the member is absent
      if (!in.read_string(key) || !in.consume(':')) return false;
      if (key == member) break;
      if (!in.skip_value()) return false;
    }
  }
  member_found = true;
  kind = in.peek();
  if (kind != '[' && kind != '{') return false;
  (void)in.consume(kind);
  const char close = kind == '[' ? ']' : '}';
  bool done = false;
  for (bool first = true;; first = false) {
    if (!in.next(close, first, done)) return false;
    if (done) break;
    RecordSpan span;
    if (kind == '{' && (!in.read_string(span.key) || !in.consume(':'))) return false;
    (void)in.peek();
    span.begin = static_cast<std::size_t>(in.position() - text.data());
    if (!in.skip_value()) return false;
    span.end = static_cast<std::size_t>(in.position() - text.data());
    spans.push_back(std::move(span));
  }
  if (member.empty()) return in.at_end();
  // The rest of the enclosing object must be well-formed too.
  for (;;) {
    if (!in.next('}', false, done)) return false;
    if (done) return in.at_end();
    std::string key;
    if (!in.read_string(key) || !in.consume(':') || !in.skip_value()) return false;
  }
}

}  // namespace

void for_each_json_record(const std::filesystem::path& path, std::string_view member,
                          const RecordHandler& on_record) {
  require_file(path, "dataset file");
  std::string text = read_file_bytes(path);
  const std::string name = path.string();
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  const std::size_t skipped = text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
  const std::string_view body = std::string_view(text).substr(skipped);
  bool member_found = false;
  char kind = 0;
  std::vector<RecordSpan> spans;
  if (scan_records(body, member, member_found, kind, spans)) {
    if (!member_found) {
      throw InputError(Location{name, 1, append_pointer("", member)}, "missing required field");
    }
    const std::string prefix = member.empty() ? std::string() : append_pointer("", member);
    LineTracker lines(body);
    for (std::size_t i = 0; i < spans.size(); ++i) {
      const auto& span = spans[i];
      const std::size_t line = lines.line_at(body.data() + span.begin);
      auto source = JsonSource::from_value(
          parse_json(body.substr(span.begin, span.end - span.begin), name, line), name, line,
          path.parent_path());
      const std::string pointer =
          kind == '[' ? prefix + "/" + std::to_string(i) : append_pointer(prefix, span.key);
      const auto* root = &source->root();
      on_record(ConfigNode(std::move(source), pointer, root), span.key);
    }
    return;
  }
  // Invalid JSON (the full parser names the line), or valid JSON the cursor leaves alone (nesting
  // deeper than JsonCursor::kMaxDepth, numbers beyond a double). Object members then come in
  // nlohmann's key order rather than file order.
  const ConfigNode document(
      JsonSource::from_text(text, name, path.parent_path(), DuplicateKeys::last_wins));
  ConfigNode records = document;
  if (!member.empty()) records = ObjectReader(document).required(member);
  if (records.is_array()) {
    for (const auto& element : records.elements())
      on_record(element, std::string());
  } else if (records.is_object()) {
    for (const auto& [key, value] : records.json().items()) {
      on_record(ConfigNode(records.shared_source(), append_pointer(records.pointer(), key), &value),
                key);
    }
  } else {
    records.fail("expected an array or an object of records");
  }
}

std::optional<std::string> top_level_string(const std::filesystem::path& path,
                                            std::string_view key) {
  const std::string text = read_file_bytes(path);
  JsonCursor in(text);
  if (!in.consume('{')) return std::nullopt;
  std::string name;
  bool done = false;
  for (bool first = true;; first = false) {
    if (!in.next('}', first, done) || done) return std::nullopt;
    if (!in.read_string(name) || !in.consume(':')) return std::nullopt;
    if (name == key) {
      std::string value;
      if (in.peek() != '"' || !in.read_string(value)) return std::nullopt;
      return value;
    }
    if (!in.skip_value()) return std::nullopt;
  }
}

namespace {

/// Calls `on_placeholder(name, width)` for each "{name}" / "{name:0N}" and `on_text` for the rest.
template <typename Text, typename Placeholder>
void scan_template(const std::string& text, const ConfigNode& where, Text on_text,
                   Placeholder on_placeholder) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      on_text(text[i]);
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string::npos) where.fail("unclosed '{' in template '" + text + "'");
    std::string name = text.substr(i + 1, close - i - 1);
    int width = 0;
    if (const auto colon = name.find(':'); colon != std::string::npos) {
      const std::string spec = name.substr(colon + 1);
      name.resize(colon);
      const bool ok =
          spec.size() >= 2 && spec[0] == '0' &&
          std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!ok)
        where.fail("placeholder format must be ':0N' (zero-padded width), not ':" + spec + "'");
      width = std::stoi(spec.substr(1));
    }
    on_placeholder(name, width);
    i = close;
  }
}

}  // namespace

std::string expand_template(const std::string& text,
                            const std::vector<std::pair<std::string, std::string>>& values,
                            const ConfigNode& where) {
  std::string out;
  scan_template(
      text, where, [&](char c) { out += c; },
      [&](const std::string& name, int width) {
        const auto it = std::find_if(values.begin(), values.end(),
                                     [&](const auto& v) { return v.first == name; });
        if (it == values.end()) where.fail("unknown placeholder {" + name + "} in template");
        if (static_cast<int>(it->second.size()) < width) {
          out.append(static_cast<std::size_t>(width) - it->second.size(), '0');
        }
        out += it->second;
      });
  return out;
}

void validate_template_names(const std::string& text, const std::vector<std::string>& names,
                             const ConfigNode& where) {
  scan_template(
      text, where, [](char) {},
      [&](const std::string& name, int) {
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          where.fail(fmt::format("unknown placeholder {{{}}} in template; known: {{{}}}", name,
                                 fmt::join(names, "}, {")));
        }
      });
}

std::optional<ConfigNode> find_path(const ConfigNode& record, const std::string& path) {
  const nlohmann::json* value = &record.json();
  std::string pointer = record.pointer();
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const std::string step =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (value->is_object()) {
      const auto it = value->find(step);
      if (it == value->end()) return std::nullopt;
      value = &*it;
      pointer = append_pointer(pointer, step);
    } else if (value->is_array() && !step.empty() && step.size() < 10 &&
               step.find_first_not_of("0123456789") == std::string::npos) {
      const auto index = static_cast<std::size_t>(std::stoul(step));
      if (index >= value->size()) return std::nullopt;
      value = &(*value)[index];
      pointer += "/" + step;
    } else {
      return std::nullopt;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (value->is_null()) return std::nullopt;
  return ConfigNode(record.shared_source(), pointer, value);
}

ConfigNode read_json_file(const std::filesystem::path& path, std::string_view what) {
  require_file(path, what);
  return ConfigNode(JsonSource::from_file(path, DuplicateKeys::last_wins));
}

}  // namespace lmmbench::datasets
