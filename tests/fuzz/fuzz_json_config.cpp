// Configs: JsonSource (located JSON with comments, bounded depth, repeated keys refused) and the
// model, task and training-recipe readers on top of it. Invariants: only InputError escapes; a
// document JsonSource accepts is the value nlohmann reads from the same text; every member and
// element has a line.

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/json_source.hpp"
#include "fuzz_support.hpp"
#include "harness/config.hpp"
#include "models/gpu/training.hpp"

namespace {

using lmmbench::ConfigNode;
using lmmbench::InputError;

void walk(const ConfigNode& node) {
  if (node.source().line_of(node.pointer()) == 0) std::abort();  // every value has a line
  if (node.is_array()) {
    for (const auto& element : node.elements())
      walk(element);
  } else if (node.is_object()) {
    auto reader = node.object();
    for (const auto& [key, value] : node.json().items()) {
      if (const auto member = reader.find(key)) walk(*member);
    }
    reader.finish();
  } else {
    try {
      (void)node.as_int();
    } catch (const InputError&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lmmbench::fuzz::text_of(data, size);
  std::shared_ptr<const lmmbench::JsonSource> source;
  try {
    source = lmmbench::JsonSource::from_text(text, "fuzz.json", lmmbench::fuzz::scratch_dir());
  } catch (const InputError&) {
    return 0;
  }
  const auto reference = nlohmann::json::parse(text, nullptr, false, /*ignore_comments=*/true);
  if (reference.is_discarded() || reference != source->root()) std::abort();
  walk(ConfigNode(source));
  try {
    (void)lmmbench::harness::load_model_config(ConfigNode(source));
  } catch (const InputError&) {
  }
  try {
    (void)lmmbench::harness::load_task_config(ConfigNode(source));
  } catch (const InputError&) {
  }
  try {
    (void)lmmbench::gpu::read_train_recipe(ConfigNode(source));
  } catch (const InputError&) {
  }
  return 0;
}
