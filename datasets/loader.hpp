#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/json_source.hpp"
#include "datasets/sample.hpp"

namespace lmmbench::datasets {

/// Reads one benchmark format from disk. Created by the registry from a task config's "dataset"
/// object (which names the format and its paths); load() may be called more than once and
/// returns the same samples in the same order every time.
class Loader {
 public:
  virtual ~Loader() = default;
  /// Throws InputError naming file, line and field for anything malformed, including a missing
  /// image file.
  [[nodiscard]] virtual Dataset load() const = 0;
};

/// Factory signature used by the registry: reads the loader's own options from `options` (an
/// ObjectReader over the task's "dataset" object; "format" is already consumed) and must call
/// options.finish() so unknown keys are rejected.
using LoaderFactory = std::unique_ptr<Loader> (*)(ObjectReader& options);

}  // namespace lmmbench::datasets
