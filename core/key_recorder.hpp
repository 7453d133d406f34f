#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "core/json_source.hpp"

namespace lmmbench {

/// Records, while it lives, every key that an ObjectReader on this thread asks for (find,
/// required, get_*) or allows, as (document name, JSON pointer of the key): the keys the readers
/// accept, taken from the readers themselves. tests/harness/test_config_reference.cpp compares
/// them with docs/configs.md, so no hand-kept list of keys exists. At most one per thread at a
/// time (a second throws Error); without one, readers pay a thread-local null check.
class KeyRecorder {
 public:
  KeyRecorder();
  ~KeyRecorder();
  KeyRecorder(const KeyRecorder&) = delete;
  KeyRecorder& operator=(const KeyRecorder&) = delete;

  /// (JsonSource::name(), pointer) of every key recorded.
  [[nodiscard]] const std::set<std::pair<std::string, std::string>>& keys() const { return keys_; }

  /// Called by ObjectReader for each key of `object` it asks for or allows; a no-op unless a
  /// recorder is active on this thread.
  static void record(const ConfigNode& object, std::string_view key);

 private:
  std::set<std::pair<std::string, std::string>> keys_;
};

}  // namespace lmmbench
