#include "harness/submission.hpp"

#include <array>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "metrics/answer_processing.hpp"
#include "reports/escape.hpp"

namespace lmmbench::harness {

namespace {

// ---- ZIP (PKWARE APPNOTE 6.3.x, stored entries only) --------------------------------------------

std::uint32_t crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFU;
  for (const char byte : bytes)
    c = table[(c ^ static_cast<unsigned char>(byte)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

/// A ZIP archive of `entries` (name, content), stored without compression, dated 1980-01-01 so
/// the same content gives the same bytes.
std::string zip_stored(const std::vector<std::pair<std::string, std::string>>& entries) {
  constexpr std::uint16_t kVersion = 20;
  constexpr std::uint16_t kDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01
  std::string out;
  std::string directory;
  for (const auto& [name, data] : entries) {
    if (data.size() > 0xFFFFFFFFULL || out.size() > 0xFFFFFFFFULL) {
      throw Error("submission file too large for a ZIP without ZIP64");
    }
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::uint32_t crc = crc32(data);
    const auto size = static_cast<std::uint32_t>(data.size());
    put32(out, 0x04034b50U);
    put16(out, kVersion);
    put16(out, 0);  // flags
    put16(out, 0);  // stored
    put16(out, 0);  // time
    put16(out, kDate);
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, static_cast<std::uint16_t>(name.size()));
    put16(out, 0);
    out += name;
    out += data;

    put32(directory, 0x02014b50U);
    put16(directory, kVersion);
    put16(directory, kVersion);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, kDate);
    put32(directory, crc);
    put32(directory, size);
    put32(directory, size);
    put16(directory, static_cast<std::uint16_t>(name.size()));
    put16(directory, 0);  // extra
    put16(directory, 0);  // comment
    put16(directory, 0);  // disk
    put16(directory, 0);  // internal attributes
    put32(directory, 0);  // external attributes
    put32(directory, offset);
    directory += name;
  }
  const auto directory_offset = static_cast<std::uint32_t>(out.size());
  out += directory;
  put32(out, 0x06054b50U);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint16_t>(entries.size()));
  put16(out, static_cast<std::uint16_t>(entries.size()));
  put32(out, static_cast<std::uint32_t>(directory.size()));
  put32(out, directory_offset);
  put16(out, 0);
  return out;
}

// ---- SpreadsheetML (ECMA-376 Part 1, §18) ------------------------------------------------------

/// "A", "B", ..., "Z", "AA", ... for 0-based column c.
std::string column_name(std::size_t c) {
  std::string name;
  for (++c; c > 0; c = (c - 1) / 26)
    name.insert(name.begin(), static_cast<char>('A' + (c - 1) % 26));
  return name;
}

constexpr const char* kXmlHeader =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

std::string processed_answer(const std::optional<std::string>& text) {
  if (!text) return "";
  std::string out;
  metrics::vqa_text::evalai_process(*text, out);
  return out;
}

std::int64_t integer_id(const datasets::Sample& sample) {
  const auto it = sample.meta.find("question_id");
  if (it != sample.meta.end() && it->is_number_integer()) return it->get<std::int64_t>();
  try {
    std::size_t used = 0;
    const auto v = std::stoll(sample.id, &used);
    if (used == sample.id.size()) return v;
  } catch (const std::exception&) {
  }
  throw InputError(
      fmt::format("sample '{}' has no integer question_id for the submission file", sample.id));
}

/// MMBench's "index" column (the VLMEvalKit loader keeps it in meta.index).
std::int64_t mmbench_index(const datasets::Sample& sample) {
  const auto it = sample.meta.find("index");
  if (it != sample.meta.end() && it->is_number_integer()) return it->get<std::int64_t>();
  return integer_id(sample);
}

std::string meta_text(const datasets::Sample& sample, const std::string& key) {
  const auto it = sample.meta.find(key);
  if (it == sample.meta.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string xlsx_bytes(const std::vector<std::vector<XlsxCell>>& rows) {
  std::string sheet = kXmlHeader;
  sheet +=
      "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    sheet += fmt::format("<row r=\"{}\">", r + 1);
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const std::string ref = column_name(c) + std::to_string(r + 1);
      if (const auto* number = std::get_if<std::int64_t>(&rows[r][c])) {
        sheet += fmt::format("<c r=\"{}\"><v>{}</v></c>", ref, *number);
      } else {
        const auto& text = std::get<std::string>(rows[r][c]);
        if (text.empty()) continue;  // an empty cell, as pandas writes NaN
        sheet +=
            fmt::format("<c r=\"{}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                        ref, reports::html_escape(text));
      }
    }
    sheet += "</row>";
  }
  sheet += "</sheetData></worksheet>";
  const std::string types =
      std::string(kXmlHeader) +
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" "
      "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/xl/workbook.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
      "<Override PartName=\"/xl/worksheets/sheet1.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
      "</Types>";
  const std::string package_rels =
      std::string(kXmlHeader) +
      "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" "
      "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
      "Target=\"xl/workbook.xml\"/></Relationships>";
  const std::string workbook =
      std::string(kXmlHeader) +
      "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
      "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
      "<sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
  const std::string workbook_rels =
      std::string(kXmlHeader) +
      "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" "
      "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
      "Target=\"worksheets/sheet1.xml\"/></Relationships>";
  return zip_stored({{"[Content_Types].xml", types},
                     {"_rels/.rels", package_rels},
                     {"xl/workbook.xml", workbook},
                     {"xl/_rels/workbook.xml.rels", workbook_rels},
                     {"xl/worksheets/sheet1.xml", sheet}});
}

std::string write_submission(const std::string& format, const LoadedTask& task,
                             const std::vector<std::string>& keys, const PredictionLog& log,
                             const std::string& model, const std::filesystem::path& run_dir) {
  const auto& samples = task.selected;
  auto prediction = [&](std::size_t i) -> std::optional<std::string> {
    const LogEntry* entry = log.find(keys[i]);
    if (entry == nullptr || !entry->completion.ok()) return std::nullopt;
    return entry->completion.text;
  };
  std::string bytes;
  std::string extension = "json";
  if (format == "vqav2-evalai" || format == "vizwiz-evalai") {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < samples.size(); ++i) {
      nlohmann::json item;
      if (format == "vqav2-evalai") {
        item["question_id"] = integer_id(samples[i]);
      } else {
        const std::string image = meta_text(samples[i], "image");
        item["image"] = image.empty() ? samples[i].id : image;
      }
      item["answer"] = processed_answer(prediction(i));
      out.push_back(std::move(item));
    }
    bytes = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else if (format == "mmbench-xlsx") {
    extension = "xlsx";
    std::size_t options = 4;
    bool any_answer = false;
    bool any_split = false;
    for (const auto& s : samples) {
      options = std::max(options, s.options.size());
      any_answer = any_answer || !s.references.empty();
      any_split = any_split || !meta_text(s, "split").empty();
    }
    std::vector<std::vector<XlsxCell>> rows;
    std::vector<XlsxCell> header = {std::string("index"), std::string("question")};
    for (std::size_t k = 0; k < options; ++k)
      header.emplace_back(std::string(1, datasets::option_letter(k)));
    header.emplace_back(std::string("prediction"));
    if (any_answer) header.emplace_back(std::string("answer"));
    if (any_split) header.emplace_back(std::string("split"));
    rows.push_back(std::move(header));
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto& s = samples[i];
      std::vector<XlsxCell> row = {mmbench_index(s), s.question};
      for (std::size_t k = 0; k < options; ++k)
        row.emplace_back(k < s.options.size() ? s.options[k] : std::string());
      row.emplace_back(prediction(i).value_or(""));
      if (any_answer) row.emplace_back(s.references.empty() ? std::string() : s.references.front());
      if (any_split) row.emplace_back(meta_text(s, "split"));
      rows.push_back(std::move(row));
    }
    bytes = xlsx_bytes(rows);
  } else {
    throw InputError("unknown submission format '" + format + "'");
  }
  const auto relative =
      std::filesystem::path("submissions") / model / (task.config->name + "." + extension);
  std::filesystem::create_directories((run_dir / relative).parent_path());
  write_file_atomic(run_dir / relative, bytes);
  return relative.generic_string();
}

}  // namespace lmmbench::harness
