#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "datasets/sample.hpp"
#include "harness/config.hpp"
#include "models/backend.hpp"
#include "models/completion.hpp"
#include "models/request.hpp"

namespace lmmbench::harness {

/// The task's prompt template filled in for one sample: {question}, {options} (one "A. text" line
/// per option, no trailing newline), {category}, {meta.KEY} (a string member of the sample's meta,
/// or the JSON text of a non-string one; empty when absent). "{if NAME}...{end}" keeps the text
/// between only when placeholder NAME is non-empty (LLaVA's "Context: {hint}" line exists only
/// for ScienceQA problems with a hint), "{if !NAME}...{end}" only when it is empty (MMMU's open
/// questions get another instruction than its multiple-choice ones), "{if NAME=VALUE}...{end}"
/// only when it equals VALUE (numbers compare by value: MathVista's hint per answer type and
/// precision), "{if !NAME=VALUE}" otherwise; such sections nest.
std::string render_prompt(const std::string& template_text, const datasets::Sample& sample);

/// A sample's image cannot be made to fit what the backend accepts (Capabilities: formats, max
/// side, max bytes): the harness records the request as unsupported.
class ImageDoesNotFit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The Request for one sample: system prompt, the sample's images (placed before or after the
/// text, or left out), the rendered text, and the task's generation parameters. Each image is
/// read from disk and, when it exceeds `capabilities` (format, max side, max bytes), decoded,
/// scaled down and re-encoded to fit (datasets::fit_image). Throws InputError naming the image
/// when it cannot be read or decoded, ImageDoesNotFit when no accepted encoding fits.
models::Request build_request(const TaskConfig& task, const datasets::Sample& sample,
                              const models::Capabilities& capabilities = {});

/// What becomes of one sample: its request, or the failure to record without asking the model —
/// invalid_input for the sample's own error (Sample::error) or an image that cannot be read,
/// unsupported for one that cannot be made to fit.
struct PreparedRequest {
  std::optional<models::Request> request;
  models::Completion failure;  ///< Meaningful when `request` is empty.
};
PreparedRequest prepare_request(const TaskConfig& task, const datasets::Sample& sample,
                                const models::Capabilities& capabilities);

/// SHA-256 over the request's content in order — system prompt, text parts, and each image's
/// MIME type and content hash — so any change to what the model sees changes the hash.
std::string prompt_sha256(const models::Request& request);

/// SHA-256 of the canonical JSON of the generation parameters.
std::string params_sha256(const models::GenerationParams& params);

}  // namespace lmmbench::harness
