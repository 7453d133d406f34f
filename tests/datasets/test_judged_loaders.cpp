// The loaders of the judge-scored benchmarks: LLaVA-Bench (In-the-Wild) and MM-Vet.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "dataset_test_support.hpp"
#include "datasets/judged_benchmarks.hpp"

namespace lmmbench::datasets {
namespace {

using test_support::TempDir;
using test_support::write_text;
using ::testing::HasSubstr;

const std::filesystem::path kFormats =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures/formats";

template <typename LoaderType>
Dataset load(const std::string& options_json, const std::filesystem::path& base = kFormats) {
  ObjectReader options{ConfigNode(JsonSource::from_text(options_json, "dataset.json", base))};
  return LoaderType::create(options)->load();
}

template <typename LoaderType>
std::string load_error(const std::string& options_json, const std::filesystem::path& base) {
  try {
    (void)load<LoaderType>(options_json, base);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(LlavaBenchLoader, JoinsQuestionsAnswersAndContexts) {
  const Dataset d = load<LlavaBenchLoader>(R"({"root": "llava_bench", "load_images": false})");
  ASSERT_EQ(d.samples.size(), 3U);
  const Sample& s = d.samples[2];
  EXPECT_EQ(s.id, "2");
  EXPECT_EQ(s.question, "What might be the purpose of this painting?");
  EXPECT_EQ(s.category, "complex");
  EXPECT_EQ(s.references, std::vector<std::string>{"It is meant to amuse."});
  EXPECT_EQ(s.meta.at("image"), "002.jpg");
  EXPECT_EQ(s.meta.at("caption"), "A painting of a dog.\nThe dog wears a hat.");  // list joined
  EXPECT_EQ(d.samples[0].meta.at("caption"), "A view of a tall tower by a river at dusk.");
  EXPECT_EQ(d.files.size(), 3U);
}

TEST(LlavaBenchLoader, MissingImagesAreSampleErrorsUnderRootImages) {
  const Dataset d = load<LlavaBenchLoader>(R"({"root": "llava_bench"})");
  EXPECT_THAT(d.samples[0].error,
              HasSubstr("questions.jsonl:1: field /image: image file not found"));
  EXPECT_THAT(d.samples[0].error, HasSubstr("llava_bench/images/001.jpg"));
}

TEST(LlavaBenchLoader, AQuestionWithoutReferenceAnswerOrContextIsAnError) {
  TempDir dir("llava-bench");
  write_text(
      dir.path() / "questions.jsonl",
      "{\"question_id\": 0, \"image\": \"a.jpg\", \"text\": \"q\", \"category\": \"conv\"}\n"
      "{\"question_id\": 1, \"image\": \"b.jpg\", \"text\": \"q\", \"category\": \"conv\"}\n");
  write_text(dir.path() / "context.jsonl", "{\"image\": \"a.jpg\", \"caption\": \"c\"}\n");
  write_text(dir.path() / "answers_gpt4.jsonl", "{\"question_id\": 0, \"text\": \"a\"}\n");
  EXPECT_THAT(load_error<LlavaBenchLoader>(R"({"root": ".", "load_images": false})", dir.path()),
              HasSubstr("questions.jsonl:2: field /question_id: no reference answer"));
  write_text(dir.path() / "answers_gpt4.jsonl",
             "{\"question_id\": 0, \"text\": \"a\"}\n{\"question_id\": 1, \"text\": \"b\"}\n");
  EXPECT_THAT(load_error<LlavaBenchLoader>(R"({"root": ".", "load_images": false})", dir.path()),
              HasSubstr("questions.jsonl:2: field /image: no context for image 'b.jpg'"));
  EXPECT_THAT(load_error<LlavaBenchLoader>(R"({"root": "absent"})", dir.path()),
              HasSubstr("LLaVA-Bench directory not found"));
}

TEST(MmVetLoader, ReadsMmVetJsonInFileOrder) {
  const Dataset d = load<MmVetLoader>(R"({"path": "mmvet/mm-vet.json", "load_images": false})");
  ASSERT_EQ(d.samples.size(), 2U);
  EXPECT_EQ(d.samples[0].id, "v1_0");
  EXPECT_EQ(d.samples[0].question, "What is x in the equation?");
  EXPECT_EQ(d.samples[0].references, std::vector<std::string>{"-1<AND>-5"});
  EXPECT_EQ(d.samples[0].meta.at("capability"), "ocr,math");
  EXPECT_EQ(d.samples[1].meta.at("capability"), "rec,know,gen");
  EXPECT_EQ(d.samples[1].meta.at("imagename"), "v1_1.png");
}

TEST(MmVetLoader, BadRecordsNameFileLineAndField) {
  TempDir dir("mmvet");
  write_text(dir.path() / "mm-vet.json",
             "{\n \"v1_0\": {\"imagename\": \"v1_0.png\", \"capability\": [\"ocr\"],\n"
             "  \"question\": \"q\", \"answer\": \"a\"},\n"
             " \"v1_1\": {\"imagename\": \"v1_1.png\", \"capability\": \"ocr\",\n"
             "  \"question\": \"q\", \"answer\": \"a\"}\n}\n");
  const std::string error =
      load_error<MmVetLoader>(R"({"path": "mm-vet.json", "load_images": false})", dir.path());
  EXPECT_THAT(error, HasSubstr("mm-vet.json:4"));
  EXPECT_THAT(error, HasSubstr("/v1_1/capability"));
  EXPECT_THAT(load_error<MmVetLoader>(R"({"path": "absent/mm-vet.json"})", dir.path()),
              HasSubstr("MM-Vet mm-vet.json not found"));
}

}  // namespace
}  // namespace lmmbench::datasets
