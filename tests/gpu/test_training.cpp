// The training model (models/gpu/training.hpp) against a hand calculation of the LLaVA-1.5 recipes:
// every figure below is written out from the architecture's sizes, with no call into the model's
// helpers, so a wrong rule in the code cannot also be in the expectation.
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "core/key_recorder.hpp"
#include "models/gpu/gpu_table.hpp"
#include "models/gpu/model_spec.hpp"
#include "models/gpu/training.hpp"

namespace lmmbench::gpu {
namespace {

const std::filesystem::path kConfigs = std::filesystem::path(LMMBENCH_SOURCE_DIR) / "configs";

/// Sizes of a LLaVA-1.5 model as its config.json gives them (llava-hf format).
struct Llava {
  double d;  ///< LM hidden
  double f;  ///< LM MLP width
  double L;  ///< LM layers
  double H;  ///< LM heads (= key/value heads; head dim 128)
  double V;  ///< vocabulary (llava-hf pads Vicuna's 32000 to 32064)
};
constexpr Llava k7b{4096, 11008, 32, 32, 32064};
constexpr Llava k13b{5120, 13824, 40, 40, 32064};

// CLIP ViT-L/14 at 336 px: 24 x 24 = 576 patches + a class token = 577 positions; hidden 1024,
// MLP 4096, 16 heads of 64; 24 layers held, 23 run (the features come from the second-to-last).
constexpr double kPatches = 576;
constexpr double kVisionSeq = 577;
constexpr double kDv = 1024;
constexpr double kFv = 4096;

/// Forward FLOPs of one sample's parts (a multiply and an add count 2).
struct Forward {
  double vision;       ///< patch embedding + 23 layers
  double projector_1;  ///< Linear(1024 -> d) over the 576 image tokens
  double projector_2;  ///< Linear(d -> d)
  double lm_gemms;     ///< L decoder layers' GEMMs over s tokens
  double lm_attention;
  double head;  ///< logits at every position
};

Forward forward(const Llava& m, double s) {
  Forward f{};
  const double patch_embed = 2 * kPatches * kDv * (3 * 14 * 14);
  // Per layer: qkv 3 dv^2, o_proj dv^2, fc1 dv fv, fc2 fv dv weights, each 2 FLOPs per row.
  const double vision_gemms = 23 * 2 * kVisionSeq * (4 * kDv * kDv + 2 * kDv * kFv);
  // Bidirectional attention: Q K^T and P V, 2 x 64 FLOPs per pair per head, 577^2 pairs.
  const double vision_attention = 23 * 16 * 4 * 64 * kVisionSeq * kVisionSeq;
  f.vision = patch_embed + vision_gemms + vision_attention;
  f.projector_1 = 2 * kPatches * kDv * m.d;
  f.projector_2 = 2 * kPatches * m.d * m.d;
  // Per layer: q, k, v, o (4 d^2) and gate, up, down (3 d f).
  f.lm_gemms = m.L * 2 * s * (4 * m.d * m.d + 3 * m.d * m.f);
  // Causal: position i attends to i positions, s (s + 1) / 2 pairs per head.
  f.lm_attention = m.L * m.H * 4 * 128 * s * (s + 1) / 2;
  f.head = 2 * s * m.d * m.V;
  return f;
}

double parameters_vision() {
  return 3 * 14 * 14 * kDv + 24 * (4 * kDv * kDv + 2 * kDv * kFv);
}
double parameters_projector(const Llava& m) {
  return kDv * m.d + m.d * m.d;
}
double parameters_lm(const Llava& m) {
  return 2 * m.V * m.d + m.L * (4 * m.d * m.d + 3 * m.d * m.f);
}

struct Fixture {
  TrainRecipe recipe;
  ModelSpec spec;
  GpuTable table;
};

Fixture load(const std::string& name) {
  auto recipe = load_train_recipe(kConfigs / "train" / (name + ".json"));
  auto spec = load_model_spec(recipe.model, kConfigs);
  auto table = GpuTable::load(kConfigs / "gpus.json");
  return {std::move(recipe), std::move(spec), std::move(table)};
}

void expect_rel(double actual, double expected, const char* what) {
  EXPECT_NEAR(actual, expected, 1e-9 * expected) << what;
}

void check_recipe(const std::string& name, const Llava& m) {
  const auto fx = load(name);
  ASSERT_EQ(fx.recipe.stages.size(), 2u);
  const auto& kind = fx.table.find(fx.recipe.gpu);
  const auto stages = estimate_training(fx.recipe, fx.spec, kind, 8);
  ASSERT_EQ(stages.size(), 2u);

  // Stage 1 (pretrain): 576 image + 32 text tokens; only the projector trains.
  {
    const double s = 576 + 32;
    const auto& e = stages[0];
    EXPECT_EQ(e.sequence, 608);
    const Forward f = forward(m, s);
    // Vision: frozen, under no_grad: forward only.
    const double vision = f.vision;
    // Projector: forward; dX of its second linear only (the first one's input, the frozen
    // tower's output, needs no gradient); dW of both.
    const double projector =
        (f.projector_1 + f.projector_2) + f.projector_2 + (f.projector_1 + f.projector_2);
    // LM, frozen but traversed to reach the image tokens: forward (2N) + dX (2N) = 4N per token;
    // attention backward (dQ, dK, dV) twice its forward.
    const double lm =
        (f.lm_gemms + f.head + f.lm_attention) + (f.lm_gemms + f.head) + 2 * f.lm_attention;
    // Checkpointing runs every decoder layer's forward again (not the head).
    const double recompute = f.lm_gemms + f.lm_attention;
    expect_rel(e.model_flops_per_sample, vision + projector + lm, "pretrain model FLOPs/sample");
    expect_rel(e.hardware_flops_per_sample, vision + projector + lm + recompute,
               "pretrain hardware FLOPs/sample");
    expect_rel(e.model_flops, 558000 * (vision + projector + lm), "pretrain model FLOPs");
    EXPECT_EQ(e.steps, 2180);  // ceil(558000 / 256)

    // Memory per GPU, ZeRO-2 over 8 GPUs: all weights in bf16 on every GPU, the projector's
    // gradients (2 bytes) and Adam states (12 bytes) sharded 8 ways.
    const double all = parameters_vision() + parameters_projector(m) + parameters_lm(m);
    expect_rel(e.memory.weights, 2 * all, "pretrain weights");
    expect_rel(e.memory.gradients, 2 * parameters_projector(m) / 8, "pretrain gradients");
    expect_rel(e.memory.optimizer, 12 * parameters_projector(m) / 8, "pretrain optimizer");
    // Activations (Korthikanti et al. 2022, flash attention: no 5as/h term), micro batch 32:
    // without checkpointing 34 s b h per layer; with it, 2 s b h per layer + one layer's 34 s b h.
    const double sbh = s * 32 * m.d;
    expect_rel(e.memory.activations_without_checkpointing, m.L * 34 * sbh, "pretrain act no ckpt");
    expect_rel(e.memory.activations_with_checkpointing, m.L * 2 * sbh + 34 * sbh,
               "pretrain act ckpt");
    expect_rel(e.memory.activations, m.L * 2 * sbh + 34 * sbh, "pretrain act");
    // Logits at every position: bf16 and the fp32 copy of the loss, 6 bytes.
    expect_rel(e.memory.logits, s * 32 * m.V * 6, "pretrain logits");
    expect_rel(
        e.memory.total(),
        2 * all + 14 * parameters_projector(m) / 8 + m.L * 2 * sbh + 34 * sbh + s * 32 * m.V * 6,
        "pretrain total");
    EXPECT_TRUE(e.memory.fits());
  }
  // Stage 2 (finetune): 576 image + 300 text tokens; projector and LM train.
  {
    const double s = 576 + 300;
    const auto& e = stages[1];
    EXPECT_EQ(e.sequence, 876);
    const Forward f = forward(m, s);
    const double vision = f.vision;
    const double projector =
        (f.projector_1 + f.projector_2) + f.projector_2 + (f.projector_1 + f.projector_2);
    // LM trains: forward 2N + dX 2N + dW 2N = 6N per token.
    const double lm = (f.lm_gemms + f.head + f.lm_attention) + (f.lm_gemms + f.head) +
                      2 * f.lm_attention + (f.lm_gemms + f.head);
    const double recompute = f.lm_gemms + f.lm_attention;
    expect_rel(e.model_flops_per_sample, vision + projector + lm, "finetune model FLOPs/sample");
    expect_rel(e.hardware_flops_per_sample, vision + projector + lm + recompute,
               "finetune hardware FLOPs/sample");
    expect_rel(e.model_flops, 665000 * (vision + projector + lm), "finetune model FLOPs");
    EXPECT_EQ(e.steps, 5196);  // ceil(665000 / 128)

    // ZeRO-3: weights, gradients and Adam states all sharded 8 ways.
    const double all = parameters_vision() + parameters_projector(m) + parameters_lm(m);
    const double trained = parameters_projector(m) + parameters_lm(m);
    expect_rel(e.memory.weights, 2 * all / 8, "finetune weights");
    expect_rel(e.memory.gradients, 2 * trained / 8, "finetune gradients");
    expect_rel(e.memory.optimizer, 12 * trained / 8, "finetune optimizer");
    const double sbh = s * 16 * m.d;
    expect_rel(e.memory.activations_without_checkpointing, m.L * 34 * sbh, "finetune act no ckpt");
    expect_rel(e.memory.activations, m.L * 2 * sbh + 34 * sbh, "finetune act");
    expect_rel(e.memory.logits, s * 16 * m.V * 6, "finetune logits");
    EXPECT_TRUE(e.memory.fits());
    // Without checkpointing 13B's activations alone exceed the 80 GB (7B's 62 GB do not).
    if (m.L == k13b.L) EXPECT_GT(m.L * 34 * sbh, 80e9);
  }
}

TEST(Training, Llava15_13bEqualsTheHandCalculation) {
  check_recipe("llava-1.5-13b", k13b);
}

TEST(Training, Llava15_7bEqualsTheHandCalculation) {
  check_recipe("llava-1.5-7b", k7b);
}

TEST(Training, TheHandCalculationsParameterCountsAreTheModelsSize) {
  // Vicuna-13B v1.5 has 13.0 B weights (the embedding padded to 32064 rows), CLIP ViT-L 0.30 B.
  EXPECT_NEAR(parameters_lm(k13b) / 1e9, 13.02, 0.01);
  EXPECT_NEAR(parameters_lm(k7b) / 1e9, 6.74, 0.01);
  EXPECT_NEAR(parameters_vision() / 1e9, 0.3026, 0.0001);
}

TEST(Training, AFrozenLmAloneNeedsNoBackwardAndTheVisionTowerTrainsWhenAsked) {
  auto fx = load("llava-1.5-7b");
  const auto& kind = fx.table.find("a100-80gb");
  auto& st = fx.recipe.stages[0];
  st.projector_trainable = false;
  st.vision_trainable = true;
  const auto e = estimate_training(fx.recipe, fx.spec, kind, 8)[0];
  // Vision trains: dX of its layers and twice its attention (not of the patch embedding: pixels
  // need no gradient), dW of the patch embedding and its layers.
  const double patch_embed = 2 * kPatches * kDv * (3 * 14 * 14);
  const double vision_gemms = 23 * 2 * kVisionSeq * (4 * kDv * kDv + 2 * kDv * kFv);
  const double vision_attention = 23 * 16 * 4 * 64 * kVisionSeq * kVisionSeq;
  expect_rel(e.modules[0].backward_activations, vision_gemms + 2 * vision_attention, "vision dX");
  expect_rel(e.modules[0].backward_weights, patch_embed + vision_gemms, "vision dW");
  expect_rel(e.modules[0].recompute, vision_gemms + vision_attention, "vision recompute");
  // Projector frozen but traversed: dX of both linears, no dW.
  const double s = 576 + 32;
  const Forward f = forward(k7b, s);
  expect_rel(e.modules[1].backward_activations, f.projector_1 + f.projector_2, "projector dX");
  EXPECT_EQ(e.modules[1].backward_weights, 0);
  EXPECT_EQ(e.modules[2].backward_weights, 0);
}

TEST(Training, ZeroStagesShardWhatTheyShould) {
  auto fx = load("llava-1.5-13b");
  const auto& kind = fx.table.find("a100-80gb");
  const double trained = parameters_projector(k13b) + parameters_lm(k13b);
  const double all = trained + parameters_vision();
  for (int zero = 0; zero <= 3; ++zero) {
    fx.recipe.stages[1].zero_stage = zero;
    const auto e = estimate_training(fx.recipe, fx.spec, kind, 8)[1];
    expect_rel(e.memory.optimizer, 12 * trained / (zero >= 1 ? 8 : 1), "optimizer");
    expect_rel(e.memory.gradients, 2 * trained / (zero >= 2 ? 8 : 1), "gradients");
    expect_rel(e.memory.weights, 2 * all / (zero >= 3 ? 8 : 1), "weights");
    // 13B with Adam unsharded needs 12 x 13.05 B bytes: no 80 GB GPU holds it.
    EXPECT_EQ(e.memory.fits(), zero >= 2) << "ZeRO-" << zero;
  }
}

TEST(Training, EagerAttentionStoresTheScores) {
  auto fx = load("llava-1.5-7b");
  const auto& kind = fx.table.find("a100-80gb");
  fx.recipe.stages[1].flash_attention = false;
  const auto e = estimate_training(fx.recipe, fx.spec, kind, 8)[1];
  const double s = 876, b = 16;
  // Korthikanti et al. 2022: s b h (34 + 5 a s / h) per layer.
  expect_rel(e.memory.activations_without_checkpointing,
             32 * (s * b * 4096 * 34 + 5 * 32 * s * s * b), "eager activations");
}

TEST(Training, TimeAndMfuAreInverse) {
  const double flops = 6.4e19;
  const double seconds = training_seconds(flops, 8, 312e12, 0.28);
  EXPECT_NEAR(seconds / 3600, 6.4e19 / (8 * 312e12 * 0.28) / 3600, 1e-9);
  EXPECT_NEAR(mfu_for_seconds(flops, 8, 312e12, seconds), 0.28, 1e-12);
}

ConfigNode text(const std::string& json) {
  return ConfigNode(JsonSource::from_text(json, "recipe.json", "."));
}

std::string recipe_with(const std::string& stage_fields) {
  return R"({"name": "r", "model": "llava-1.5-7b", "gpu": "a100-80gb", "gpus": 8,
  "precision": "bf16", "stages": [{"name": "s", "trainable": ["projector"],
  "samples": 1000, "text_tokens": 32, "text_tokens_source": "test",
  "global_batch": 256, "micro_batch": 32)" +
         stage_fields + "}]}";
}

void expect_input_error(const std::string& json, const std::string& field, int line) {
  try {
    (void)read_train_recipe(text(json));
    ADD_FAILURE() << "no error for " << field;
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "recipe.json");
    EXPECT_EQ(e.where().line, static_cast<std::size_t>(line)) << e.what();
    EXPECT_NE(e.where().field.find(field), std::string::npos) << e.what();
  }
}

TEST(TrainRecipe, BadFieldsAreNamedWithFileLineAndField) {
  EXPECT_NO_THROW((void)read_train_recipe(text(recipe_with(""))));
  expect_input_error(recipe_with(R"(, "zero_stage": 4)"), "zero_stage", 4);
  expect_input_error(recipe_with(R"(, "epochs": 0)"), "epochs", 4);
  expect_input_error(recipe_with(R"(, "epochs": -1)"), "epochs", 4);
  expect_input_error(recipe_with(R"(, "epochs": 1e308)"), "epochs", 4);
  expect_input_error(recipe_with(R"(, "images_per_sample": -1)"), "images_per_sample", 4);
  expect_input_error(recipe_with(R"(, "flash": true)"), "flash", 4);
  // 256 is not a multiple of 48 x 8.
  expect_input_error(
      R"({"name": "r", "model": "m", "gpu": "g", "gpus": 8, "precision": "bf16",
  "stages": [{"name": "s", "trainable": ["lm"], "samples": 1, "text_tokens": 1,
  "text_tokens_source": "t", "global_batch": 256, "micro_batch": 48}]})",
      "global_batch", 3);
  for (const char* samples : {"0", "-5", "1e30", "9223372036854775808", "2.5"}) {
    expect_input_error(
        R"({"name": "r", "model": "m", "gpu": "g", "gpus": 8, "precision": "bf16",
  "stages": [{"name": "s", "trainable": ["lm"], "samples": )" +
            std::string(samples) + R"(, "text_tokens": 1,
  "text_tokens_source": "t", "global_batch": 256, "micro_batch": 32}]})",
        "samples", 2);
  }
  expect_input_error(
      R"({"name": "r", "model": "m", "gpu": "g", "gpus": 0, "precision": "bf16", "stages": []})",
      "gpus", 1);
  expect_input_error(
      R"({"name": "r", "model": "m", "gpu": "g", "gpus": 8, "precision": "fp64", "stages": []})",
      "precision", 1);
  expect_input_error(
      R"({"name": "r", "model": "m", "gpu": "g", "gpus": 8, "precision": "bf16", "stages": []})",
      "stages", 1);
  expect_input_error(
      R"({"name": "r", "model": "m", "gpu": "g", "gpus": 8, "precision": "bf16",
  "stages": [{"name": "s", "trainable": ["eyes"], "samples": 1, "text_tokens": 1,
  "text_tokens_source": "t", "global_batch": 256, "micro_batch": 32}]})",
      "trainable", 2);
  expect_input_error(
      R"({"name": "r", "model": "m", "gpu": "g", "gpus": 8, "precision": "bf16",
  "stages": [{"name": "s", "trainable": [], "samples": 1, "text_tokens": 1,
  "text_tokens_source": "t", "global_batch": 256, "micro_batch": 32}]})",
      "trainable", 2);
}

TEST(TrainRecipe, ASequenceBeyondTheModelsPositionsNamesTheTextTokens) {
  auto recipe = read_train_recipe(text(recipe_with("").replace(
      recipe_with("").find("\"text_tokens\": 32"), 17, "\"text_tokens\": 5000")));
  const auto spec = load_model_spec("llava-1.5-7b", kConfigs);
  const auto table = GpuTable::load(kConfigs / "gpus.json");
  try {
    (void)estimate_training(recipe, spec, table.find("a100-80gb"), 8);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "recipe.json");
    EXPECT_EQ(e.where().line, 3u);
    EXPECT_NE(std::string(e.what()).find("5576 tokens"), std::string::npos) << e.what();
  }
  // The GPU count must keep the global batch whole.
  auto ok = read_train_recipe(text(recipe_with("")));
  EXPECT_THROW((void)estimate_training(ok, spec, table.find("a100-80gb"), 3), InputError);
  EXPECT_THROW((void)estimate_training(ok, spec, table.find("a100-80gb"), 0), InputError);
}

/// "/stages/0/published/hours" -> "stages[].published.hours".
std::string dotted(const std::string& pointer) {
  std::string out;
  std::size_t start = 1;
  while (start <= pointer.size()) {
    const std::size_t end = std::min(pointer.find('/', start), pointer.size());
    const std::string token = pointer.substr(start, end - start);
    if (!token.empty() && token.find_first_not_of("0123456789") == std::string::npos) {
      out += "[]";
    } else {
      out += (out.empty() ? "" : ".") + token;
    }
    start = end + 1;
  }
  return out;
}

/// The keys of the recipe table in docs/gpu.md ("### Recipes"): every `code` span of each row's
/// first cell.
std::set<std::string> documented_recipe_keys() {
  std::ifstream in(std::filesystem::path(LMMBENCH_SOURCE_DIR) / "docs" / "gpu.md");
  std::set<std::string> keys;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0) in_section = line == "### Recipes";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const std::string cell = line.substr(1, line.find('|', 1) - 1);
    for (std::size_t open = cell.find('`'); open != std::string::npos;) {
      const std::size_t close = cell.find('`', open + 1);
      keys.insert(cell.substr(open + 1, close - open - 1));
      open = cell.find('`', close + 1);
    }
  }
  return keys;
}

TEST(TrainRecipe, DocsListEveryKeyTheReaderAccepts) {
  // Every key the reader asks for, from the shipped recipes and a recipe with every optional key.
  std::set<std::string> read;
  {
    KeyRecorder recorder;
    for (const char* name : {"llava-1.5-7b", "llava-1.5-13b"})
      (void)load_train_recipe(kConfigs / "train" / (std::string(name) + ".json"));
    (void)read_train_recipe(text(recipe_with(
        R"(, "description": "d", "source": "s", "images_per_sample": 1, "image_size": [336, 336],
        "epochs": 2, "zero_stage": 1, "gradient_checkpointing": true, "flash_attention": true,
        "published": {"hours": 1, "source": "s", "gpu": "a100-40gb"})")));
    for (const auto& [document, pointer] : recorder.keys())
      read.insert(dotted(pointer));
  }
  EXPECT_EQ(read, documented_recipe_keys());
}

}  // namespace
}  // namespace lmmbench::gpu
