// The parquet reader: Apache Arrow/Parquet C++ (the pyarrow wheel's libraries;
// docs/dependencies.md).
#include "datasets/parquet_rows.hpp"

#include <algorithm>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fmt/format.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>

#include "core/error.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

namespace {

/// Rows per decoded batch: Hugging Face image datasets hold about 100 rows per row group, each
/// with an image, so a small batch bounds the memory a load holds at once.
constexpr std::int64_t kBatchRows = 64;

template <typename T>
const T& as(const arrow::Array& array) {
  return static_cast<const T&>(array);
}

template <typename T>
nlohmann::json binary_value(const arrow::Array& array, std::int64_t i) {
  const auto view = as<T>(array).GetView(i);
  return nlohmann::json::binary(std::vector<std::uint8_t>(view.begin(), view.end()));
}

/// Whether cells of `type` have a JSON form here (checked once per column, before any row).
bool convertible(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::NA:
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
      return true;
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::STRUCT:
      for (const auto& field : type.fields())
        if (!convertible(*field->type())) return false;
      return true;
    default:
      return false;
  }
}

nlohmann::json cell(const arrow::Array& array, std::int64_t i) {
  if (array.IsNull(i)) return nullptr;
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      return as<arrow::BooleanArray>(array).Value(i);
    case arrow::Type::INT8:
      return as<arrow::Int8Array>(array).Value(i);
    case arrow::Type::INT16:
      return as<arrow::Int16Array>(array).Value(i);
    case arrow::Type::INT32:
      return as<arrow::Int32Array>(array).Value(i);
    case arrow::Type::INT64:
      return as<arrow::Int64Array>(array).Value(i);
    case arrow::Type::UINT8:
      return as<arrow::UInt8Array>(array).Value(i);
    case arrow::Type::UINT16:
      return as<arrow::UInt16Array>(array).Value(i);
    case arrow::Type::UINT32:
      return as<arrow::UInt32Array>(array).Value(i);
    case arrow::Type::UINT64:
      return as<arrow::UInt64Array>(array).Value(i);
    case arrow::Type::FLOAT:
      return as<arrow::FloatArray>(array).Value(i);
    case arrow::Type::DOUBLE:
      return as<arrow::DoubleArray>(array).Value(i);
    case arrow::Type::STRING:
      return std::string(as<arrow::StringArray>(array).GetView(i));
    case arrow::Type::LARGE_STRING:
      return std::string(as<arrow::LargeStringArray>(array).GetView(i));
    case arrow::Type::BINARY:
      return binary_value<arrow::BinaryArray>(array, i);
    case arrow::Type::LARGE_BINARY:
      return binary_value<arrow::LargeBinaryArray>(array, i);
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST: {
      const bool large = array.type_id() == arrow::Type::LARGE_LIST;
      const auto values =
          large ? as<arrow::LargeListArray>(array).values() : as<arrow::ListArray>(array).values();
      const std::int64_t begin = large ? as<arrow::LargeListArray>(array).value_offset(i)
                                       : as<arrow::ListArray>(array).value_offset(i);
      const std::int64_t end = large ? as<arrow::LargeListArray>(array).value_offset(i + 1)
                                     : as<arrow::ListArray>(array).value_offset(i + 1);
      nlohmann::json out = nlohmann::json::array();
      for (std::int64_t k = begin; k < end; ++k)
        out.push_back(cell(*values, k));
      return out;
    }
    case arrow::Type::STRUCT: {
      const auto& s = as<arrow::StructArray>(array);
      nlohmann::json out = nlohmann::json::object();
      for (int f = 0; f < s.num_fields(); ++f)
        out[s.struct_type()->field(f)->name()] = cell(*s.field(f), i);
      return out;
    }
    default:
      return nullptr;  // never reached: convertible() refused the column
  }
}

void check(const arrow::Status& status, const Location& where, std::string_view what) {
  if (!status.ok()) throw InputError(where, fmt::format("{}: {}", what, status.message()));
}

/// The leaf column indices of field `index` (a struct or list column has several or nested ones).
void leaves(const parquet::arrow::SchemaField& field, std::vector<int>& out) {
  if (field.column_index >= 0) out.push_back(field.column_index);
  for (const auto& child : field.children)
    leaves(child, out);
}

}  // namespace

bool parquet_supported() {
  return true;
}

void for_each_parquet_row(
    const std::filesystem::path& file, const std::vector<std::string>& columns,
    const std::function<void(std::uint64_t, const std::vector<nlohmann::json>&)>& on_row) {
  require_file(file, "parquet file");
  const Location at_file{file.string(), 0, ""};
  std::unique_ptr<parquet::arrow::FileReader> reader;
  std::shared_ptr<arrow::Schema> schema;
  std::vector<int> field_of(columns.size());
  std::vector<int> leaf_columns;
  try {
    parquet::arrow::FileReaderBuilder builder;
    check(builder.OpenFile(file.string()), at_file, "not a readable parquet file");
    parquet::ArrowReaderProperties properties;
    properties.set_batch_size(kBatchRows);
    properties.set_pre_buffer(false);  // no background I/O threads: one loader thread reads
    check(builder.properties(properties)->Build(&reader), at_file, "not a readable parquet file");
    check(reader->GetSchema(&schema), at_file, "the parquet schema cannot be read");
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {  // parquet::ParquetException, std::bad_alloc, ...
    throw InputError(at_file, fmt::format("not a readable parquet file: {}", e.what()));
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const int index = schema->GetFieldIndex(columns[c]);
    const Location at_column{file.string(), 0, columns[c]};
    if (index < 0) {
      std::string present;
      for (const auto& name : schema->field_names())
        present += (present.empty() ? "" : ", ") + name;
      throw InputError(at_column, fmt::format("no column '{}' in the file (its columns: {})",
                                              columns[c], present));
    }
    const auto& type = *schema->field(index)->type();
    if (!convertible(type)) {
      throw InputError(at_column, fmt::format("column of type {} is not supported (strings, "
                                              "numbers, booleans, binary, lists and structs are)",
                                              type.ToString()));
    }
    field_of[c] = index;
    leaves(reader->manifest().schema_fields[static_cast<std::size_t>(index)], leaf_columns);
  }
  std::sort(leaf_columns.begin(), leaf_columns.end());
  leaf_columns.erase(std::unique(leaf_columns.begin(), leaf_columns.end()), leaf_columns.end());

  std::uint64_t row = 0;
  std::vector<nlohmann::json> cells(columns.size());
  try {
    // One reader per row group: a reader over all of them was measured to hold far more than one
    // row group's pages (166 MB peak for a 99 MB file of 20 row groups, against 42 MB without
    // its image column), so memory follows the largest row group instead of the file.
    for (int group = 0; group < reader->num_row_groups(); ++group) {
      auto batches = reader->GetRecordBatchReader({group}, leaf_columns);
      check(batches.status(), Location{file.string(), row + 1, ""},
            "a page from this row on does not decode");
      for (;;) {
        std::shared_ptr<arrow::RecordBatch> batch;
        check((*batches)->ReadNext(&batch), Location{file.string(), row + 1, ""},
              "a page from this row on does not decode");
        if (!batch) break;
        std::vector<std::shared_ptr<arrow::Array>> arrays(columns.size());
        for (std::size_t c = 0; c < columns.size(); ++c) {
          arrays[c] = batch->GetColumnByName(schema->field(field_of[c])->name());
          if (!arrays[c]) throw InputError(Location{file.string(), 0, columns[c]}, "not read");
        }
        for (std::int64_t i = 0; i < batch->num_rows(); ++i) {
          for (std::size_t c = 0; c < columns.size(); ++c)
            cells[c] = cell(*arrays[c], i);
          on_row(row++, cells);
        }
      }
    }
  } catch (const InputError&) {
    throw;  // the status checks above, or the caller's own errors about a row
  } catch (const std::exception& e) {  // parquet::ParquetException, std::bad_alloc, ...
    throw InputError(Location{file.string(), row + 1, ""},
                     fmt::format("a page from this row on does not decode: {}", e.what()));
  }
}

}  // namespace lmmbench::datasets
