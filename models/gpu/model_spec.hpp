#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lmmbench {
class ConfigNode;
}

namespace lmmbench::gpu {

/// The architecture of a multimodal model, as far as compute and memory traffic go: the shapes
/// of every weight matrix and the rules that turn an image into tokens. Read from a Hugging Face
/// config.json; no weights are needed. Immutable value type.
///
/// Families read (see docs/gpu.md for the field-by-field mapping and the transformers defaults
/// applied to absent fields):
///  - "llava" (llava-hf format): vision_config (clip_vision_model | siglip_vision_model),
///    text_config (llama | mistral | qwen2), a two-layer MLP projector (LLaVA-1.5 `mlp2x_gelu`).
///  - "qwen2_vl": Qwen2-VL's own ViT with a 2x2 patch merger and a Qwen2 decoder with grouped-query
///    attention; dynamic resolution (the image size decides the number of tokens).

enum class VisionKind {
  clip,      ///< CLIP ViT: class token + patches.
  siglip,    ///< SigLIP ViT: patches only.
  qwen2_vl,  ///< Qwen2-VL ViT: 3-D patches (temporal x 14 x 14), no class token.
};

struct VisionSpec {
  VisionKind kind = VisionKind::clip;
  std::string model_type;         ///< As written in the config (e.g. "clip_vision_model").
  std::int64_t hidden = 0;        ///< d_v
  std::int64_t intermediate = 0;  ///< MLP width f_v (fc1 d_v -> f_v, fc2 f_v -> d_v)
  std::int64_t layers = 0;        ///< Encoder layers held in memory.
  std::int64_t layers_run = 0;    ///< Layers that must run to produce the selected features.
  std::int64_t heads = 0;         ///< Attention heads (head dim = hidden / heads).
  std::int64_t channels = 3;      ///< Input image channels.
  std::int64_t patch = 0;         ///< Spatial patch size in pixels.
  std::int64_t temporal_patch =
      1;                     ///< Frames per patch (Qwen2-VL repeats a still image to fill it).
  bool class_token = false;  ///< CLIP prepends a class token to the patch sequence.
  /// Fixed-resolution towers: the side the image processor resizes (and crops) every image to.
  /// Empty for dynamic-resolution towers.
  std::optional<std::int64_t> image_size;
  /// Dynamic resolution (Qwen2-VL): patches merged into one token per side, and the pixel-count
  /// bounds of the image processor's smart_resize.
  std::int64_t spatial_merge = 1;
  std::int64_t min_pixels = 0;
  std::int64_t max_pixels = 0;
};

enum class ProjectorKind {
  mlp2x,         ///< LLaVA: Linear(in -> d) -> act -> Linear(d -> d), per image token.
  patch_merger,  ///< Qwen2-VL: LayerNorm -> 2x2 concat -> Linear -> GELU -> Linear(-> d).
};

struct ProjectorSpec {
  ProjectorKind kind = ProjectorKind::mlp2x;
  std::string name;         ///< "mlp2x_gelu" (LLaVA's name for it) or "qwen2_vl_patch_merger".
  std::string activation;   ///< Hugging Face activation name, e.g. "gelu".
  std::int64_t input = 0;   ///< Width of one projector input row.
  std::int64_t hidden = 0;  ///< Output width of the first linear layer.
  std::int64_t output = 0;  ///< Output width of the second linear layer (= LM hidden size).
  /// LLaVA "default" select strategy: the first token of the selected features (the class token
  /// for CLIP) is dropped before the projector.
  bool drop_first_token = false;
};

struct LanguageSpec {
  std::string model_type;          ///< "llama", "mistral", "qwen2" or "qwen2_vl" (text part).
  std::int64_t hidden = 0;         ///< d
  std::int64_t intermediate = 0;   ///< f (SiLU-gated MLP: gate and up d -> f, down f -> d)
  std::int64_t layers = 0;         ///< L
  std::int64_t heads = 0;          ///< H query heads
  std::int64_t kv_heads = 0;       ///< Key/value heads (H for multi-head, fewer for grouped-query).
  std::int64_t head_dim = 0;       ///< Per-head width (hidden / heads unless the config says).
  std::int64_t vocab = 0;          ///< V (rows of the embedding table and of lm_head)
  std::int64_t max_positions = 0;  ///< max_position_embeddings
  /// Sliding-window attention span in tokens (Mistral v0.1), empty for full attention.
  std::optional<std::int64_t> sliding_window;
  bool tie_word_embeddings = false;  ///< lm_head shares the embedding table (fewer bytes held).
};

struct ModelSpec {
  std::string name;        ///< The name asked for, or the config file's stem.
  std::string source;      ///< Path of the config.json it was read from.
  std::string model_type;  ///< Top-level model_type ("llava", "qwen2_vl").
  VisionSpec vision;
  ProjectorSpec projector;
  LanguageSpec lm;
};

/// Reads a Hugging Face config.json (comments allowed). Throws InputError naming the file, line
/// and field for a missing required field, an unknown model or activation type, an architecture
/// the plan cannot model (mixture of experts, LLaVA-NeXT any-resolution tiling, the original
/// LLaVA repository format) and inconsistent sizes (heads not dividing the hidden size, key/value
/// heads not dividing the query heads, a feature layer out of range, a projector that does not
/// end at the language model's width).
ModelSpec read_model_spec(const ConfigNode& root, std::string name);

/// `name_or_path` is a path to a config.json (anything ending in ".json" or naming an existing
/// file) or the name of a shipped spec, `<config_dir>/models/gpu/<name>.json`. Throws InputError
/// listing the shipped names when neither exists.
ModelSpec load_model_spec(const std::string& name_or_path, const std::filesystem::path& config_dir);

/// Names of the specs shipped in `<config_dir>/models/gpu/`, sorted.
std::vector<std::string> shipped_model_specs(const std::filesystem::path& config_dir);

/// What one image becomes after the model's image processor: its size, its patch grid, the
/// length of the vision tower's sequence and the number of tokens it adds to the LM prompt.
struct ImageGeometry {
  std::int64_t height = 0;  ///< Pixels after the processor's resize.
  std::int64_t width = 0;
  std::int64_t grid_t = 1;  ///< Patch grid (frames x rows x columns).
  std::int64_t grid_h = 0;
  std::int64_t grid_w = 0;
  std::int64_t patches = 0;     ///< grid_t * grid_h * grid_w
  std::int64_t vision_seq = 0;  ///< Sequence length inside the vision tower (patches + class).
  std::int64_t tokens = 0;      ///< Tokens the image occupies in the LM prompt.
};

/// Geometry of one `height` x `width` image (pixels, both >= 1). Fixed-resolution towers resize
/// every image to image_size x image_size; Qwen2-VL applies transformers' smart_resize (factor =
/// patch * merge, the processor's min/max pixels, Python's round-half-to-even). Throws
/// InputError when smart_resize would refuse the size (a side under 10 pixels or an aspect ratio
/// over 200).
ImageGeometry image_geometry(const ModelSpec& spec, std::int64_t height, std::int64_t width);

/// transformers' Qwen2-VL smart_resize: returns {height, width}, both multiples of `factor`.
std::pair<std::int64_t, std::int64_t> smart_resize(std::int64_t height, std::int64_t width,
                                                   std::int64_t factor, std::int64_t min_pixels,
                                                   std::int64_t max_pixels);

}  // namespace lmmbench::gpu
