#pragma once

#include <string>

#include "datasets/sample.hpp"
#include "harness/config.hpp"
#include "models/request.hpp"

namespace lmmbench::harness {

/// The task's prompt template filled in for one sample: {question}, {options} (one "A. text" line
/// per option, no trailing newline), {category}, {meta.KEY} (a string member of the sample's meta,
/// or the JSON text of a non-string one; empty when absent).
std::string render_prompt(const std::string& template_text, const datasets::Sample& sample);

/// The Request for one sample: system prompt, the sample's images read from disk (placed before
/// or after the text, or left out), the rendered text, and the task's generation parameters.
/// Throws InputError naming the image file when one cannot be read.
models::Request build_request(const TaskConfig& task, const datasets::Sample& sample);

/// SHA-256 over the request's content in order — system prompt, text parts, and each image's
/// MIME type and content hash — so any change to what the model sees changes the hash.
std::string prompt_sha256(const models::Request& request);

/// SHA-256 of the canonical JSON of the generation parameters.
std::string params_sha256(const models::GenerationParams& params);

}  // namespace lmmbench::harness
