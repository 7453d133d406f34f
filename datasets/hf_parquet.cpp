#include "datasets/hf_parquet.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "core/python_literal.hpp"
#include "datasets/parquet_rows.hpp"
#include "datasets/vlmevalkit_tsv.hpp"

namespace lmmbench::datasets {

namespace {

/// The JSON type of a cell in words, for "expected ..., got ..." messages.
std::string type_name(const nlohmann::json& value) {
  if (value.is_binary()) return "binary";
  if (value.is_object()) return "a struct";
  if (value.is_array()) return "a list";
  return value.type_name();
}

[[noreturn]] void wrong_type(const Location& where, std::string_view expected,
                             const nlohmann::json& value) {
  throw InputError(where, fmt::format("expected {}, got {}", expected, type_name(value)));
}

std::string scalar_text(const nlohmann::json& value, const Location& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  wrong_type(where, "a string or a number", value);
}

std::vector<std::string> answer_list(const nlohmann::json& value, const Location& where) {
  if (!value.is_array()) return {scalar_text(value, where)};
  std::vector<std::string> out;
  for (const auto& element : value) {
    if (element.is_object()) {
      const auto it = element.find("answer");
      if (it == element.end()) wrong_type(where, "a list of {answer: ...} structs", element);
      out.push_back(scalar_text(*it, where));
    } else {
      out.push_back(scalar_text(element, where));
    }
  }
  return out;
}

/// True when `value` is or holds binary bytes (an image struct), which meta must not carry: the
/// run record and the scores file would hold the image as a list of numbers.
bool holds_binary(const nlohmann::json& value) {
  if (value.is_binary()) return true;
  if (value.is_structured()) {
    for (const auto& element : value)
      if (holds_binary(element)) return true;
  }
  return false;
}

std::filesystem::path default_image_cache() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "lmmbench" / "images";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".cache" / "lmmbench" / "images";
  }
  return std::filesystem::temp_directory_path() / "lmmbench-images";
}

/// Attaches the image(s) of one cell: a Hugging Face image struct<bytes, path>, binary bytes, or
/// a list of those; null is no image.
void attach_cell(const ImageAttacher& images, Sample& sample, const nlohmann::json& value,
                 const std::filesystem::path& cache, const Location& where) {
  if (value.is_null()) return;
  if (value.is_array()) {
    for (const auto& element : value)
      attach_cell(images, sample, element, cache, where);
    return;
  }
  const nlohmann::json* bytes = &value;
  if (value.is_object()) {
    const auto it = value.find("bytes");
    if (it == value.end()) wrong_type(where, "an image struct<bytes, path>", value);
    if (it->is_null()) {
      const auto path = value.find("path");
      set_sample_error(sample, where,
                       fmt::format("the image has no embedded bytes (path {}); only images "
                                   "stored in the file are read",
                                   path != value.end() ? path->dump() : "null"));
      return;
    }
    bytes = &*it;
  }
  if (!bytes->is_binary()) wrong_type(where, "image bytes (binary or struct<bytes, path>)", value);
  const auto& b = bytes->get_binary();
  images.attach_bytes(sample, std::string(b.begin(), b.end()), cache, where);
}

}  // namespace

Dataset HfParquetLoader::load() const {
  const auto& o = options_;
  Dataset dataset = start_dataset(o.paths.front(), "parquet file");
  for (std::size_t f = 1; f < o.paths.size(); ++f) {
    require_file(o.paths[f], "parquet file");
    dataset.files.push_back(o.paths[f]);
  }
  const ImageAttacher images(o.images);
  // The columns read, in this order: the mapped ones, each once.
  std::vector<std::string> columns;
  auto column = [&columns](const std::string& name) {
    const auto it = std::find(columns.begin(), columns.end(), name);
    if (it != columns.end()) return static_cast<std::size_t>(it - columns.begin());
    columns.push_back(name);
    return columns.size() - 1;
  };
  const auto question = o.question ? std::optional(column(*o.question)) : std::nullopt;
  const auto id = o.id ? std::optional(column(*o.id)) : std::nullopt;
  const auto answers = o.answers ? std::optional(column(*o.answers)) : std::nullopt;
  const auto answer_index = o.answer_index ? std::optional(column(*o.answer_index)) : std::nullopt;
  // A mapped column, or a member of a struct column ("metadata.task": MathVista's metadata).
  struct Ref {
    std::size_t column;
    std::string member;
  };
  auto ref = [&column](const std::string& name) {
    const std::size_t dot = name.find('.');
    return dot == std::string::npos ? Ref{column(name), {}}
                                    : Ref{column(name.substr(0, dot)), name.substr(dot + 1)};
  };
  const auto category = o.category ? std::optional(ref(*o.category)) : std::nullopt;
  std::vector<std::size_t> option_columns;
  for (const auto& name : o.options)
    option_columns.push_back(column(name));
  std::vector<std::size_t> image_columns;
  for (const auto& name : o.images_columns)
    image_columns.push_back(column(name));
  std::vector<std::size_t> image_file_columns;
  for (const auto& name : o.image_file_columns)
    image_file_columns.push_back(column(name));
  std::vector<std::pair<std::string, Ref>> meta;
  for (const auto& [key, name] : o.meta)
    meta.emplace_back(key, ref(name));

  IdSet ids;
  std::uint64_t position = 0;  // over all files: the default id
  for (const auto& path : o.paths) {
    const std::string file = path.string();
    for_each_parquet_row(
        path, columns, [&](std::uint64_t row, const std::vector<nlohmann::json>& cells) {
          auto at = [&](std::size_t c) { return Location{file, row + 1, columns[c]}; };
          auto value_of = [&](const Ref& r) -> const nlohmann::json& {
            const nlohmann::json& cell = cells[r.column];
            if (r.member.empty() || cell.is_null()) return cell;
            if (!cell.is_object()) {
              wrong_type(at(r.column), fmt::format("a struct with a member '{}'", r.member), cell);
            }
            const auto it = cell.find(r.member);
            if (it == cell.end()) {
              throw InputError(at(r.column),
                               fmt::format("the struct has no member '{}'", r.member));
            }
            return *it;
          };
          Sample sample;
          if (id) {
            const auto& value = cells[*id];
            if (!value.is_string() && !value.is_number_integer()) {
              wrong_type(at(*id), "an id (a string or an integer)", value);
            }
            sample.id = value.is_string() ? value.get<std::string>() : value.dump();
            if (sample.id.empty()) throw InputError(at(*id), "sample id must not be empty");
            ids.insert(sample.id, at(*id));
          } else {
            sample.id = std::to_string(position);
          }
          ++position;
          if (question) {
            if (!cells[*question].is_string()) {
              wrong_type(at(*question), "a string", cells[*question]);
            }
            sample.question = cells[*question].get<std::string>();
          }
          if (answers && !cells[*answers].is_null()) {
            sample.references = answer_list(cells[*answers], at(*answers));
          }
          if (o.options_list) {
            const auto& value = cells[option_columns.front()];
            if (value.is_string()) {
              // lmms-lab/MMMU stores the list as its Python repr ("['1', '2']"), which lmms-eval
              // reads with ast.literal_eval.
              auto list = parse_python_string_list(value.get_ref<const std::string&>());
              if (!list) {
                wrong_type(at(option_columns.front()),
                           "a list, or a string holding a Python list of strings", value);
              }
              sample.options = std::move(*list);
            } else if (!value.is_null()) {
              if (!value.is_array()) wrong_type(at(option_columns.front()), "a list", value);
              for (const auto& element : value)
                sample.options.push_back(scalar_text(element, at(option_columns.front())));
            }
          } else {
            for (std::size_t k = 0; k < option_columns.size(); ++k) {
              const auto& value = cells[option_columns[k]];
              const bool absent =
                  value.is_null() ||
                  (value.is_string() && is_pandas_na(value.get_ref<const std::string&>()));
              if (!absent && sample.options.size() < k) {
                throw InputError(
                    at(option_columns[k]),
                    fmt::format("option {} is given but option {} is empty", option_letter(k),
                                option_letter(sample.options.size())));
              }
              if (!absent) sample.options.push_back(scalar_text(value, at(option_columns[k])));
            }
          }
          if (answer_index && !cells[*answer_index].is_null()) {
            const auto& value = cells[*answer_index];
            if (!value.is_number_integer()) wrong_type(at(*answer_index), "an integer", value);
            const auto k = value.get<std::int64_t>();
            if (k < 0 || static_cast<std::uint64_t>(k) >= sample.options.size()) {
              throw InputError(at(*answer_index),
                               fmt::format("answer index {} is beyond the {} options", k,
                                           sample.options.size()));
            }
            sample.references = {std::string(1, option_letter(static_cast<std::size_t>(k)))};
          }
          if (answers) check_gold_letter(sample, at(*answers));
          if (category && !value_of(*category).is_null()) {
            sample.category = scalar_text(value_of(*category), at(category->column));
          }
          for (const auto& [key, r] : meta) {
            const nlohmann::json& value = value_of(r);
            if (holds_binary(value)) {
              throw InputError(at(r.column),
                               "meta cannot hold binary bytes (an image column belongs in "
                               "\"images\")");
            }
            sample.meta[key] = value;
          }
          for (const auto c : image_columns)
            attach_cell(images, sample, cells[c], o.image_cache, at(c));
          for (const auto c : image_file_columns) {
            const auto& value = cells[c];
            if (value.is_null()) continue;
            if (!value.is_string()) wrong_type(at(c), "an image file name (a string)", value);
            images.attach(sample, value.get_ref<const std::string&>(), at(c), dataset.files);
          }
          dataset.samples.push_back(std::move(sample));
        });
  }
  if (dataset.samples.empty()) {
    throw InputError(Location{o.paths.front().string(), 0, ""}, "the parquet files have no rows");
  }
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> HfParquetLoader::create(ObjectReader& options) {
  Options o;
  const auto path = options.required("path");
  if (path.is_array()) {
    for (const auto& element : path.elements())
      o.paths.push_back(element.as_path());
    if (o.paths.empty()) path.fail("expected at least one parquet file");
  } else {
    o.paths.push_back(path.as_path());
  }
  ObjectReader fields = options.required("fields").object();
  auto name = [](const ConfigNode& node) {
    std::string text = node.as_string();
    if (text.empty()) node.fail("expected a column name, got an empty string");
    return text;
  };
  auto optional = [&](std::string_view key) -> std::optional<std::string> {
    if (const auto node = fields.find(key)) return name(*node);
    return std::nullopt;
  };
  auto names = [&](const ConfigNode& node) {
    std::vector<std::string> out;
    for (const auto& element : node.elements())
      out.push_back(name(element));
    if (out.empty()) node.fail("expected at least one column name");
    return out;
  };
  o.id = optional("id");
  // Caption sets (lmms-lab/NoCaps, lmms-lab/flickr30k) have no question column: the prompt is
  // the task's.
  o.question = optional("question");
  o.answers = optional("answers");
  o.answer_index = optional("answer_index");
  o.category = optional("category");
  if (const auto node = fields.find("options")) {
    o.options_list = !node->is_array();
    o.options = o.options_list ? std::vector{name(*node)} : names(*node);
    if (o.options.size() > 26) node->fail("expected at most 26 option columns (A-Z)");
  }
  if (o.answer_index && o.options.empty()) {
    fields.required("answer_index").fail("\"answer_index\" needs \"options\"");
  }
  if (const auto node = fields.find("images")) {
    o.images_columns = node->is_array() ? names(*node) : std::vector{name(*node)};
  }
  if (const auto node = fields.find("image_files")) {
    o.image_file_columns = node->is_array() ? names(*node) : std::vector{name(*node)};
  }
  if (const auto meta = fields.find("meta")) {
    ObjectReader reader = meta->object();
    for (const auto& [key, value] : meta->json().items())
      o.meta.emplace_back(key, name(reader.required(key)));
    reader.finish();
  }
  fields.finish();
  o.image_cache = options.find("image_cache") ? options.required("image_cache").as_path()
                                              : default_image_cache();
  if (o.image_file_columns.empty() && options.has("image_root")) {
    options.required("image_root")
        .fail(
            "\"image_root\" is only used with \"fields.image_files\" (images in the parquet file "
            "need no root)");
  }
  o.images = read_image_options(options, {});
  if (!o.image_file_columns.empty() && o.images.load && o.images.root.empty()) {
    options.node().fail(
        "\"image_root\" is required with \"fields.image_files\" (the folder the file names are "
        "in)");
  }
  options.finish();
  return std::make_unique<HfParquetLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
