#include "models/gpu/plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace lmmbench::gpu {

namespace {

double d(std::int64_t v) {
  return static_cast<double>(v);
}

Gemm gemm(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t count) {
  return Gemm{std::move(name), m, n, k, 1, count};
}

/// QKV, output projection and MLP of `layers` pre-norm ViT blocks over `rows` patch rows.
std::vector<Gemm> vision_layer_gemms(const VisionSpec& v, std::int64_t rows) {
  return {gemm("qkv", rows, 3 * v.hidden, v.hidden, v.layers_run),
          gemm("o_proj", rows, v.hidden, v.hidden, v.layers_run),
          gemm("fc1", rows, v.intermediate, v.hidden, v.layers_run),
          gemm("fc2", rows, v.hidden, v.intermediate, v.layers_run)};
}

/// A decoder layer: fused Q/K/V projection (grouped-query: K and V have kv_heads heads), output
/// projection, fused gate+up projection of the SiLU-gated MLP, down projection.
std::vector<Gemm> lm_layer_gemms(const LanguageSpec& lm, std::int64_t rows) {
  return {gemm("qkv", rows, (lm.heads + 2 * lm.kv_heads) * lm.head_dim, lm.hidden, lm.layers),
          gemm("o_proj", rows, lm.hidden, lm.heads * lm.head_dim, lm.layers),
          gemm("gate_up", rows, 2 * lm.intermediate, lm.hidden, lm.layers),
          gemm("down", rows, lm.hidden, lm.intermediate, lm.layers)};
}

void require(bool ok, const char* field, const std::string& message) {
  if (!ok) throw InputError(Location{"", 0, field}, message);
}

}  // namespace

std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::prefill:
      return "prefill";
    case Phase::decode:
      return "decode";
    case Phase::both:
      return "both";
  }
  return "prefill";
}

double Gemm::flops() const {
  return 2.0 * d(m) * d(n) * d(k) * d(batch);
}

double Gemm::bytes(DType dtype) const {
  return (d(m) * d(k) + d(k) * d(n) + d(m) * d(n)) * d(element_bytes(dtype)) * d(batch);
}

double Gemm::weight_bytes(DType dtype) const {
  return d(k) * d(n) * d(element_bytes(dtype)) * d(batch);
}

double Attention::attended_pairs() const {
  if (!causal) {
    return d(q_len) * d(window ? std::min(kv_len, *window) : kv_len);
  }
  // Query i of q_len sits at position p = kv_len - q_len + i and sees min(p + 1, window) keys:
  // the sum of min(x, W) for x from a = kv_len - q_len + 1 to b = kv_len.
  const std::int64_t a = kv_len - q_len + 1;
  const std::int64_t b = kv_len;
  const std::int64_t w = window.value_or(b);
  auto sum_range = [](std::int64_t lo, std::int64_t hi) {  // lo + ... + hi
    return hi < lo ? 0.0 : (d(lo) + d(hi)) * d(hi - lo + 1) / 2.0;
  };
  if (b <= w) return sum_range(a, b);
  if (a >= w) return d(w) * d(b - a + 1);
  return sum_range(a, w) + d(w) * d(b - w);
}

double Attention::flops() const {
  return 4.0 * d(head_dim) * d(heads) * d(sequences) * attended_pairs();
}

double Attention::executed_flops() const {
  return 4.0 * d(head_dim) * d(heads) * d(sequences) * d(q_len) * d(kv_len);
}

double Attention::bytes(DType dtype) const {
  // Keys some query needs: all of them without a window; with one, the last q_len - 1 + window.
  const std::int64_t keys = window ? std::min(kv_len, q_len - 1 + *window) : kv_len;
  const double q_and_o = 2.0 * d(sequences) * d(heads) * d(q_len) * d(head_dim);
  const double k_and_v = 2.0 * d(sequences) * d(kv_heads) * d(keys) * d(head_dim);
  return (q_and_o + k_and_v) * d(element_bytes(dtype));
}

double Stage::flops() const {
  double total = 0;
  for (const auto& g : gemms)
    total += d(g.count) * g.flops();
  for (const auto& a : attention)
    total += d(a.count) * a.flops();
  return total;
}

double Stage::bytes(DType dtype) const {
  double total = 0;
  for (const auto& g : gemms)
    total += d(g.count) * g.bytes(dtype);
  for (const auto& a : attention)
    total += d(a.count) * a.bytes(dtype);
  return total;
}

const Stage* Plan::find(std::string_view name) const {
  for (const auto& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

double Plan::prefill_flops() const {
  double total = 0;
  for (const auto& s : stages) {
    if (s.phase != Phase::decode) total += s.flops();
  }
  return total;
}

double Plan::decode_bytes_per_step() const {
  double total = 0;
  for (const auto& s : stages) {
    if (s.phase != Phase::prefill) total += s.bytes(dtype);
  }
  return total;
}

double Plan::decode_weight_bytes_per_step() const {
  double total = 0;
  for (const auto& s : stages) {
    if (s.phase == Phase::prefill) continue;
    for (const auto& g : s.gemms)
      total += d(g.count) * g.weight_bytes(dtype);
  }
  return total;
}

double Plan::kv_bytes_per_token() const {
  return 2.0 * d(spec.lm.layers) * d(spec.lm.kv_heads) * d(spec.lm.head_dim) *
         d(element_bytes(dtype));
}

std::int64_t Plan::kv_tokens_per_sequence() const {
  const std::int64_t tokens = prompt_len + request.output_tokens;
  return spec.lm.sliding_window ? std::min(tokens, *spec.lm.sliding_window) : tokens;
}

ParameterCounts parameter_counts(const ModelSpec& spec) {
  const VisionSpec& v = spec.vision;
  const ProjectorSpec& p = spec.projector;
  const LanguageSpec& lm = spec.lm;
  const double patch = d(v.channels * v.temporal_patch * v.patch * v.patch) * d(v.hidden);
  const double vision_layer =
      4.0 * d(v.hidden) * d(v.hidden) + 2.0 * d(v.hidden) * d(v.intermediate);
  const double lm_layer = d(lm.hidden) * d((lm.heads + 2 * lm.kv_heads) * lm.head_dim) +
                          d(lm.heads * lm.head_dim) * d(lm.hidden) +
                          3.0 * d(lm.hidden) * d(lm.intermediate);
  const double embedding = d(lm.vocab) * d(lm.hidden);
  const double head = lm.tie_word_embeddings ? 0.0 : embedding;
  ParameterCounts counts;
  counts.vision = patch + d(v.layers) * vision_layer;
  counts.projector = d(p.input) * d(p.hidden) + d(p.hidden) * d(p.output);
  counts.lm = embedding + d(lm.layers) * lm_layer + head;
  return counts;
}

double Plan::resident_weight_bytes() const {
  return parameter_counts(spec).total() * d(element_bytes(dtype));
}

Plan build_plan(const ModelSpec& spec, const RequestShape& request, std::int64_t batch,
                DType dtype) {
  require(batch >= 1, "--batch", fmt::format("batch size must be >= 1, not {}", batch));
  require(request.images >= 0, "--images", "images per request must be >= 0");
  require(request.prompt_tokens >= 0, "--prompt-tokens", "prompt tokens must be >= 0");
  require(request.output_tokens >= 1, "--output-tokens", "output tokens must be >= 1");

  Plan plan;
  plan.spec = spec;
  plan.request = request;
  plan.batch = batch;
  plan.dtype = dtype;
  const VisionSpec& v = spec.vision;
  const LanguageSpec& lm = spec.lm;
  if (request.images > 0) {
    plan.image = image_geometry(spec, request.image_height, request.image_width);
  }
  plan.prompt_len = request.prompt_tokens + request.images * plan.image.tokens;
  require(plan.prompt_len >= 1, "--prompt-tokens",
          "the prompt is empty (no text tokens and no images)");
  require(plan.prompt_len + request.output_tokens <= lm.max_positions, "--output-tokens",
          fmt::format("prompt ({} tokens: {} text + {} x {} image) plus {} output tokens exceed "
                      "the model's max_position_embeddings {}",
                      plan.prompt_len, request.prompt_tokens, request.images, plan.image.tokens,
                      request.output_tokens, lm.max_positions));
  plan.decode_context = plan.prompt_len + request.output_tokens / 2;

  if (request.images > 0) {
    const std::int64_t images = batch * request.images;
    const std::int64_t patch_rows = images * plan.image.patches;
    const std::int64_t seq_rows = images * plan.image.vision_seq;
    // The patch convolution (stride = kernel) is a GEMM over flattened C x T x P x P patches.
    plan.stages.push_back(Stage{
        std::string(kPatchEmbed),
        Phase::prefill,
        fmt::format("{} x {}-pixel patches of {} images", plan.image.patches, v.patch, images),
        {gemm("patch_embed", patch_rows, v.hidden,
              v.channels * v.temporal_patch * v.patch * v.patch, 1)},
        {}});
    plan.stages.push_back(Stage{
        std::string(kVisionLayers),
        Phase::prefill,
        fmt::format("{} of {} encoder layers over {} positions per image", v.layers_run, v.layers,
                    plan.image.vision_seq),
        vision_layer_gemms(v, seq_rows),
        {Attention{"attention", images, v.heads, v.heads, v.hidden / v.heads, plan.image.vision_seq,
                   plan.image.vision_seq, false, std::nullopt, v.layers_run}}});
    const ProjectorSpec& p = spec.projector;
    const std::int64_t token_rows = images * plan.image.tokens;
    plan.stages.push_back(Stage{std::string(kProjector),
                                Phase::prefill,
                                fmt::format("{} over {} image tokens", p.name, token_rows),
                                {gemm("linear_1", token_rows, p.hidden, p.input, 1),
                                 gemm("linear_2", token_rows, p.output, p.hidden, 1)},
                                {}});
  }

  const std::int64_t prefill_rows = batch * plan.prompt_len;
  plan.stages.push_back(
      Stage{std::string(kPrefill),
            Phase::prefill,
            fmt::format("{} decoder layers over {} prompt tokens per request", lm.layers,
                        plan.prompt_len),
            lm_layer_gemms(lm, prefill_rows),
            {Attention{"attention", batch, lm.heads, lm.kv_heads, lm.head_dim, plan.prompt_len,
                       plan.prompt_len, true, lm.sliding_window, lm.layers}}});
  plan.stages.push_back(Stage{
      std::string(kDecode),
      Phase::decode,
      fmt::format("one step of {} decoder layers at context {}", lm.layers, plan.decode_context),
      lm_layer_gemms(lm, batch),
      {Attention{"attention", batch, lm.heads, lm.kv_heads, lm.head_dim, 1, plan.decode_context,
                 true, lm.sliding_window, lm.layers}}});
  plan.stages.push_back(Stage{std::string(kLmHead),
                              Phase::both,
                              "logits of the last position of each sequence",
                              {gemm("lm_head", batch, lm.vocab, lm.hidden, 1)},
                              {}});
  return plan;
}

}  // namespace lmmbench::gpu
