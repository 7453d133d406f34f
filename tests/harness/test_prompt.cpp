#include <gtest/gtest.h>

#include "harness/prompt.hpp"

namespace lmmbench::harness {
namespace {

datasets::Sample sample() {
  datasets::Sample s;
  s.id = "1";
  s.question = "What is shown?";
  s.options = {"a cat", "a dog"};
  s.category = "animals";
  s.meta = {{"hint", "Look closely."}, {"level", 3}};
  s.images = {{LMMBENCH_SOURCE_DIR "/tests/fixtures/tiny_vqa/images/red.png", "image/png"}};
  return s;
}

TEST(Prompt, FillsEveryPlaceholder) {
  EXPECT_EQ(render_prompt("{meta.hint} {question}\n{options}\nAnswer.", sample()),
            "Look closely. What is shown?\nA. a cat\nB. a dog\nAnswer.");
  EXPECT_EQ(render_prompt("{category}/{meta.level}/{meta.absent}/{{literal}}", sample()),
            "animals/3//{literal}");
}

TEST(Prompt, TemplatesWithUnknownPlaceholdersAreRejected) {
  const ConfigNode where(JsonSource::from_value("x", "task.json", 4));
  EXPECT_NO_THROW(validate_template("{question} {{x}} {meta.hint}", where));
  try {
    validate_template("{questoin}", where);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("task.json:4"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("did you mean 'question'"), std::string::npos);
  }
  EXPECT_THROW(validate_template("{question", where), InputError);
  EXPECT_THROW(validate_template("question}", where), InputError);
}

TEST(Prompt, RequestPlacesImagesAndHashesWhatTheModelSees) {
  TaskConfig task;
  task.name = "t";
  task.prompt.template_text = "{question}";
  auto request = build_request(task, sample());
  ASSERT_EQ(request.content.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<models::ImagePart>(request.content[0]));
  EXPECT_EQ(request.text(), "What is shown?");
  EXPECT_EQ(request.image_count(), 1u);
  const auto hash = prompt_sha256(request);

  task.prompt.image_placement = PromptConfig::ImagePlacement::after;
  const auto after = build_request(task, sample());
  EXPECT_TRUE(std::holds_alternative<models::ImagePart>(after.content[1]));
  EXPECT_NE(prompt_sha256(after), hash);

  task.prompt.image_placement = PromptConfig::ImagePlacement::before;
  task.prompt.system = "Be brief.";
  EXPECT_NE(prompt_sha256(build_request(task, sample())), hash);

  auto other = sample();
  other.images[0].path = LMMBENCH_SOURCE_DIR "/tests/fixtures/tiny_vqa/images/blue.png";
  task.prompt.system.clear();
  EXPECT_NE(prompt_sha256(build_request(task, other)), hash);
  EXPECT_EQ(prompt_sha256(build_request(task, sample())), hash);
}

TEST(Prompt, ParamsHashChangesWithEveryParameter) {
  models::GenerationParams p;
  const auto base = params_sha256(p);
  p.max_tokens = 17;
  EXPECT_NE(params_sha256(p), base);
  p = {};
  p.stop = {"\n"};
  EXPECT_NE(params_sha256(p), base);
  p = {};
  p.seed = 1;
  EXPECT_NE(params_sha256(p), base);
  p = {};
  EXPECT_EQ(params_sha256(p), base);
}

}  // namespace
}  // namespace lmmbench::harness
