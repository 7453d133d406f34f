#pragma once

#include <filesystem>
#include <string>

#include "core/json_source.hpp"
#include "models/gpu/gpu_table.hpp"
#include "models/gpu/model_spec.hpp"

namespace lmmbench::gpu::testing {

inline const std::filesystem::path kConfigDir =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "configs";

/// A shipped spec (configs/models/gpu/<name>.json).
inline ModelSpec shipped(const std::string& name) {
  return load_model_spec(name, kConfigDir);
}

inline const GpuTable& shipped_gpus() {
  static const GpuTable table = GpuTable::load(kConfigDir / "gpus.json");
  return table;
}

/// Reads a config.json given as text; errors name "test.json".
inline ModelSpec spec_from_text(const std::string& text) {
  return read_model_spec(ConfigNode(JsonSource::from_text(text, "test.json")), "test");
}

}  // namespace lmmbench::gpu::testing
