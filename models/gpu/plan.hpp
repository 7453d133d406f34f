#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/gpu/dtype.hpp"
#include "models/gpu/model_spec.hpp"

namespace lmmbench::gpu {

/// One request of the workload: its images, its text and what it generates.
struct RequestShape {
  std::int64_t images = 1;          ///< Images per request (0 = text only).
  std::int64_t image_height = 336;  ///< Pixels of each image before the model's processor.
  std::int64_t image_width = 336;
  std::int64_t prompt_tokens = 64;   ///< Text tokens; the image tokens are added from the spec.
  std::int64_t output_tokens = 128;  ///< Generated tokens (>= 1; the first comes from prefill).
};

/// D[m x n] = A[m x k] . W[k x n] in the nn.Linear convention: A holds m rows (tokens) of width
/// k, W maps k input features to n output features. `batch` independent products of that shape
/// (a strided-batched GEMM) make one call; a stage makes `count` calls (one per layer).
struct Gemm {
  std::string name;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t batch = 1;
  std::int64_t count = 1;

  /// FLOPs of one call: 2 m n k per product (a multiply and an add per term).
  [[nodiscard]] double flops() const;
  /// Bytes one call must move at least: each operand read once, D written once,
  /// (m k + k n + m n) elements per product.
  [[nodiscard]] double bytes(DType dtype) const;
  /// Bytes of the W operand of one call (k n elements per product).
  [[nodiscard]] double weight_bytes(DType dtype) const;
};

/// Scaled dot-product attention of `sequences` independent sequences: per head S = Q K^T,
/// P = softmax(S), O = P V, with `kv_heads` key/value heads shared by heads / kv_heads query heads
/// each (grouped-query attention when fewer).
struct Attention {
  std::string name;
  std::int64_t sequences = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t q_len = 0;   ///< Query positions per sequence: the last q_len of the context.
  std::int64_t kv_len = 0;  ///< Key positions per sequence (the context).
  bool causal = false;      ///< A query sees only keys at or before its own position.
  std::optional<std::int64_t> window;  ///< A query sees at most this many keys (its own included).
  std::int64_t count = 1;

  /// Query-key pairs one head of one sequence evaluates under the mask (exact, not n^2 / 2).
  [[nodiscard]] double attended_pairs() const;
  /// Model FLOPs of one call: Q K^T and P V each take 2 head_dim FLOPs per attended pair.
  [[nodiscard]] double flops() const;
  /// FLOPs of the dense Q K^T and P V GEMMs an unfused kernel executes (masked pairs included).
  [[nodiscard]] double executed_flops() const;
  /// Bytes a fused kernel must move at least: read Q, the keys and values it needs, write O.
  [[nodiscard]] double bytes(DType dtype) const;
};

/// When a stage runs: once per request batch (prefill), once per generated token (decode), or at
/// both (the LM head turns the last prefill position, then every decode step, into logits).
enum class Phase { prefill, decode, both };

std::string_view to_string(Phase phase);

/// A stage of the pipeline for a batch of requests. Covers the GEMMs and attention only: norms,
/// activations, rotary embeddings, residual adds, the embedding gather and sampling are not in
/// the plan (see docs/gpu.md).
struct Stage {
  std::string name;
  Phase phase = Phase::prefill;
  std::string description;
  std::vector<Gemm> gemms;
  std::vector<Attention> attention;

  /// Sum over its GEMMs and attention of count x FLOPs (model FLOPs).
  [[nodiscard]] double flops() const;
  /// Sum over its GEMMs and attention of count x minimum bytes.
  [[nodiscard]] double bytes(DType dtype) const;
};

// Stage names, in pipeline order. They appear in the JSON output and the run record.
inline constexpr std::string_view kPatchEmbed = "vision.patch_embed";
inline constexpr std::string_view kVisionLayers = "vision.layers";
inline constexpr std::string_view kProjector = "projector";
inline constexpr std::string_view kPrefill = "lm.prefill";
inline constexpr std::string_view kDecode = "lm.decode";
inline constexpr std::string_view kLmHead = "lm_head";

/// Every GEMM and attention call a batch of `batch` identical requests needs. The batch is
/// prefilled together (static batching) and then decodes together for output_tokens - 1 steps;
/// the decode stage is given at the mean context of those steps.
struct Plan {
  ModelSpec spec;
  RequestShape request;
  std::int64_t batch = 1;
  DType dtype = DType::f16;
  ImageGeometry image;              ///< Of one image (all images of the workload are alike).
  std::int64_t prompt_len = 0;      ///< n: text tokens + images x image tokens.
  std::int64_t decode_context = 0;  ///< c = n + floor(o / 2), the mean context of the decode steps.
  std::vector<Stage> stages;        ///< In pipeline order; vision stages absent without images.

  [[nodiscard]] const Stage* find(std::string_view name) const;
  /// Decode steps per request batch: output_tokens - 1.
  [[nodiscard]] std::int64_t decode_steps() const { return request.output_tokens - 1; }
  /// FLOPs of one prefill of the whole batch (vision, projector, LM prefill, LM head).
  [[nodiscard]] double prefill_flops() const;
  /// Bytes of one decode step of the whole batch at context c (LM layers, KV cache, LM head).
  [[nodiscard]] double decode_bytes_per_step() const;
  /// The weight part of decode_bytes_per_step: every LM layer and LM head matrix read once.
  [[nodiscard]] double decode_weight_bytes_per_step() const;
  /// KV-cache bytes one token of one sequence occupies: 2 (K and V) x L x kv_heads x head_dim x
  /// element bytes.
  [[nodiscard]] double kv_bytes_per_token() const;
  /// Tokens of KV cache one sequence holds when it finishes: min(n + o, sliding window).
  [[nodiscard]] std::int64_t kv_tokens_per_sequence() const;
  /// Bytes of every weight matrix held on the GPU (all vision layers, projector, embedding table,
  /// LM layers, LM head unless tied); biases, norms and position tables are left out.
  [[nodiscard]] double resident_weight_bytes() const;
};

/// Weight-matrix elements of each part of a model, as the plan and the training estimate count
/// them: every GEMM weight (all layers held, not only those run), the embedding table and the LM
/// head unless tied; biases, norms and position tables are left out (under 0.1 % of these models).
struct ParameterCounts {
  double vision = 0;     ///< Patch embedding + every encoder layer held.
  double projector = 0;  ///< Both linear layers.
  double lm = 0;         ///< Embedding table + decoder layers + LM head (unless tied).
  [[nodiscard]] double total() const { return vision + projector + lm; }
};

ParameterCounts parameter_counts(const ModelSpec& spec);

/// Builds the plan. Throws InputError when the request cannot run: batch < 1, output_tokens < 1,
/// negative counts, an empty prompt, or n + o over the model's max_position_embeddings.
Plan build_plan(const ModelSpec& spec, const RequestShape& request, std::int64_t batch,
                DType dtype);

}  // namespace lmmbench::gpu
