#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lmmbench::datasets {

/// True when this build reads parquet files (LMMBENCH_WITH_PARQUET: Apache Arrow/Parquet C++ from
/// the pyarrow wheel, docs/dependencies.md).
bool parquet_supported();

/// Reads the named top-level columns of a parquet file, one row group batch at a time (memory
/// holds one batch of at most 64 rows, never the whole file), and calls `on_row` for every row in
/// file order with `row` 0-based and `cells[i]` the value of `columns[i]` as JSON: null, bool,
/// integer, double, string, binary (nlohmann binary: `binary` and `large_binary` cells), array
/// (list columns) or object (struct columns, e.g. Hugging Face's image struct<bytes, path>).
/// Throws InputError naming the file for a file that is missing or not parquet (or corrupt),
/// naming the column for one that is absent (listing those present) or of a type with no JSON
/// form (map, dictionary, decimal, temporal: its Arrow type in the message), and naming the row
/// for a page that does not decode. Without parquet support, throws InputError saying so.
void for_each_parquet_row(
    const std::filesystem::path& file, const std::vector<std::string>& columns,
    const std::function<void(std::uint64_t row, const std::vector<nlohmann::json>& cells)>& on_row);

}  // namespace lmmbench::datasets
