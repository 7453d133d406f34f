#include "datasets/vlmevalkit_tsv.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "core/text.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

bool is_pandas_na(std::string_view cell) {
  static constexpr std::array<std::string_view, 19> kNa = {
      "",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
      "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
      "NaN",  "None",   "n/a",      "nan",  "null"};
  return std::find(kNa.begin(), kNa.end(), cell) != kNa.end();
}

namespace {

/// One cell of a record: a view of the record's bytes when unquoted, its unescaped text when
/// quoted. `begin` is the cell's byte offset within the record.
struct Cell {
  std::size_t begin = 0;
  bool quoted = false;
  std::string_view raw;
  std::string unquoted;
  [[nodiscard]] std::string_view text() const { return quoted ? std::string_view(unquoted) : raw; }
};

/// Splits one record into cells; nullopt when it ends inside a quoted cell (the record continues
/// on the next line). Throws at `where` for text after a closing quote.
std::optional<std::vector<Cell>> split_record(std::string_view record, const Location& where) {
  std::vector<Cell> cells;
  std::size_t i = 0;
  for (;;) {
    Cell cell;
    cell.begin = i;
    if (i < record.size() && record[i] == '"') {
      cell.quoted = true;
      ++i;
      for (;;) {
        if (i >= record.size()) return std::nullopt;
        if (record[i] == '"') {
          if (i + 1 < record.size() && record[i + 1] == '"') {
            cell.unquoted += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell.unquoted += record[i++];
      }
      if (i < record.size() && record[i] != '\t' && record[i] != '\r') {
        throw InputError(
            where, fmt::format("text after the closing quote of column {}", cells.size() + 1));
      }
    } else {
      const auto tab = record.find('\t', i);
      const std::size_t end = tab == std::string_view::npos ? record.size() : tab;
      cell.raw = record.substr(i, end - i);
      if (cell.raw.ends_with('\r') && end == record.size()) cell.raw.remove_suffix(1);
      i = end;
    }
    cells.push_back(std::move(cell));
    if (i >= record.size() || record[i] == '\r') return cells;
    ++i;  // the tab
  }
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void append_utf8(std::string& out, std::uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// One Python string literal ('...' or "...", optionally u-prefixed) starting at `i`; advances
/// `i` past it. The escapes of Python's str literals; an unknown escape keeps its backslash, as
/// Python does. nullopt when the text is no such literal (a raw line break inside, no closing
/// quote, a bad \x/\u/\U escape).
std::optional<std::string> python_string(std::string_view text, std::size_t& i) {
  if (i < text.size() && (text[i] == 'u' || text[i] == 'U')) ++i;
  if (i >= text.size() || (text[i] != '\'' && text[i] != '"')) return std::nullopt;
  const char quote = text[i++];
  std::string out;
  auto hex = [&](std::size_t digits) -> std::optional<std::uint32_t> {
    if (i + digits > text.size()) return std::nullopt;
    std::uint32_t value = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      const char c = text[i + k];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return std::nullopt;
      value = value * 16 + static_cast<std::uint32_t>(d);
    }
    i += digits;
    if (value > 0x10FFFF) return std::nullopt;
    return value;
  };
  while (i < text.size()) {
    const char c = text[i++];
    if (c == quote) return out;
    if (c == '\n' || c == '\r') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= text.size()) return std::nullopt;
    const char e = text[i++];
    switch (e) {
      case '\n':
        break;  // a line continuation
      case '\\':
      case '\'':
      case '"':
        out += e;
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const auto value = hex(e == 'x' ? 2 : e == 'u' ? 4 : 8);
        if (!value) return std::nullopt;
        append_utf8(out, *value);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          std::uint32_t value = static_cast<std::uint32_t>(e - '0');
          for (int k = 0; k < 2 && i < text.size() && text[i] >= '0' && text[i] <= '7'; ++k)
            value = value * 8 + static_cast<std::uint32_t>(text[i++] - '0');
          append_utf8(out, value);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
  return std::nullopt;
}

/// The strings of `cell` when it is a Python list of string literals (`['120', "1 2"]`, what
/// VLMEvalKit writes for several answers and reads back with eval); nullopt otherwise (the cell
/// is then one answer, as VLMEvalKit's istype(answer, list) makes it when eval fails).
std::optional<std::vector<std::string>> python_string_list(std::string_view cell) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t i = 0;
  auto skip = [&] {
    while (i < cell.size() && is_space(cell[i]))
      ++i;
  };
  skip();
  if (i >= cell.size() || cell[i] != '[') return std::nullopt;
  ++i;
  std::vector<std::string> items;
  for (;;) {
    skip();
    if (i < cell.size() && cell[i] == ']') break;
    auto item = python_string(cell, i);
    if (!item) return std::nullopt;
    items.push_back(std::move(*item));
    skip();
    if (i < cell.size() && cell[i] == ',') {
      ++i;
      continue;
    }
    if (i < cell.size() && cell[i] == ']') break;
    return std::nullopt;
  }
  ++i;
  skip();
  if (i != cell.size()) return std::nullopt;
  return items;
}

}  // namespace

Dataset VlmEvalKitTsvLoader::load() const {
  Dataset dataset = start_dataset(options_.path, "VLMEvalKit TSV file");
  const ImageAttacher images(options_.images);
  const std::string file = options_.path.string();

  std::uint64_t offset = 0;  // of the current line
  {
    std::ifstream in(options_.path, std::ios::binary);
    char bom[3] = {};
    in.read(bom, 3);
    if (in.gcount() == 3 && std::string_view(bom, 3) == "\xEF\xBB\xBF") offset = 3;
  }
  std::vector<std::string> columns;
  std::unordered_map<std::string, std::size_t> column_of;
  std::string pending;  // a record that continues past its first line
  std::uint64_t pending_offset = 0;
  std::size_t pending_line = 0;
  IdSet ids;
  struct Span {
    std::uint64_t offset;
    std::uint64_t length;
  };
  std::unordered_map<std::string, Span> image_of_index;
  std::vector<std::pair<std::size_t, std::string>> shared_images;  // sample, referenced index
  std::vector<Location> shared_where;

  auto column = [&](std::string_view name) -> std::optional<std::size_t> {
    const auto it = column_of.find(std::string(name));
    return it == column_of.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  };

  auto handle_record = [&](std::string_view record, std::uint64_t record_offset,
                           std::size_t line) -> bool {
    const Location where{file, line, ""};
    auto cells = split_record(record, where);
    if (!cells) return false;
    if (columns.empty()) {
      for (const auto& cell : *cells) {
        columns.emplace_back(cell.text());
        column_of.emplace(columns.back(), columns.size() - 1);
      }
      for (const char* required : {"index", "question"}) {
        if (!column_of.contains(required)) {
          throw InputError(Location{file, line, required},
                           fmt::format("missing required column '{}'", required));
        }
      }
      return true;
    }
    if (cells->size() != columns.size()) {
      throw InputError(where, fmt::format("expected {} tab-separated columns, found {}",
                                          columns.size(), cells->size()));
    }
    auto cell = [&](std::size_t c) { return (*cells)[c].text(); };
    auto at = [&](std::string_view name) { return Location{file, line, std::string(name)}; };
    Sample sample;
    const std::string index(trim(cell(*column("index"))));
    if (!all_digits(index)) {
      throw InputError(at("index"),
                       fmt::format("expected a non-negative integer, got '{}'", index));
    }
    sample.id = index;
    ids.insert(sample.id, at("index"));
    sample.question = std::string(cell(*column("question")));
    for (std::size_t k = 0; k < 26; ++k) {
      const auto c = column(std::string(1, option_letter(k)));
      if (!c || is_pandas_na(cell(*c))) {
        // A later letter with text after a missing one would shift every letter.
        for (std::size_t j = k + 1; j < 26; ++j) {
          const auto later = column(std::string(1, option_letter(j)));
          if (later && !is_pandas_na(cell(*later))) {
            throw InputError(at(std::string(1, option_letter(j))),
                             fmt::format("option {} is given but option {} is empty",
                                         option_letter(j), option_letter(k)));
          }
        }
        break;
      }
      sample.options.emplace_back(cell(*c));
    }
    if (const auto c = column("answer"); c && !is_pandas_na(cell(*c))) {
      if (auto answers = python_string_list(cell(*c))) {
        if (answers->empty()) throw InputError(at("answer"), "the list of answers is empty");
        sample.references = std::move(*answers);
      } else {
        sample.references = {std::string(trim(cell(*c)))};
      }
      check_gold_letter(sample, at("answer"));
    }
    if (const auto c = column("category"); c && !is_pandas_na(cell(*c))) {
      sample.category = std::string(cell(*c));
    }
    const auto number = std::stoull(index.size() > 18 ? index.substr(index.size() - 18) : index);
    sample.meta["index"] = number;
    sample.meta["group"] = std::to_string(number % 1'000'000);
    sample.meta["hint"] = "";
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto& name = columns[c];
      if (name == "index" || name == "question" || name == "answer" || name == "category" ||
          name == "image" || name == "image_path" ||
          (name.size() == 1 && name[0] >= 'A' && name[0] <= 'Z')) {
        continue;
      }
      const std::string key = name == "l2-category" ? "l2_category" : name;
      sample.meta[key] = is_pandas_na(cell(c)) ? std::string() : std::string(cell(c));
    }
    const auto image = column("image");
    if (image && !is_pandas_na(cell(*image))) {
      const Cell& c = (*cells)[*image];
      const std::string_view text = c.text();
      if (text.size() <= 64 && all_digits(trim(text))) {
        shared_images.emplace_back(dataset.samples.size(), std::string(trim(text)));
        shared_where.push_back(at("image"));
      } else if (c.quoted || text.starts_with("[")) {
        set_sample_error(sample, at("image"),
                         "a list of images or a quoted image cell is not supported");
      } else {
        const Span span{record_offset + c.begin, c.raw.size()};
        image_of_index[sample.id] = span;
        images.attach_base64(sample, options_.path, span.offset, span.length, at("image"));
      }
    } else if (const auto path = column("image_path"); path && !is_pandas_na(cell(*path))) {
      images.attach(sample, trim(cell(*path)), at("image_path"), dataset.files);
    }
    dataset.samples.push_back(std::move(sample));
    return true;
  };

  for_each_line(options_.path, [&](std::size_t line, std::string_view text) {
    const std::uint64_t line_offset = offset;
    offset += text.size() + 1;
    if (!pending.empty()) {
      pending += '\n';
      pending += text;
      if (handle_record(pending, pending_offset, pending_line)) pending.clear();
      return;
    }
    if (trim(text).empty() && !columns.empty()) return;
    if (!handle_record(text, line_offset, line)) {
      pending.assign(text);
      pending_offset = line_offset;
      pending_line = line;
    }
  });
  if (!pending.empty()) {
    throw InputError(Location{file, pending_line, ""}, "a quoted cell is never closed");
  }
  if (columns.empty()) throw InputError(Location{file, 1, ""}, "the file has no header row");
  if (dataset.samples.empty()) {
    throw InputError(Location{file, 1, ""}, "the file has a header row but no records");
  }

  for (std::size_t k = 0; k < shared_images.size(); ++k) {
    auto& [position, index] = shared_images[k];
    Sample& sample = dataset.samples[position];
    const auto it = image_of_index.find(index);
    if (it == image_of_index.end()) {
      set_sample_error(sample, shared_where[k],
                       fmt::format("the image refers to row index {}, which has no image", index));
      continue;
    }
    images.attach_base64(sample, options_.path, it->second.offset, it->second.length,
                         shared_where[k]);
  }
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> VlmEvalKitTsvLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  const auto image = read_image_options(options, o.path.parent_path() / "images" / o.path.stem());
  o.images = image;
  options.finish();
  return std::make_unique<VlmEvalKitTsvLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
