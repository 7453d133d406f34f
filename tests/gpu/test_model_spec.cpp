// Model specs read from Hugging Face config.json: the shipped LLaVA-1.5 and Qwen2-VL specs, the
// transformers defaults applied to absent fields, image geometry, and located errors.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "gpu_test_support.hpp"

namespace lmmbench::gpu {
namespace {

using testing::kConfigDir;
using testing::shipped;
using testing::spec_from_text;

TEST(ModelSpec, Llava15_7bFromTheLlavaHfConfigWithLlamaDefaults) {
  const ModelSpec s = shipped("llava-1.5-7b");
  EXPECT_EQ(s.model_type, "llava");
  // CLIP ViT-L/14 at 336 px; vision_feature_layer -2 of 24 layers needs 23 of them.
  EXPECT_EQ(s.vision.kind, VisionKind::clip);
  EXPECT_EQ(s.vision.hidden, 1024);
  EXPECT_EQ(s.vision.intermediate, 4096);
  EXPECT_EQ(s.vision.layers, 24);
  EXPECT_EQ(s.vision.layers_run, 23);
  EXPECT_EQ(s.vision.heads, 16);
  EXPECT_EQ(s.vision.patch, 14);
  ASSERT_TRUE(s.vision.image_size.has_value());
  EXPECT_EQ(*s.vision.image_size, 336);
  EXPECT_TRUE(s.vision.class_token);
  // mlp2x_gelu: 1024 -> 4096 -> 4096, CLS dropped ("default" strategy).
  EXPECT_EQ(s.projector.kind, ProjectorKind::mlp2x);
  EXPECT_EQ(s.projector.name, "mlp2x_gelu");
  EXPECT_EQ(s.projector.input, 1024);
  EXPECT_EQ(s.projector.hidden, 4096);
  EXPECT_EQ(s.projector.output, 4096);
  EXPECT_TRUE(s.projector.drop_first_token);
  // Vicuna-7B: the llava-hf text_config omits these, so LlamaConfig's defaults apply.
  EXPECT_EQ(s.lm.model_type, "llama");
  EXPECT_EQ(s.lm.hidden, 4096);
  EXPECT_EQ(s.lm.intermediate, 11008);
  EXPECT_EQ(s.lm.layers, 32);
  EXPECT_EQ(s.lm.heads, 32);
  EXPECT_EQ(s.lm.kv_heads, 32);
  EXPECT_EQ(s.lm.head_dim, 128);
  EXPECT_EQ(s.lm.vocab, 32064);
  EXPECT_EQ(s.lm.max_positions, 4096);
  EXPECT_FALSE(s.lm.sliding_window.has_value());
  EXPECT_FALSE(s.lm.tie_word_embeddings);
}

TEST(ModelSpec, Llava15_13b) {
  const ModelSpec s = shipped("llava-1.5-13b");
  EXPECT_EQ(s.lm.hidden, 5120);
  EXPECT_EQ(s.lm.intermediate, 13824);
  EXPECT_EQ(s.lm.layers, 40);
  EXPECT_EQ(s.lm.heads, 40);
  EXPECT_EQ(s.lm.kv_heads, 40);
  EXPECT_EQ(s.projector.input, 1024);
  EXPECT_EQ(s.projector.output, 5120);
  EXPECT_EQ(s.vision.layers_run, 23);
}

TEST(ModelSpec, Qwen2VlHasItsOwnVisionTowerAndGroupedQueryAttention) {
  const ModelSpec s = shipped("qwen2-vl-7b-instruct");
  EXPECT_EQ(s.model_type, "qwen2_vl");
  EXPECT_EQ(s.vision.kind, VisionKind::qwen2_vl);
  EXPECT_EQ(s.vision.layers, 32);
  EXPECT_EQ(s.vision.layers_run, 32);
  EXPECT_EQ(s.vision.hidden, 1280);
  EXPECT_EQ(s.vision.intermediate, 5120);  // embed_dim x mlp_ratio 4
  EXPECT_EQ(s.vision.heads, 16);
  EXPECT_EQ(s.vision.patch, 14);
  EXPECT_EQ(s.vision.temporal_patch, 2);
  EXPECT_EQ(s.vision.spatial_merge, 2);
  EXPECT_FALSE(s.vision.image_size.has_value());
  EXPECT_FALSE(s.vision.class_token);
  EXPECT_EQ(s.projector.kind, ProjectorKind::patch_merger);
  EXPECT_EQ(s.projector.input, 5120);
  EXPECT_EQ(s.projector.hidden, 5120);
  EXPECT_EQ(s.projector.output, 3584);
  EXPECT_EQ(s.lm.hidden, 3584);
  EXPECT_EQ(s.lm.intermediate, 18944);
  EXPECT_EQ(s.lm.layers, 28);
  EXPECT_EQ(s.lm.heads, 28);
  EXPECT_EQ(s.lm.kv_heads, 4);
  EXPECT_EQ(s.lm.head_dim, 128);
  EXPECT_EQ(s.lm.vocab, 152064);
  EXPECT_FALSE(s.lm.sliding_window.has_value());  // use_sliding_window false
}

TEST(ModelSpec, ShippedSpecsAreListedAndUnknownNamesSayWhatExists) {
  const auto names = shipped_model_specs(kConfigDir);
  EXPECT_EQ(names,
            (std::vector<std::string>{"llava-1.5-13b", "llava-1.5-7b", "qwen2-vl-7b-instruct"}));
  try {
    (void)load_model_spec("llava-1.5-7", kConfigDir);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown model 'llava-1.5-7' (did you mean 'llava-1.5-7b'?)"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("qwen2-vl-7b-instruct"), std::string::npos) << what;
  }
  EXPECT_THROW((void)load_model_spec("missing.json", kConfigDir), InputError);
}

TEST(ModelSpec, EmptyLlavaConfigGetsLlavaConfigDefaults) {
  // LlavaConfig() without sub-configs: CLIP ViT-L/14-336 and LlamaConfig().
  const ModelSpec s = spec_from_text(R"({"model_type": "llava"})");
  EXPECT_EQ(s.vision.hidden, 1024);
  EXPECT_EQ(s.vision.layers_run, 23);
  EXPECT_EQ(s.lm.hidden, 4096);
  EXPECT_EQ(s.lm.vocab, 32000);
  EXPECT_EQ(s.lm.max_positions, 2048);
}

TEST(ModelSpec, MistralTextConfigIsGroupedQueryWithASlidingWindow) {
  const ModelSpec s = spec_from_text(R"({"model_type": "llava",
    "text_config": {"model_type": "mistral"}})");
  EXPECT_EQ(s.lm.kv_heads, 8);
  EXPECT_EQ(s.lm.intermediate, 14336);
  ASSERT_TRUE(s.lm.sliding_window.has_value());
  EXPECT_EQ(*s.lm.sliding_window, 4096);
  const ModelSpec none = spec_from_text(R"({"model_type": "llava",
    "text_config": {"model_type": "mistral", "sliding_window": null}})");
  EXPECT_FALSE(none.lm.sliding_window.has_value());
}

TEST(ModelSpec, SiglipAndFeatureLayerListsAndFullStrategy) {
  const ModelSpec s = spec_from_text(R"({"model_type": "llava",
    "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152,
      "intermediate_size": 4304, "num_hidden_layers": 27, "num_attention_heads": 16,
      "image_size": 384, "patch_size": 14},
    "vision_feature_layer": [-1, -5],
    "vision_feature_select_strategy": "full"})");
  EXPECT_EQ(s.vision.kind, VisionKind::siglip);
  EXPECT_EQ(s.vision.layers_run, 27);      // -1 of 27 needs all of them
  EXPECT_EQ(s.projector.input, 2 * 1152);  // two feature layers concatenated
  const ImageGeometry g = image_geometry(s, 100, 100);
  EXPECT_EQ(g.patches, 27 * 27);
  EXPECT_EQ(g.vision_seq, 729);
  EXPECT_EQ(g.tokens, 729);
}

TEST(ImageGeometry, LlavaResizesEveryImageTo336) {
  const ModelSpec s = shipped("llava-1.5-7b");
  for (const auto& [h, w] : {std::pair{336, 336}, std::pair{1080, 1920}, std::pair{20, 50}}) {
    const ImageGeometry g = image_geometry(s, h, w);
    EXPECT_EQ(g.height, 336);
    EXPECT_EQ(g.patches, 576);
    EXPECT_EQ(g.vision_seq, 577);
    EXPECT_EQ(g.tokens, 576);
  }
}

TEST(ImageGeometry, Qwen2VlSmartResizeMatchesTransformers) {
  // Expected values from transformers' smart_resize (factor 28, min 56*56, max 28*28*1280),
  // computed with Python's round / floor / ceil.
  struct Case {
    std::int64_t h, w, eh, ew;
  };
  for (const Case c :
       {Case{336, 336, 336, 336}, Case{1000, 500, 1008, 504}, Case{4000, 3000, 1148, 840},
        Case{20, 20, 56, 56}, Case{1080, 1920, 728, 1316}, Case{42, 42, 56, 56},  // 1.5 rounds to 2
        Case{70, 70, 56, 56},                                                     // 2.5 rounds to 2
        Case{10, 2000, 28, 812}}) {
    EXPECT_EQ(smart_resize(c.h, c.w, 28, 56 * 56, 28 * 28 * 1280),
              (std::pair<std::int64_t, std::int64_t>{c.eh, c.ew}))
        << c.h << "x" << c.w;
  }
  const ModelSpec s = shipped("qwen2-vl-7b-instruct");
  const ImageGeometry g = image_geometry(s, 336, 336);
  EXPECT_EQ(g.grid_h, 24);
  EXPECT_EQ(g.patches, 576);
  EXPECT_EQ(g.tokens, 144);
  EXPECT_THROW((void)image_geometry(s, 9, 100), InputError);
  EXPECT_THROW((void)image_geometry(s, 10, 2100), InputError);  // aspect ratio over 200
}

/// The InputError of reading `text`: its message must contain `needle` and name line `line`.
void expect_error(const std::string& text, const std::string& needle, std::size_t line) {
  try {
    (void)spec_from_text(text);
    ADD_FAILURE() << "expected InputError containing: " << needle;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(e.where().file, "test.json");
    EXPECT_EQ(e.where().line, line) << e.what();
  }
}

TEST(ModelSpecErrors, UnknownOrMissingTypes) {
  expect_error("{\n \"model_type\": \"llavaa\"\n}",
               "unsupported model_type 'llavaa' (did you mean 'llava'?)", 2);
  expect_error("{\n \"vocab_size\": 5\n}", "missing required field", 1);
  expect_error("{\"model_type\": \"llava\",\n \"text_config\": {\n  \"model_type\": \"gpt2\"}}",
               "unsupported text_config model_type 'gpt2'", 3);
  expect_error("{\"model_type\": \"llava\",\n \"vision_config\": {\n  \"model_type\": \"dinov2\"}}",
               "unsupported vision_config model_type 'dinov2'", 3);
  expect_error("{\"model_type\": \"llava\",\n \"projector_hidden_act\": \"gelu_fancy\"}",
               "unknown activation 'gelu_fancy'", 2);
  expect_error("{\n\"model_type\": \"llava_llama\"}", "original LLaVA repository format", 2);
  expect_error("{\"model_type\": \"llava\",\n\"mm_vision_tower\": \"openai/clip\"}",
               "original LLaVA repository format", 2);
}

TEST(ModelSpecErrors, ArchitecturesThePlanCannotModel) {
  expect_error("{\"model_type\": \"llava\",\n\"image_grid_pinpoints\": [[336, 672]]}",
               "any-resolution image tiling", 2);
  expect_error(
      "{\"model_type\": \"llava\",\n \"text_config\": {\"model_type\": \"mistral\",\n"
      "  \"num_local_experts\": 8}}",
      "mixture-of-experts", 3);
  expect_error(
      "{\"model_type\": \"llava\", \"text_config\": {\"model_type\": \"qwen2\",\n"
      "  \"use_sliding_window\": true}}",
      "use_sliding_window true", 2);
  expect_error("{\n\"model_type\": \"llava_next\"}", "any resolution", 2);
}

TEST(ModelSpecErrors, InconsistentSizes) {
  expect_error("{\"model_type\": \"llava\", \"text_config\": {\n  \"num_attention_heads\": 30}}",
               "hidden_size 4096 is not a multiple of num_attention_heads 30", 2);
  expect_error("{\"model_type\": \"llava\", \"text_config\": {\n  \"num_key_value_heads\": 7}}",
               "num_attention_heads 32 is not a multiple of num_key_value_heads 7", 2);
  expect_error("{\"model_type\": \"llava\",\n \"vision_feature_layer\": -30}",
               "vision_feature_layer -30 is out of range for a 24-layer vision tower", 2);
  expect_error("{\"model_type\": \"llava\",\n \"image_seq_length\": 600}",
               "image_seq_length 600 but the vision tower gives 576 tokens per image", 2);
  expect_error(
      "{\"model_type\": \"llava\", \"vocab_size\": 32001,\n"
      " \"text_config\": {\"vocab_size\": 32064}}",
      "vocab_size 32001 differs from text_config 32064", 1);
  expect_error("{\"model_type\": \"qwen2_vl\", \"hidden_size\": 4096,\n \"vision_config\": {}}",
               "vision_config.hidden_size 3584 (the merger's output) differs from the language "
               "model's hidden_size 4096",
               2);
  expect_error("{\"model_type\": \"llava\",\n \"text_config\": {\"hidden_size\": -1}}",
               "out of range", 2);
}

}  // namespace
}  // namespace lmmbench::gpu
