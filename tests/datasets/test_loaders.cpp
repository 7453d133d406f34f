// Every benchmark loader on its fixture (tests/fixtures/) and on the real shared fixtures.
#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/text.hpp"
#include "dataset_test_support.hpp"
#include "datasets/generic_jsonl.hpp"
#include "datasets/image_io.hpp"
#include "datasets/llava_questions.hpp"
#include "datasets/loader_support.hpp"
#include "datasets/mme.hpp"
#include "datasets/scienceqa.hpp"
#include "datasets/seed_chart_doc.hpp"
#include "datasets/textvqa_gqa.hpp"
#include "datasets/vlmevalkit_tsv.hpp"
#include "datasets/vqa_official.hpp"

namespace lmmbench::datasets {
namespace {

using test_support::TempDir;
using test_support::write_text;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::filesystem::path kFixtures =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures";
const std::filesystem::path kShared = std::filesystem::path(LMMBENCH_SHARED_DIR) / "fixtures";

/// Creates the loader a task config's "dataset" object (JSON text; paths relative to `base`)
/// describes, as the registry does, and loads it.
template <typename LoaderType>
Dataset load(const std::string& options_json, const std::filesystem::path& base = kFixtures) {
  const auto source = JsonSource::from_text(options_json, "dataset.json", base);
  ObjectReader options{ConfigNode(source)};
  return LoaderType::create(options)->load();
}

template <typename LoaderType>
std::string load_error(const std::string& options_json,
                       const std::filesystem::path& base = kFixtures) {
  try {
    (void)load<LoaderType>(options_json, base);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string meta(const Sample& s, const std::string& key) {
  const auto it = s.meta.find(key);
  if (it == s.meta.end()) return "<absent>";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::map<std::string, std::size_t> count_by_category(const Dataset& d) {
  std::map<std::string, std::size_t> out;
  for (const auto& s : d.samples)
    ++out[s.category];
  return out;
}

TEST(LlavaQuestions, ReadsLlavasMmeFileWithRepeatedQuestionIds) {
  const Dataset d = load<LlavaQuestionsLoader>(
      R"({"path": "llava_eval/llava_mme.head.jsonl", "load_images": false})");
  ASSERT_EQ(d.samples.size(), 6U);
  EXPECT_EQ(d.samples[0].id, "code_reasoning/0020.png");
  EXPECT_EQ(d.samples[1].id, "code_reasoning/0020.png#2");  // the image's second question
  EXPECT_EQ(meta(d.samples[1], "question_id"), "code_reasoning/0020.png");
  EXPECT_EQ(d.samples[0].question,
            "Is a python code shown in the picture?\nAnswer the question using a single word or "
            "phrase.");
  EXPECT_EQ(d.samples[0].category, "code_reasoning");
  EXPECT_EQ(meta(d.samples[0], "image"), "code_reasoning/0020.png");
  EXPECT_TRUE(d.samples[0].images.empty());
  EXPECT_TRUE(d.samples[0].references.empty());  // question files carry no gold
}

TEST(LlavaQuestions, ReadsLlavasPopeAndTextVqaFiles) {
  const Dataset pope = load<LlavaQuestionsLoader>(
      R"({"path": "llava_eval/llava_pope_test.excerpt.jsonl", "load_images": false})");
  EXPECT_EQ(count_by_category(pope), (std::map<std::string, std::size_t>{
                                         {"adversarial", 3}, {"popular", 2}, {"random", 2}}));
  EXPECT_EQ(pope.samples[3].id, "10000001");  // LLaVA numbers the random split from 1e7
  const Dataset textvqa = load<LlavaQuestionsLoader>(
      R"({"path": "llava_eval/llava_textvqa_val_v051_ocr.head.jsonl", "load_images": false})");
  ASSERT_EQ(textvqa.samples.size(), 3U);
  EXPECT_EQ(textvqa.samples[0].id, "003a8ae2ef43b901");
  EXPECT_THAT(textvqa.samples[0].question, HasSubstr("Reference OCR token: DAKOTA, DIGITAL"));
}

TEST(LlavaQuestions, AMissingImageIsThatSamplesErrorNotTheDatasets) {
  TempDir images("llava-images");
  const Dataset d =
      load<LlavaQuestionsLoader>(R"({"path": "llava_eval/llava_mme.head.jsonl", "image_root": ")" +
                                 images.path().string() + R"("})");
  ASSERT_EQ(d.samples.size(), 6U);
  EXPECT_THAT(d.samples[0].error,
              HasSubstr("llava_mme.head.jsonl:1: field /image: image file not found"));
}

TEST(Pope, ReadsTheThreeRealSplitFiles) {
  const Dataset d = load<PopeLoader>(R"({"splits": {
      "adversarial": "pope_coco/coco_pope_adversarial.json",
      "popular": "pope_coco/coco_pope_popular.json",
      "random": "pope_coco/coco_pope_random.json"}, "load_images": false})",
                                     kShared);
  EXPECT_EQ(d.samples.size(), 9000U);
  EXPECT_EQ(count_by_category(d), (std::map<std::string, std::size_t>{
                                      {"adversarial", 3000}, {"popular", 3000}, {"random", 3000}}));
  std::size_t yes = 0;
  for (const auto& s : d.samples)
    yes += s.references.front() == "yes" ? 1 : 0;
  EXPECT_EQ(yes, 4500U);  // POPE is balanced
  const Sample& first = d.samples.front();
  EXPECT_EQ(first.id, "adversarial/1");
  EXPECT_EQ(first.question, "Is there a snowboard in the image?");
  EXPECT_EQ(first.references, std::vector<std::string>{"yes"});
  EXPECT_EQ(meta(first, "image"), "COCO_val2014_000000310196.jpg");
  EXPECT_EQ(d.samples[3000].id, "popular/1");
  EXPECT_EQ(d.files.size(), 3U);
}

TEST(Pope, NeedsAnImageRootUnlessImagesAreLeftOut) {
  EXPECT_THAT(load_error<PopeLoader>(
                  R"({"path": "pope_coco/coco_pope_random.json", "split": "random"})", kShared),
              HasSubstr("field /image_root: missing required field"));
  TempDir empty("pope-images");
  const Dataset d = load<PopeLoader>(R"({"path": "pope_coco/coco_pope_random.json",
      "split": "random", "image_root": ")" +
                                         empty.path().string() + R"("})",
                                     kShared);
  EXPECT_EQ(d.samples.size(), 3000U);  // every sample kept, each with its own error
  EXPECT_TRUE(std::all_of(d.samples.begin(), d.samples.end(),
                          [](const Sample& s) { return !s.error.empty(); }));
  EXPECT_THAT(d.samples[0].error,
              HasSubstr("coco_pope_random.json:1: field /image: image file not found"));
}

TEST(VqaOfficial, JoinsQuestionsAndAnnotationsAndNamesCocoImages) {
  TempDir images("vqa-images");
  std::filesystem::copy_file(kFixtures / "images/quadrants.jpg",
                             images.path() / "COCO_val2014_000000000042.jpg");
  const Dataset d = load<VqaOfficialLoader>(
      R"({"questions": "formats/vqav2_val_questions.json",
          "annotations": "formats/vqav2_val_annotations.json", "image_root": ")" +
      images.path().string() + R"("})");
  ASSERT_EQ(d.samples.size(), 3U);
  const Sample& s = d.samples[0];
  EXPECT_EQ(s.id, "42000");
  EXPECT_EQ(s.question, "What color is the square?");
  EXPECT_EQ(s.references.size(), 10U);
  EXPECT_EQ(s.references[5], "dark red");
  EXPECT_EQ(s.category, "other");
  EXPECT_EQ(meta(s, "question_type"), "what color is the");
  EXPECT_EQ(meta(s, "image_id"), "42");
  ASSERT_EQ(s.images.size(), 1U);
  EXPECT_EQ(s.images[0].path.filename(), "COCO_val2014_000000000042.jpg");
  EXPECT_EQ(s.images[0].mime_type, "image/jpeg");
  EXPECT_EQ(s.images[0].width, 40);
  EXPECT_EQ(d.samples[1].category, "yes/no");
  EXPECT_THAT(d.samples[2].error, HasSubstr("COCO_val2014_000000000073.jpg"));
}

TEST(VqaOfficial, TestDevHasNoAnswersAndItsImagesAreInTest2015) {
  TempDir images("vqa-testdev");
  std::filesystem::copy_file(kFixtures / "images/quadrants.jpg",
                             images.path() / "COCO_test2015_000000000001.jpg");
  const Dataset d = load<VqaOfficialLoader>(
      R"({"questions": "formats/vqav2_testdev_questions.json", "image_root": ")" +
      images.path().string() + R"("})");
  ASSERT_EQ(d.samples.size(), 2U);
  EXPECT_TRUE(d.samples[0].references.empty());
  EXPECT_EQ(d.samples[0].error, "");
  EXPECT_EQ(d.samples[1].images.at(0).path.filename(), "COCO_test2015_000000000001.jpg");
}

TEST(VqaOfficial, AQuestionWithoutAnnotationNamesItsLine) {
  TempDir dir("vqa-missing");
  write_text(dir.path() / "a.json", R"({"annotations": []})");
  std::filesystem::copy_file(kFixtures / "formats/vqav2_val_questions.json", dir.path() / "q.json");
  const auto message = load_error<VqaOfficialLoader>(
      R"({"questions": "q.json", "annotations": "a.json", "load_images": false})", dir.path());
  EXPECT_THAT(message, HasSubstr("q.json:3: field /questions/0/question_id: question 42000 has no "
                                 "annotation"));
}

TEST(VizWiz, ReadsValAndTest) {
  const Dataset val =
      load<VizWizLoader>(R"({"path": "formats/vizwiz_val.json", "load_images": false})");
  ASSERT_EQ(val.samples.size(), 2U);
  EXPECT_EQ(val.samples[1].id, "VizWiz_val_00000001.jpg");
  EXPECT_EQ(meta(val.samples[1], "question_id"), "1");
  EXPECT_EQ(val.samples[1].references.size(), 10U);
  EXPECT_EQ(val.samples[0].category, "unanswerable");
  const Dataset test =
      load<VizWizLoader>(R"({"path": "formats/vizwiz_test.head.json", "load_images": false})");
  ASSERT_EQ(test.samples.size(), 6U);
  EXPECT_EQ(test.samples[2].question,
            "Has this oven gotten up to four hundred fifty degrees fahrenheit yet?");
  EXPECT_TRUE(test.samples[2].references.empty());
}

TEST(TextVqa, JoinsRosettaOcrTokensByImage) {
  const Dataset d = load<TextVqaLoader>(R"({"path": "formats/textvqa_val.json",
      "ocr": "formats/textvqa_rosetta_ocr_val.json", "load_images": false})");
  ASSERT_EQ(d.samples.size(), 2U);
  EXPECT_EQ(d.samples[0].id, "34602");
  EXPECT_EQ(meta(d.samples[0], "ocr_tokens"), "DAKOTA, DIGITAL, Single-Use, Camera, Pire, digitat");
  EXPECT_EQ(meta(d.samples[1], "ocr_tokens"), "");  // no tokens: LLaVA's line stays, empty
  EXPECT_EQ(d.samples[0].references.size(), 10U);
  EXPECT_EQ(meta(d.samples[0], "image_id"), "003a8ae2ef43b901");
  const Dataset plain =
      load<TextVqaLoader>(R"({"path": "formats/textvqa_val.json", "load_images": false})");
  EXPECT_EQ(meta(plain.samples[0], "ocr_tokens"), "<absent>");
}

TEST(Gqa, ReadsTheObjectKeyedByQuestionIdInFileOrder) {
  const Dataset d = load<GqaLoader>(
      R"({"path": "formats/gqa_testdev_balanced_questions.json", "load_images": false})");
  ASSERT_EQ(d.samples.size(), 2U);
  EXPECT_EQ(d.samples[0].id, "201307251");
  EXPECT_EQ(d.samples[1].id, "201640614");
  EXPECT_EQ(d.samples[1].references, std::vector<std::string>{"woman"});
  EXPECT_EQ(d.samples[0].category, "verify");
  EXPECT_EQ(meta(d.samples[0], "image_id"), "n161313");
  EXPECT_EQ(meta(d.samples[1], "semantic_type"), "rel");
}

TEST(Mme, ReadsTheRealResultFilesWithTheirGoldAnswers) {
  const Dataset d = load<MmeResultsLoader>(R"({"path": "mme_example/LaVIN"})", kShared);
  EXPECT_EQ(d.samples.size(), 2374U);
  EXPECT_EQ(d.files.size(), 14U);
  const auto counts = count_by_category(d);
  EXPECT_EQ(counts.at("existence"), 60U);
  EXPECT_EQ(counts.at("celebrity"), 340U);
  EXPECT_EQ(counts.at("posters"), 294U);
  EXPECT_EQ(counts.at("commonsense_reasoning"), 140U);
  EXPECT_EQ(counts.size(), 14U);
  const Sample& first = d.samples.front();  // existence, the official order's first subtask
  EXPECT_EQ(first.category, "existence");
  EXPECT_EQ(first.references.size(), 1U);
  EXPECT_THAT(meta(first, "original_question"), HasSubstr("Please answer yes or no."));
  EXPECT_THAT(first.question, ::testing::Not(HasSubstr("Please answer")));
  EXPECT_TRUE(first.images.empty());
  // Ids follow LLaVA's question_id: the image's path inside MME_Benchmark_release_version.
  const auto artwork = std::find_if(d.samples.begin(), d.samples.end(),
                                    [](const Sample& s) { return s.category == "artwork"; });
  EXPECT_EQ(artwork->id, "artwork/images/10002.jpg");
  EXPECT_EQ(std::next(artwork)->id, "artwork/images/10002.jpg#2");
}

TEST(Mme, QuestionWithoutItsInstruction) {
  EXPECT_EQ(mme_question_without_instruction("Is there a dog? Please answer yes or no."),
            "Is there a dog?");
  EXPECT_EQ(mme_question_without_instruction("Is there a dog?  Please answer yes or no.\n"),
            "Is there a dog?");
  EXPECT_EQ(mme_question_without_instruction("No instruction here"), "No instruction here");
  EXPECT_EQ(mme_question_id("posters", "tt1.jpg"), "posters/images/tt1.jpg");
  EXPECT_EQ(mme_question_id("OCR", "0001.jpg"), "OCR/0001.jpg");
}

/// A small MME release layout built from the real LaVIN questions of two subtasks: existence
/// (images and .txt files side by side) and artwork (images/ and questions_answers_YN/).
class MmeLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto root = dir_.path() / "MME_Benchmark_release_version";
    std::filesystem::create_directories(root / "existence");
    std::filesystem::create_directories(root / "artwork/images");
    std::filesystem::create_directories(root / "artwork/questions_answers_YN");
    for (const char* subtask : {"existence", "artwork"}) {
      std::map<std::string, std::string> per_image;
      std::ifstream in(kShared / "mme_example/LaVIN" / (std::string(subtask) + ".txt"));
      std::string line;
      for (int n = 0; n < 4 && std::getline(in, line); ++n) {
        const auto fields = split(line, '\t');
        per_image[fields[0]] += fields[1] + "\t" + fields[2] + "\n";
      }
      for (const auto& [image, text] : per_image) {
        const std::string stem = std::filesystem::path(image).stem().string();
        const bool folders = std::string(subtask) == "artwork";
        write_text(root / subtask / (folders ? "questions_answers_YN" : "") / (stem + ".txt"),
                   text);
        std::filesystem::copy_file(kFixtures / "images/quadrants.jpg",
                                   root / subtask / (folders ? "images" : "") / image);
      }
    }
  }
  TempDir dir_{"mme-layout"};
};

TEST_F(MmeLayout, ReadsBothFolderLayoutsInTheOfficialOrder) {
  const Dataset d = load<MmeLoader>(R"({"root": "MME_Benchmark_release_version",
      "subtasks": ["existence", "artwork"]})",
                                    dir_.path());
  ASSERT_EQ(d.samples.size(), 8U);
  EXPECT_EQ(d.samples[0].category, "existence");
  EXPECT_EQ(d.samples[4].id, "artwork/images/10002.jpg");
  EXPECT_EQ(d.samples[5].id, "artwork/images/10002.jpg#2");
  EXPECT_EQ(d.samples[4].references.size(), 1U);
  for (const auto& s : d.samples) {
    EXPECT_EQ(s.error, "") << s.id;
    ASSERT_EQ(s.images.size(), 1U) << s.id;
    EXPECT_EQ(s.images[0].width, 40);
  }
  EXPECT_EQ(d.samples[4].images[0].path.parent_path().filename(), "images");
  EXPECT_THAT(load_error<MmeLoader>(R"({"root": "MME_Benchmark_release_version",
      "subtasks": ["existance"]})",
                                    dir_.path()),
              HasSubstr("unknown MME subtask 'existance' (did you mean 'existence'?)"));
}

TEST(ScienceQa, ReadsTheTestSplitInPidOrderAndItsImageSubset) {
  const std::string options = R"({"problems": "scienceqa/problems.excerpt.json",
      "pid_splits": "scienceqa/pid_splits.excerpt.json", "load_images": false)";
  const Dataset d = load<ScienceQaLoader>(options + "}");
  ASSERT_EQ(d.samples.size(), 6U);
  EXPECT_EQ(d.samples[0].id, "4");
  EXPECT_EQ(d.samples[0].options, (std::vector<std::string>{"chiasmus", "apostrophe"}));
  EXPECT_EQ(d.samples[0].references, std::vector<std::string>{"B"});
  EXPECT_EQ(meta(d.samples[0], "image"), "false");
  EXPECT_EQ(meta(d.samples[1], "image"), "true");
  EXPECT_THAT(meta(d.samples[1], "hint"), HasSubstr("engineering-design process"));
  EXPECT_EQ(d.samples[1].category, "natural science");
  const Dataset img = load<ScienceQaLoader>(options + R"(, "image_only": true})");
  std::vector<std::string> ids;
  for (const auto& s : img.samples)
    ids.push_back(s.id);
  EXPECT_THAT(ids, ElementsAre("5", "11", "23"));
  const Dataset train = load<ScienceQaLoader>(options + R"(, "split": "train"})");
  EXPECT_EQ(train.samples.size(), 2U);
}

TEST(LlavaSqa, ReadsAllTestProblemsWithTheirOptions) {
  const Dataset d = load<LlavaSqaLoader>(
      R"({"path": "llava_sqa/llava_test_CQM-A.options.json", "load_images": false})");
  ASSERT_EQ(d.samples.size(), 4241U);
  std::size_t with_image = 0;
  std::map<std::size_t, std::size_t> by_count;
  for (const auto& s : d.samples) {
    with_image += meta(s, "image") == "true" ? 1 : 0;
    ++by_count[s.options.size()];
  }
  EXPECT_EQ(with_image, 2017U);  // ScienceQA-IMG
  EXPECT_EQ(by_count.begin()->first, 2U);
  EXPECT_EQ(by_count.rbegin()->first, 5U);
  EXPECT_EQ(d.samples[0].options, (std::vector<std::string>{"chiasmus", "apostrophe"}));
  EXPECT_EQ(d.samples[0].references, std::vector<std::string>{"B"});
  EXPECT_EQ(d.samples[1].question.substr(0, 3), "A. ");  // "<image>\n" removed
  const auto multi_line = std::find_if(d.samples.begin(), d.samples.end(),
                                       [](const Sample& s) { return s.id == "512"; });
  EXPECT_EQ(multi_line->options,
            (std::vector<std::string>{"See you soon,\nJanet", "See You Soon,\nJanet"}));
  EXPECT_EQ(llava_prompt_options("Context: A. is not an option\nQ?\nA. x\nB. y\nmore y"),
            (std::vector<std::string>{"x", "y\nmore y"}));
}

TEST(SeedBench, ImageQuestionsAndOptionallyVideoMiddleFrames) {
  const Dataset images =
      load<SeedBenchLoader>(R"({"path": "formats/seed_bench.json", "load_images": false})");
  ASSERT_EQ(images.samples.size(), 2U);
  EXPECT_EQ(images.samples[0].options.size(), 4U);
  EXPECT_EQ(images.samples[1].references, std::vector<std::string>{"C"});
  EXPECT_EQ(meta(images.samples[0], "question_type"), "Scene Understanding");
  EXPECT_EQ(images.samples[0].category, "image");
  TempDir frames("seed-frames");
  const Dataset all = load<SeedBenchLoader>(
      R"({"path": "formats/seed_bench.json", "include_video": true, "video_frame_root": ")" +
      frames.path().string() + R"("})");
  ASSERT_EQ(all.samples.size(), 3U);
  EXPECT_EQ(all.samples[2].category, "video");
  EXPECT_THAT(all.samples[2].error, HasSubstr("10_v1.png"));  // LLaVA's frame file name
}

TEST(ChartQaAndDocVqa, ReadTheirJsonFiles) {
  const Dataset chart =
      load<ChartQaLoader>(R"({"splits": {"human_test": "formats/chartqa_test_human.json",
      "augmented_test": "formats/chartqa_test_augmented.json"}, "load_images": false})");
  ASSERT_EQ(chart.samples.size(), 3U);
  EXPECT_EQ(chart.samples[0].id, "augmented_test/0");
  EXPECT_EQ(chart.samples[1].id, "human_test/0");
  EXPECT_EQ(chart.samples[1].references, std::vector<std::string>{"27.5"});
  EXPECT_EQ(chart.samples[2].category, "human_test");
  const Dataset doc =
      load<DocVqaLoader>(R"({"path": "formats/docvqa_val.json", "load_images": false})");
  ASSERT_EQ(doc.samples.size(), 2U);
  EXPECT_EQ(doc.samples[0].id, "49153");
  EXPECT_EQ(doc.samples[1].references, (std::vector<std::string>{"itc limited", "ITC Limited"}));
  EXPECT_EQ(meta(doc.samples[1], "question_types"), "layout, free_text");
}

TEST(VlmEvalKitTsv, ReadsPandasQuotingSharedImagesAndNaNOptions) {
  const Dataset d = load<VlmEvalKitTsvLoader>(R"({"path": "formats/mmbench_dev.head.tsv"})");
  ASSERT_EQ(d.samples.size(), 4U);
  const Sample& main = d.samples[0];
  const Sample& copy = d.samples[1];
  EXPECT_EQ(main.id, "241");
  EXPECT_EQ(copy.id, "1000241");
  EXPECT_EQ(meta(main, "group"), "241");
  EXPECT_EQ(meta(copy, "group"), "241");  // circular copies share a group
  EXPECT_EQ(main.options.size(), 2U);     // C and D are NaN
  EXPECT_EQ(copy.options[0], main.options[1]);
  EXPECT_EQ(main.references, std::vector<std::string>{"B"});
  EXPECT_THAT(meta(main, "hint"), HasSubstr("\n\nMadelyn applied"));  // a quoted multi-line cell
  EXPECT_EQ(meta(main, "l2_category"), "attribute_reasoning");
  EXPECT_EQ(main.category, "identity_reasoning");
  const Sample& quoted = d.samples[2];
  EXPECT_THAT(meta(quoted, "hint"), HasSubstr("problems.\n\tOne step"));
  EXPECT_EQ(quoted.options.size(), 2U);  // "None" is NaN to pandas, so no option C
  EXPECT_EQ(meta(d.samples[3], "hint"), "");
  for (const auto& s : d.samples) {
    EXPECT_EQ(s.error, "") << s.id;
    ASSERT_EQ(s.images.size(), 1U) << s.id;
  }
  EXPECT_EQ(main.images[0].mime_type, "image/png");
  EXPECT_EQ(quoted.images[0].mime_type, "image/webp");
  EXPECT_EQ(copy.images[0], main.images[0]);  // the same bytes inside the TSV, not a copy
  EXPECT_EQ(d.samples[3].images[0], main.images[0]);
  EXPECT_EQ(read_image_bytes(main.images[0]), read_file_bytes(kFixtures / "images/quadrants.png"));
  EXPECT_TRUE(is_pandas_na("nan"));
  EXPECT_TRUE(is_pandas_na("None"));
  EXPECT_FALSE(is_pandas_na("none"));
}

TEST(VlmEvalKitTsv, BadRowsNameTheirLine) {
  TempDir dir("tsv");
  write_text(dir.path() / "t.tsv", "index\tquestion\tA\n1\tq\ta\n2\tq\n");
  EXPECT_THAT(load_error<VlmEvalKitTsvLoader>(R"({"path": "t.tsv"})", dir.path()),
              HasSubstr("t.tsv:3: expected 3 tab-separated columns, found 2"));
  write_text(dir.path() / "t.tsv", "index\tquestion\n1\t\"never closed\n");
  EXPECT_THAT(load_error<VlmEvalKitTsvLoader>(R"({"path": "t.tsv"})", dir.path()),
              HasSubstr("t.tsv:2: a quoted cell is never closed"));
  write_text(dir.path() / "t.tsv", "index\tquestion\tA\tB\tC\n1\tq\ta\tnan\tc\n");
  EXPECT_THAT(load_error<VlmEvalKitTsvLoader>(R"({"path": "t.tsv"})", dir.path()),
              HasSubstr("option C is given but option B is empty"));
}

TEST(VlmEvalKitTsv, AnAnswerCellHoldingAPythonListGivesEveryAnswer) {
  // InfoVQA_VAL.tsv / DocVQA_VAL.tsv write several answers as a Python list, which VLMEvalKit's
  // vqa_eval.process_line reads back with eval (values checked with Python's ast.literal_eval).
  TempDir dir("tsv");
  write_text(dir.path() / "t.tsv",
             "index\tquestion\tanswer\n"
             "1\tq\t['120', '120 million']\n"
             "2\tq\t\"[\"\"it's\"\", 'a \"\"b\"\"']\"\n"
             "3\tq\t['caf\\xe9', '\\u4e2d', 'a\\\\b', u'x\\101']\n"
             "4\tq\t['a',]\n"
             "5\tq\t[1, 2]\n"
             "6\tq\t[citation needed]\n"
             "7\tq\t['unclosed]\n");
  const Dataset d = load<VlmEvalKitTsvLoader>(R"({"path": "t.tsv"})", dir.path());
  ASSERT_EQ(d.samples.size(), 7U);
  using V = std::vector<std::string>;
  EXPECT_EQ(d.samples[0].references, (V{"120", "120 million"}));
  EXPECT_EQ(d.samples[1].references, (V{"it's", "a \"b\""}));
  EXPECT_EQ(d.samples[2].references, (V{"caf\xC3\xA9", "\xE4\xB8\xAD", "a\\b", "xA"}));
  EXPECT_EQ(d.samples[3].references, (V{"a"}));
  // Not a list of string literals: one answer, the cell's text (eval fails or is no str list).
  EXPECT_EQ(d.samples[4].references, (V{"[1, 2]"}));
  EXPECT_EQ(d.samples[5].references, (V{"[citation needed]"}));
  EXPECT_EQ(d.samples[6].references, (V{"['unclosed]"}));

  write_text(dir.path() / "t.tsv", "index\tquestion\tanswer\n1\tq\t[]\n");
  EXPECT_THAT(load_error<VlmEvalKitTsvLoader>(R"({"path": "t.tsv"})", dir.path()),
              HasSubstr("t.tsv:2: field answer: the list of answers is empty"));
}

TEST(GenericJsonl, MapsFieldsFromTheTaskConfig) {
  const Dataset d = load<GenericJsonlLoader>(R"({"path": "formats/generic.jsonl",
      "image_root": "tiny_vqa", "fields": {"id": "qid", "question": "prompt",
      "options": "choices", "answer_index": "label", "images": "picture", "category": "kind",
      "meta": {"difficulty": "extra.difficulty"}}})");
  ASSERT_EQ(d.samples.size(), 2U);
  EXPECT_EQ(d.samples[0].id, "g1");
  EXPECT_EQ(d.samples[0].references, std::vector<std::string>{"B"});
  EXPECT_EQ(d.samples[1].references, std::vector<std::string>{"A"});
  EXPECT_EQ(d.samples[0].category, "shapes");
  EXPECT_EQ(meta(d.samples[0], "difficulty"), "2");
  ASSERT_EQ(d.samples[0].images.size(), 1U);
  EXPECT_TRUE(d.samples[1].images.empty());
}

TEST(GenericJsonl, AMappingThatMatchesNothingIsAnError) {
  EXPECT_THAT(load_error<GenericJsonlLoader>(R"({"path": "formats/generic.jsonl",
      "fields": {"question": "prompt", "answers": "gold"}})"),
              HasSubstr("fields.answers: the path 'gold' matched no record"));
  EXPECT_THAT(load_error<GenericJsonlLoader>(R"({"path": "formats/generic.jsonl",
      "fields": {"question": "prompt", "anwsers": "gold"}})"),
              HasSubstr("did you mean 'answers'"));
}

TEST(JsonRecords, AnErrorDeepInALargeFileNamesItsLineAndField) {
  TempDir dir("records");
  write_text(dir.path() / "t.json",
             "{\"dataset_name\": \"textvqa\",\n \"data\": [\n  {\"question\": \"a\", "
             "\"image_id\": \"x\", \"question_id\": 1},\n  {\"image_id\": \"y\", "
             "\"question_id\": 2}\n]}\n");
  EXPECT_THAT(load_error<TextVqaLoader>(R"({"path": "t.json", "load_images": false})", dir.path()),
              HasSubstr("t.json:4: field /data/1/question: missing required field"));
  write_text(dir.path() / "t.json", "{\"data\": [\n {\"question\": }\n]}\n");
  EXPECT_THAT(load_error<TextVqaLoader>(R"({"path": "t.json", "load_images": false})", dir.path()),
              HasSubstr("t.json:2: invalid JSON"));
}

TEST(MissingData, IsItsOwnErrorNamingThePath) {
  try {
    (void)load<GqaLoader>(R"({"path": "nowhere/questions.json", "load_images": false})");
    FAIL();
  } catch (const MissingDataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nowhere/questions.json: GQA questions file not found"));
  }
}

}  // namespace
}  // namespace lmmbench::datasets
