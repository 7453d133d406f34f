// The replay backend's formats: LLaVA answer files, lmms-eval sample logs, LLaVA ScienceQA result
// files and MME result files (models/baselines/baselines.cpp), and the image-limit options.
#include <future>
#include <map>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/llava_questions.hpp"
#include "datasets/mme.hpp"
#include "models/baselines/baselines.hpp"
#include "models/image_options.hpp"

namespace lmmbench::models {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kFixtures =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures";
const std::filesystem::path kShared = std::filesystem::path(LMMBENCH_SHARED_DIR) / "fixtures";
const Clock kClock;

std::unique_ptr<Backend> replay(const std::string& json) {
  auto reader = ConfigNode(JsonSource::from_text(json, "model.json", kFixtures)).object();
  return create_replay(reader, {kClock, 0});
}

/// Asks `backend` for each sample (the request text being `prompt(sample)`), after preparing it
/// with the samples; returns the answer per sample id, or "error:<kind>: <message>".
template <typename Prompt>
std::map<std::string, std::string> ask(Backend& backend,
                                       const std::vector<datasets::Sample>& samples,
                                       Prompt prompt) {
  backend.prepare(TaskData{"t", samples, {}});
  std::mutex mutex;
  std::map<std::string, std::string> answers;
  std::vector<std::promise<void>> done(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    Request r;
    r.task = "t";
    r.sample_id = samples[i].id;
    r.content.emplace_back(TextPart{prompt(samples[i])});
    backend.submit(std::move(r), [&, i](Completion c) {
      std::lock_guard lock(mutex);
      answers[samples[i].id] =
          c.ok() ? c.text : "error:" + std::string(to_string(c.error)) + ": " + c.error_message;
      done[i].set_value();
    });
  }
  for (auto& d : done)
    d.get_future().wait();
  return answers;
}

std::vector<datasets::Sample> load(const std::string& json,
                                   std::unique_ptr<datasets::Loader> (*create)(ObjectReader&)) {
  auto reader = ConfigNode(JsonSource::from_text(json, "dataset.json", kFixtures)).object();
  return create(reader)->load().samples;
}

TEST(ReplayLlavaAnswers, PairsRepeatedQuestionIdsByPrompt) {
  // LLaVA's MME question file gives both questions of an image the same question_id; its answer
  // file repeats it. The prompt tells them apart.
  const auto samples = load(R"({"path": "llava_eval/llava_mme.head.jsonl", "load_images": false})",
                            &datasets::LlavaQuestionsLoader::create);
  auto backend =
      replay(R"({"path": "llava_eval/mme_llava-v1.5-13b.jsonl", "format": "llava-answers"})");
  const auto answers = ask(*backend, samples, [](const auto& s) { return s.question; });
  EXPECT_EQ(answers.at("code_reasoning/0020.png"), "Yes");    // "Is a python code shown ...?"
  EXPECT_EQ(answers.at("code_reasoning/0020.png#2"), "Yes");  // "Is a c++ code shown ...?"
  EXPECT_EQ(answers.size(), 6U);
  for (const auto& [id, text] : answers)
    EXPECT_THAT(text, ::testing::Not(HasSubstr("error"))) << id;
  // A prompt that matches neither answer is missing, never a guess.
  const auto wrong = ask(*backend, samples, [](const auto&) { return std::string("other"); });
  EXPECT_THAT(wrong.at("code_reasoning/0020.png"),
              HasSubstr("error:missing: replay: 2 answers share the key code_reasoning/0020.png"));
  EXPECT_THAT(backend->fingerprint(), HasSubstr("replay/v1/llava-answers/"));
}

TEST(ReplayLlavaAnswers, UniqueIdsNeedNoPromptAndModelIdFilters) {
  const auto samples =
      load(R"({"path": "llava_eval/llava_pope_test.excerpt.jsonl", "load_images": false})",
           &datasets::LlavaQuestionsLoader::create);
  auto backend = replay(R"({"path": "llava_eval/pope_llava-v1.5-13b.excerpt.jsonl",
      "format": "llava-answers", "model": "llava-v1.5-13b"})");
  const auto answers = ask(*backend, samples, [](const auto&) { return std::string("x"); });
  EXPECT_EQ(answers.at("1"), "No");
  EXPECT_EQ(answers.at("3"), "Yes");
  EXPECT_EQ(answers.at("20000091"), "Yes");
  auto other = replay(R"({"path": "llava_eval/pope_llava-v1.5-13b.excerpt.jsonl",
      "format": "llava-answers", "model": "another-model"})");
  EXPECT_THAT(ask(*other, samples, [](const auto&) { return std::string("x"); }).at("1"),
              HasSubstr("error:missing"));
}

TEST(ReplayLmmsEvalSamples, ReadsBothLogLayouts) {
  std::vector<datasets::Sample> samples(3);
  for (int i = 0; i < 3; ++i)
    samples[static_cast<std::size_t>(i)].id = std::to_string(i);
  auto backend =
      replay(R"({"path": "formats/lmms_eval_samples_pope.jsonl", "format": "lmms-eval-samples"})");
  const auto answers = ask(*backend, samples, [](const auto&) { return std::string(); });
  EXPECT_EQ(answers.at("0"), "Yes");  // filtered_resps flattened to a string (current lmms-eval)
  EXPECT_EQ(answers.at("1"), "No");   // ["No"] (older lmms-eval)
  EXPECT_EQ(answers.at("2"), "yes");
  auto raw = replay(R"({"path": "formats/lmms_eval_samples_pope.jsonl",
      "format": "lmms-eval-samples", "response": "raw"})");
  EXPECT_EQ(ask(*raw, samples, [](const auto&) { return std::string(); }).at("1"),
            "No, there is no car.");
}

TEST(ReplayLmmsEvalSamples, AMissingIdFieldNamesTheLine) {
  try {
    (void)replay(R"({"path": "formats/lmms_eval_samples_pope.jsonl",
        "format": "lmms-eval-samples", "id_field": "doc.question_id"})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("lmms_eval_samples_pope.jsonl:1: no id at 'doc.question_id'"));
  }
}

TEST(ReplayMmeResults, AnswersEachQuestionOfAnImage) {
  auto reader =
      ConfigNode(JsonSource::from_text(R"({"path": "mme_example/LaVIN"})", "d.json", kShared))
          .object();
  const auto samples = datasets::MmeResultsLoader::create(reader)->load().samples;
  auto backend = replay(R"({"path": ")" + (kShared / "mme_example/LaVIN").string() +
                        R"(", "format": "mme-results"})");
  const auto answers = ask(*backend, samples, [](const auto&) { return std::string(); });
  ASSERT_EQ(answers.size(), 2374U);
  EXPECT_EQ(answers.at("OCR/0001.jpg").substr(0, 33), "yes, the word in the logo is \"ang");
  EXPECT_EQ(answers.at("OCR/0001.jpg#2").substr(0, 36), "no, the word in the logo is not \"ang");
  for (const auto& [id, text] : answers)
    ASSERT_THAT(text, ::testing::Not(HasSubstr("error:"))) << id;
}

TEST(ReplayFormats, UnknownFormatAndKeyAreRejected) {
  EXPECT_THROW((void)replay(R"({"path": "formats/generic.jsonl", "format": "llava"})"), InputError);
  try {
    (void)replay(R"({"path": "formats/generic.jsonl", "format": "lava-answers"})");
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("did you mean 'llava-answers'"));
  }
  EXPECT_THROW((void)replay(R"({"path": "formats/generic.jsonl", "sample_key": "qid"})"),
               InputError);
  EXPECT_THROW((void)replay(R"({"path": "nowhere.jsonl"})"), InputError);
}

TEST(ImageLimitOptions, SetTheCapabilitiesTheHarnessFitsImagesTo) {
  Capabilities caps;
  caps.max_image_bytes = 100;
  auto reader =
      ConfigNode(JsonSource::from_text(
                     R"({"max_image_side": 672, "image_formats": ["png", "JPEG"]})", "m.json"))
          .object();
  read_image_limit_options(reader, caps);
  EXPECT_EQ(caps.max_image_side, 672);
  EXPECT_EQ(caps.max_image_bytes, 100U);  // not given: unchanged
  EXPECT_EQ(caps.image_mime_types, (std::vector<std::string>{"image/png", "image/jpeg"}));
  auto bad = ConfigNode(JsonSource::from_text(R"({"image_formats": ["tiff"]})", "m.json")).object();
  EXPECT_THROW(read_image_limit_options(bad, caps), InputError);
}

}  // namespace
}  // namespace lmmbench::models
