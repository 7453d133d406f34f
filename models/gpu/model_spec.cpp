#include "models/gpu/model_spec.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/json_source.hpp"
#include "core/text.hpp"

namespace lmmbench::gpu {

namespace {

// Activation names transformers accepts (src/transformers/activations.py, ACT2CLS). The shapes do
// not depend on the activation, but a name transformers would reject means the file is wrong.
const std::vector<std::string> kActivations = {"gelu",
                                               "gelu_10",
                                               "gelu_fast",
                                               "gelu_new",
                                               "gelu_python",
                                               "gelu_pytorch_tanh",
                                               "gelu_python_tanh",
                                               "gelu_accurate",
                                               "laplace",
                                               "leaky_relu",
                                               "linear",
                                               "mish",
                                               "quick_gelu",
                                               "relu",
                                               "relu2",
                                               "relu6",
                                               "sigmoid",
                                               "silu",
                                               "swish",
                                               "tanh",
                                               "hardswish",
                                               "prelu",
                                               "xielu"};

const std::vector<std::string> kTopLevelTypes = {"llava", "qwen2_vl"};
const std::vector<std::string> kTextTypes = {"llama", "mistral", "qwen2"};
const std::vector<std::string> kLlavaVisionTypes = {"clip_vision_model", "siglip_vision_model"};

/// Defaults transformers applies to an absent field of a text config, per model_type.
struct TextDefaults {
  std::int64_t vocab, hidden, intermediate, layers, heads;
  std::optional<std::int64_t> kv_heads;  ///< Empty: equal to the query heads.
  std::int64_t max_positions;
  std::optional<std::int64_t> sliding_window;
};

TextDefaults text_defaults(const std::string& model_type) {
  // LlamaConfig (configuration_llama.py): 32000, 4096, 11008, 32 layers, 32 heads, kv = heads,
  // 2048 positions.
  if (model_type == "llama") return {32000, 4096, 11008, 32, 32, std::nullopt, 2048, std::nullopt};
  // MistralConfig (configuration_mistral.py): 32000, 4096, 14336, 32, 32, kv 8, 4096 * 32
  // positions, sliding_window 4096.
  if (model_type == "mistral") return {32000, 4096, 14336, 32, 32, 8, 4096 * 32, 4096};
  // Qwen2Config (configuration_qwen2.py): 151936, 4096, 22016, 32, 32, kv 32, 32768 positions.
  if (model_type == "qwen2") return {151936, 4096, 22016, 32, 32, 32, 32768, std::nullopt};
  // Qwen2VLTextConfig (configuration_qwen2_vl.py): 152064, 8192, 29568, 80, 64, kv 8, 32768.
  return {152064, 8192, 29568, 80, 64, 8, 32768, std::nullopt};
}

std::int64_t positive(ObjectReader& r, std::string_view key, std::int64_t fallback) {
  return r.get_int(key, fallback, 1, std::int64_t{1} << 40);
}

void check_activation(const ConfigNode& node) {
  const std::string act = node.as_string();
  if (std::find(kActivations.begin(), kActivations.end(), act) == kActivations.end()) {
    node.fail(fmt::format("unknown activation '{}'{}; transformers accepts: {}", act,
                          did_you_mean(act, kActivations), join(kActivations, ", ")));
  }
}

/// Fields that mean an architecture the plan cannot model. Checked on every object read.
void reject_unmodelled(ObjectReader& r) {
  for (const char* key : {"num_experts", "num_local_experts", "n_routed_experts",
                          "moe_intermediate_size", "num_experts_per_tok"}) {
    if (const auto node = r.find(key)) {
      node->fail(fmt::format(
          "'{}': mixture-of-experts models are not modelled (the plan assumes one dense MLP per "
          "layer)",
          key));
    }
  }
  if (const auto node = r.find("mm_vision_tower")) {
    node->fail(
        "this is the original LLaVA repository format (mm_vision_tower names the tower but not its "
        "shapes); use the llava-hf conversion of the model (model_type 'llava' with "
        "vision_config and text_config)");
  }
  if (const auto node = r.find("image_grid_pinpoints")) {
    node->fail(
        "any-resolution image tiling (LLaVA-NeXT image_grid_pinpoints) is not modelled; only "
        "fixed-resolution LLaVA and Qwen2-VL dynamic resolution are");
  }
  if (const auto node = r.find("layer_types")) {
    for (const auto& element : node->elements()) {
      if (element.as_string() != "full_attention") {
        element.fail(fmt::format(
            "per-layer attention type '{}' is not modelled (only full_attention in every layer)",
            element.as_string()));
      }
    }
  }
}

LanguageSpec read_language(ObjectReader& r, const std::string& model_type,
                           std::optional<bool> top_level_tie) {
  reject_unmodelled(r);
  const TextDefaults d = text_defaults(model_type);
  LanguageSpec lm;
  lm.model_type = model_type;
  lm.vocab = positive(r, "vocab_size", d.vocab);
  lm.hidden = positive(r, "hidden_size", d.hidden);
  lm.intermediate = positive(r, "intermediate_size", d.intermediate);
  lm.layers = positive(r, "num_hidden_layers", d.layers);
  lm.heads = positive(r, "num_attention_heads", d.heads);
  lm.kv_heads = positive(r, "num_key_value_heads", d.kv_heads.value_or(lm.heads));
  lm.max_positions = positive(r, "max_position_embeddings", d.max_positions);
  if (const auto act = r.find("hidden_act")) check_activation(*act);

  if (const auto head_dim = r.find("head_dim")) {
    lm.head_dim = head_dim->as_int(1, 1 << 20);
  } else {
    if (lm.hidden % lm.heads != 0) {
      r.required("num_attention_heads")
          .fail(fmt::format("inconsistent: hidden_size {} is not a multiple of "
                            "num_attention_heads {} (and no head_dim is given)",
                            lm.hidden, lm.heads));
    }
    lm.head_dim = lm.hidden / lm.heads;
  }
  if (lm.heads % lm.kv_heads != 0) {
    const auto where = r.find("num_key_value_heads");
    const std::string message = fmt::format(
        "inconsistent: num_attention_heads {} is not a multiple of "
        "num_key_value_heads {}",
        lm.heads, lm.kv_heads);
    if (where) where->fail(message);
    r.node().fail(message);
  }

  // Sliding windows: Mistral applies one window to every layer (modelled); Qwen2 applies it only
  // to layers past max_window_layers (not modelled).
  if (model_type == "mistral") {
    if (const auto window = r.find("sliding_window")) {
      lm.sliding_window = window->as_int(1, std::int64_t{1} << 40);
    } else if (!r.node().json().contains("sliding_window")) {
      lm.sliding_window = d.sliding_window;  // absent, not an explicit null
    }
  } else {
    r.allow({"sliding_window", "max_window_layers"});
    if (const auto use = r.find("use_sliding_window"); use && use->as_bool()) {
      use->fail(
          "use_sliding_window true: Qwen2's per-layer sliding windows (layers past "
          "max_window_layers) are not modelled");
    }
  }

  if (const auto tie = r.find("tie_word_embeddings")) {
    lm.tie_word_embeddings = tie->as_bool();
  } else {
    lm.tie_word_embeddings = top_level_tie.value_or(false);
  }
  return lm;
}

/// Layers a LLaVA vision tower must run to produce hidden_states[k] for every selected k
/// (hidden_states[0] is the embedding output, so k = -2 of 24 layers needs 23 layers).
std::int64_t layers_needed(const ConfigNode& node, std::int64_t layers, std::int64_t* count) {
  std::vector<ConfigNode> entries;
  if (node.is_array()) {
    entries = node.elements();
    if (entries.empty()) node.fail("vision_feature_layer must not be an empty list");
  } else {
    entries.push_back(node);
  }
  *count = static_cast<std::int64_t>(entries.size());
  std::int64_t needed = 0;
  for (const auto& entry : entries) {
    const std::int64_t k = entry.as_int();
    if (k < -(layers + 1) || k > layers) {
      entry.fail(fmt::format(
          "inconsistent: vision_feature_layer {} is out of range for a {}-layer vision tower "
          "(valid: {} to {})",
          k, layers, -(layers + 1), layers));
    }
    needed = std::max(needed, k >= 0 ? k : layers + 1 + k);
  }
  return needed;
}

VisionSpec read_llava_vision(std::optional<ConfigNode> node) {
  VisionSpec v;
  v.temporal_patch = 1;
  v.spatial_merge = 1;
  if (!node) {
    // LlavaConfig without a vision_config builds CLIP ViT-L/14 at 336 px
    // (configuration_llava.py).
    v.kind = VisionKind::clip;
    v.model_type = "clip_vision_model";
    v.hidden = 1024;
    v.intermediate = 4096;
    v.layers = 24;
    v.heads = 16;
    v.channels = 3;
    v.patch = 14;
    v.image_size = 336;
    v.class_token = true;
    return v;
  }
  ObjectReader r(*node);
  reject_unmodelled(r);
  v.model_type = r.get_string("model_type", "clip_vision_model");
  const bool clip = v.model_type == "clip_vision_model";
  if (!clip && v.model_type != "siglip_vision_model") {
    r.required("model_type")
        .fail(fmt::format("unsupported vision_config model_type '{}'{} (supported: {})",
                          v.model_type, did_you_mean(v.model_type, kLlavaVisionTypes),
                          join(kLlavaVisionTypes, ", ")));
  }
  // CLIPVisionConfig and SiglipVisionConfig share their defaults (configuration_clip.py,
  // configuration_siglip.py: 768, 3072, 12 layers, 12 heads, 3 channels, 224 px) but the patch
  // (32 and 16); CLIP prepends a class token, SigLIP does not.
  v.kind = clip ? VisionKind::clip : VisionKind::siglip;
  v.class_token = clip;
  v.hidden = positive(r, "hidden_size", 768);
  v.intermediate = positive(r, "intermediate_size", 3072);
  v.layers = positive(r, "num_hidden_layers", 12);
  v.heads = positive(r, "num_attention_heads", 12);
  v.channels = positive(r, "num_channels", 3);
  v.image_size = positive(r, "image_size", 224);
  v.patch = positive(r, "patch_size", clip ? 32 : 16);
  if (const auto act = r.find("hidden_act")) check_activation(*act);
  if (v.hidden % v.heads != 0) {
    r.required("num_attention_heads")
        .fail(fmt::format("inconsistent: vision hidden_size {} is not a multiple of "
                          "num_attention_heads {}",
                          v.hidden, v.heads));
  }
  if (*v.image_size < v.patch) {
    r.required("patch_size")
        .fail(fmt::format("inconsistent: patch_size {} exceeds image_size {}", v.patch,
                          *v.image_size));
  }
  return v;
}

ModelSpec read_llava(ObjectReader& top) {
  ModelSpec spec;
  spec.model_type = "llava";
  spec.vision = read_llava_vision(top.find("vision_config"));

  std::optional<bool> top_tie;
  if (const auto tie = top.find("tie_word_embeddings")) top_tie = tie->as_bool();
  if (const auto text = top.find("text_config")) {
    ObjectReader tr(*text);
    const std::string type = tr.get_string("model_type", "llama");
    if (std::find(kTextTypes.begin(), kTextTypes.end(), type) == kTextTypes.end()) {
      tr.required("model_type")
          .fail(fmt::format("unsupported text_config model_type '{}'{} (supported: {})", type,
                            did_you_mean(type, kTextTypes), join(kTextTypes, ", ")));
    }
    spec.lm = read_language(tr, type, top_tie);
    if (const auto top_vocab = top.find("vocab_size");
        top_vocab && tr.has("vocab_size") && top_vocab->as_int() != spec.lm.vocab) {
      top_vocab->fail(fmt::format("inconsistent: vocab_size {} differs from text_config {}",
                                  top_vocab->as_int(), spec.lm.vocab));
    }
  } else {
    // LlavaConfig without a text_config builds LlamaConfig() (configuration_llava.py).
    spec.lm.model_type = "llama";
    const TextDefaults d = text_defaults("llama");
    spec.lm.vocab = d.vocab;
    spec.lm.hidden = d.hidden;
    spec.lm.intermediate = d.intermediate;
    spec.lm.layers = d.layers;
    spec.lm.heads = d.heads;
    spec.lm.kv_heads = d.heads;
    spec.lm.head_dim = d.hidden / d.heads;
    spec.lm.max_positions = d.max_positions;
    spec.lm.tie_word_embeddings = top_tie.value_or(false);
  }

  std::int64_t feature_layers = 1;
  if (const auto layer = top.find("vision_feature_layer")) {
    spec.vision.layers_run = layers_needed(*layer, spec.vision.layers, &feature_layers);
  } else {
    spec.vision.layers_run = spec.vision.layers - 1;  // LlavaConfig default: -2
  }

  spec.projector.kind = ProjectorKind::mlp2x;
  spec.projector.name = "mlp2x_gelu";
  spec.projector.activation = "gelu";
  if (const auto act = top.find("projector_hidden_act")) {
    check_activation(*act);
    spec.projector.activation = act->as_string();
  }
  const std::string strategy = top.get_string("vision_feature_select_strategy", "default");
  if (strategy != "default" && strategy != "full") {
    top.required("vision_feature_select_strategy")
        .fail(fmt::format("vision_feature_select_strategy must be 'default' or 'full', not '{}'",
                          strategy));
  }
  spec.projector.drop_first_token = strategy == "default";
  // LlavaMultiModalProjector: linear_1 (vision hidden x number of feature layers -> text hidden),
  // act, linear_2 (text hidden -> text hidden).
  spec.projector.input = spec.vision.hidden * feature_layers;
  spec.projector.hidden = spec.lm.hidden;
  spec.projector.output = spec.lm.hidden;

  if (const auto seq = top.find("image_seq_length")) {
    const ImageGeometry g = image_geometry(spec, *spec.vision.image_size, *spec.vision.image_size);
    if (seq->as_int() != g.tokens) {
      seq->fail(
          fmt::format("inconsistent: image_seq_length {} but the vision tower gives {} "
                      "tokens per image",
                      seq->as_int(), g.tokens));
    }
  }
  return spec;
}

ModelSpec read_qwen2_vl(ObjectReader& top) {
  ModelSpec spec;
  spec.model_type = "qwen2_vl";
  VisionSpec& v = spec.vision;
  v.kind = VisionKind::qwen2_vl;
  v.model_type = "qwen2_vl";
  v.class_token = false;
  // Qwen2VLImageProcessor defaults (image_processing_qwen2_vl.py): min_pixels 56 * 56,
  // max_pixels 28 * 28 * 1280. config.json does not carry the processor's settings.
  v.min_pixels = 56 * 56;
  v.max_pixels = 28 * 28 * 1280;
  std::int64_t merger_out = 3584;
  // Qwen2VLVisionConfig defaults (configuration_qwen2_vl.py): depth 32, embed_dim 1280,
  // hidden_size 3584, mlp_ratio 4, num_heads 16, in_channels 3, patch 14, merge 2, temporal 2.
  v.layers = 32;
  v.hidden = 1280;
  v.heads = 16;
  v.channels = 3;
  v.patch = 14;
  v.spatial_merge = 2;
  v.temporal_patch = 2;
  double mlp_ratio = 4.0;
  if (const auto node = top.find("vision_config")) {
    ObjectReader r(*node);
    reject_unmodelled(r);
    v.layers = positive(r, "depth", v.layers);
    v.hidden = positive(r, "embed_dim", v.hidden);
    merger_out = positive(r, "hidden_size", merger_out);
    mlp_ratio = r.get_number("mlp_ratio", mlp_ratio);
    if (mlp_ratio <= 0) r.required("mlp_ratio").fail("mlp_ratio must be > 0");
    v.heads = positive(r, "num_heads", v.heads);
    // The checkpoints write "in_chans"; transformers' field is "in_channels".
    v.channels = positive(r, "in_channels", positive(r, "in_chans", v.channels));
    v.patch = positive(r, "patch_size", v.patch);
    if (const auto spatial = r.find("spatial_patch_size");
        spatial && spatial->as_int() != v.patch) {
      spatial->fail(fmt::format("inconsistent: spatial_patch_size {} differs from patch_size {}",
                                spatial->as_int(), v.patch));
    }
    v.spatial_merge = positive(r, "spatial_merge_size", v.spatial_merge);
    v.temporal_patch = positive(r, "temporal_patch_size", v.temporal_patch);
    if (const auto act = r.find("hidden_act")) check_activation(*act);
    if (v.hidden % v.heads != 0) {
      r.required("num_heads")
          .fail(fmt::format("inconsistent: embed_dim {} is not a multiple of num_heads {}",
                            v.hidden, v.heads));
    }
  }
  // Qwen2VLVisionBlock's MLP: fc1 embed_dim -> int(embed_dim * mlp_ratio), fc2 back.
  v.intermediate = static_cast<std::int64_t>(static_cast<double>(v.hidden) * mlp_ratio);
  v.layers_run = v.layers;

  std::optional<bool> top_tie;
  if (const auto tie = top.find("tie_word_embeddings")) top_tie = tie->as_bool();
  if (const auto text = top.find("text_config")) {
    ObjectReader tr(*text);
    spec.lm = read_language(tr, "qwen2_vl", top_tie);
  } else {
    // Older checkpoints keep the decoder's fields at the top level (Qwen2VLConfig passes them to
    // Qwen2VLTextConfig).
    spec.lm = read_language(top, "qwen2_vl", top_tie);
  }
  if (merger_out != spec.lm.hidden) {
    top.required("vision_config")
        .fail(fmt::format("inconsistent: vision_config.hidden_size {} (the merger's output) "
                          "differs from the language model's hidden_size {}",
                          merger_out, spec.lm.hidden));
  }
  // Qwen2VLPatchMerger: LayerNorm, concatenate merge^2 patches, Linear(c, c), GELU, Linear(c, d)
  // with c = embed_dim * merge^2.
  const std::int64_t merged = v.hidden * v.spatial_merge * v.spatial_merge;
  spec.projector.kind = ProjectorKind::patch_merger;
  spec.projector.name = "qwen2_vl_patch_merger";
  spec.projector.activation = "gelu";
  spec.projector.input = merged;
  spec.projector.hidden = merged;
  spec.projector.output = spec.lm.hidden;
  spec.projector.drop_first_token = false;
  return spec;
}

}  // namespace

ModelSpec read_model_spec(const ConfigNode& root, std::string name) {
  ObjectReader top(root);
  reject_unmodelled(top);
  const ConfigNode type_node = top.required("model_type");
  const std::string type = type_node.as_string();
  ModelSpec spec;
  if (type == "llava") {
    spec = read_llava(top);
  } else if (type == "qwen2_vl") {
    spec = read_qwen2_vl(top);
  } else if (type == "llava_llama" || type == "llava_mistral") {
    type_node.fail(fmt::format(
        "model_type '{}' is the original LLaVA repository format; use the llava-hf conversion "
        "(model_type 'llava' with vision_config and text_config)",
        type));
  } else if (type == "llava_next" || type == "llava_onevision") {
    type_node.fail(fmt::format(
        "model_type '{}' tiles images at any resolution, which is not modelled (supported: {})",
        type, join(kTopLevelTypes, ", ")));
  } else {
    type_node.fail(fmt::format("unsupported model_type '{}'{} (supported: {})", type,
                               did_you_mean(type, kTopLevelTypes), join(kTopLevelTypes, ", ")));
  }
  spec.name = std::move(name);
  spec.source = root.source().name();
  return spec;
}

std::vector<std::string> shipped_model_specs(const std::filesystem::path& config_dir) {
  std::vector<std::string> names;
  const auto dir = config_dir / "models" / "gpu";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ModelSpec load_model_spec(const std::string& name_or_path,
                          const std::filesystem::path& config_dir) {
  const std::filesystem::path as_path(name_or_path);
  std::error_code ec;
  if (as_path.extension() == ".json" || std::filesystem::is_regular_file(as_path, ec)) {
    if (!std::filesystem::is_regular_file(as_path, ec)) {
      throw InputError(Location{name_or_path, 0, ""}, "model config file not found");
    }
    return read_model_spec(ConfigNode(JsonSource::from_file(as_path)), as_path.stem().string());
  }
  const auto shipped = config_dir / "models" / "gpu" / (name_or_path + ".json");
  if (!std::filesystem::is_regular_file(shipped, ec)) {
    const auto names = shipped_model_specs(config_dir);
    throw InputError(Location{"--model", 0, ""},
                     fmt::format("unknown model '{}'{}: give a config.json path or one of the "
                                 "specs in {}: {}",
                                 name_or_path, did_you_mean(name_or_path, names),
                                 (config_dir / "models" / "gpu").string(),
                                 names.empty() ? "(none found)" : join(names, ", ")));
  }
  return read_model_spec(ConfigNode(JsonSource::from_file(shipped)), name_or_path);
}

std::pair<std::int64_t, std::int64_t> smart_resize(std::int64_t height, std::int64_t width,
                                                   std::int64_t factor, std::int64_t min_pixels,
                                                   std::int64_t max_pixels) {
  // transformers image_processing_qwen2_vl.py smart_resize, with Python's round (half to even:
  // std::nearbyint in the default rounding mode), floor and ceil on float quotients.
  if (height < 10 || width < 10) {
    throw InputError(Location{"--image-size", 0, ""},
                     fmt::format("image {}x{}: Qwen2-VL's processor needs both sides >= 10 pixels",
                                 width, height));
  }
  const double h = static_cast<double>(height);
  const double w = static_cast<double>(width);
  const double f = static_cast<double>(factor);
  if (std::max(h, w) / std::min(h, w) > 200) {
    throw InputError(Location{"--image-size", 0, ""},
                     fmt::format("image {}x{}: Qwen2-VL's processor refuses aspect ratios over 200",
                                 width, height));
  }
  auto h_bar = static_cast<std::int64_t>(std::nearbyint(h / f)) * factor;
  auto w_bar = static_cast<std::int64_t>(std::nearbyint(w / f)) * factor;
  if (h_bar * w_bar > max_pixels) {
    const double beta = std::sqrt(h * w / static_cast<double>(max_pixels));
    h_bar = static_cast<std::int64_t>(std::floor(h / beta / f)) * factor;
    w_bar = static_cast<std::int64_t>(std::floor(w / beta / f)) * factor;
  } else if (h_bar * w_bar < min_pixels) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / (h * w));
    h_bar = static_cast<std::int64_t>(std::ceil(h * beta / f)) * factor;
    w_bar = static_cast<std::int64_t>(std::ceil(w * beta / f)) * factor;
  }
  return {h_bar, w_bar};
}

ImageGeometry image_geometry(const ModelSpec& spec, std::int64_t height, std::int64_t width) {
  const VisionSpec& v = spec.vision;
  ImageGeometry g;
  if (v.image_size) {
    // LLaVA's processor resizes (and crops or pads) every image to image_size x image_size; the
    // patch convolution then yields floor(image_size / patch)^2 patches (CLIPVisionEmbeddings).
    g.height = g.width = *v.image_size;
    g.grid_t = 1;
    g.grid_h = g.grid_w = *v.image_size / v.patch;
    g.patches = g.grid_h * g.grid_w;
    g.vision_seq = g.patches + (v.class_token ? 1 : 0);
    g.tokens = g.vision_seq - (spec.projector.drop_first_token ? 1 : 0);
    return g;
  }
  // Qwen2-VL: smart_resize to multiples of patch * merge; a still image is repeated to fill one
  // temporal patch, so grid_t = 1.
  const std::int64_t factor = v.patch * v.spatial_merge;
  std::tie(g.height, g.width) = smart_resize(height, width, factor, v.min_pixels, v.max_pixels);
  g.grid_t = 1;
  g.grid_h = g.height / v.patch;
  g.grid_w = g.width / v.patch;
  g.patches = g.grid_t * g.grid_h * g.grid_w;
  g.vision_seq = g.patches;
  g.tokens = g.patches / (v.spatial_merge * v.spatial_merge);
  return g;
}

}  // namespace lmmbench::gpu
