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
#include "core/python_literal.hpp"
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
      if (auto answers = parse_python_string_list(cell(*c))) {
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
