// The parquet reader of a build without Arrow/Parquet C++ (LMMBENCH_WITH_PARQUET=OFF).
#include "core/error.hpp"
#include "datasets/parquet_rows.hpp"

namespace lmmbench::datasets {

bool parquet_supported() {
  return false;
}

void for_each_parquet_row(
    const std::filesystem::path& file, const std::vector<std::string>& /*columns*/,
    const std::function<void(std::uint64_t, const std::vector<nlohmann::json>&)>& /*on_row*/) {
  throw InputError(Location{file.string(), 0, ""},
                   "lmmbench was built without parquet support (LMMBENCH_WITH_PARQUET=OFF); "
                   "run scripts/install-deps.sh and configure again (docs/dependencies.md)");
}

}  // namespace lmmbench::datasets
