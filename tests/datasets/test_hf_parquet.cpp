// The hf-parquet loader on parquet files that pyarrow writes in lmms-lab's column layouts
// (make_hf_parquet.py, run once per test program), and on broken ones.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "core/sha256.hpp"
#include "dataset_test_support.hpp"
#include "datasets/hf_parquet.hpp"
#include "datasets/image_io.hpp"

namespace lmmbench::datasets {
namespace {

using test_support::read_text;
using test_support::TempDir;
using test_support::write_text;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

/// The generated files, made once for the whole program.
class HfParquet : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("hf-parquet");
    const std::string command = "PYTHONPATH='" LMMBENCH_ARROW_PYTHONPATH "' '" LMMBENCH_PYTHON
                                "' '" LMMBENCH_SOURCE_DIR "/tests/datasets/make_hf_parquet.py' '" +
                                dir_->path().string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path dir() { return dir_->path(); }
  static std::string file(const std::string& name) { return (dir() / name).string(); }

  /// The loader a task's "dataset" object (JSON text; paths relative to the generated files)
  /// describes; images extract into this test's own cache.
  Dataset load(const std::string& json) const {
    auto config = nlohmann::json::parse(json);
    if (!config.contains("image_cache")) config["image_cache"] = cache_.path().string();
    ObjectReader options{
        ConfigNode(JsonSource::from_text(config.dump(), (dir() / "dataset.json").string(), dir()))};
    return HfParquetLoader::create(options)->load();
  }
  std::string load_error(const std::string& json) const {
    try {
      (void)load(json);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }

  static inline TempDir* dir_ = nullptr;
  TempDir cache_{"hf-parquet-cache"};
};

constexpr const char* kPope = R"({"path": "pope.parquet", "fields": {"id": "question_id",
    "question": "question", "answers": "answer", "images": "image", "category": "category",
    "meta": {"image_source": "image_source"}}})";

TEST_F(HfParquet, ReadsPopeLayoutWithEmbeddedImages) {
  const Dataset d = load(kPope);
  EXPECT_EQ(d.name, "pope");
  EXPECT_THAT(d.files, ElementsAre(dir() / "pope.parquet"));
  ASSERT_EQ(d.samples.size(), 3u);
  const Sample& s = d.samples[0];
  EXPECT_EQ(s.id, "q0");
  EXPECT_EQ(s.question, "Is there a dog in the image?");
  EXPECT_THAT(s.references, ElementsAre("yes"));
  EXPECT_EQ(s.category, "adversarial");
  EXPECT_EQ(s.meta["image_source"], "COCO_val2014_0");
  EXPECT_TRUE(s.error.empty()) << s.error;
  ASSERT_EQ(s.images.size(), 1u);
  const ImageRef& image = s.images[0];
  const std::string red = read_text(dir() / "red.png");
  EXPECT_EQ(image.sha256, sha256_hex(red));
  EXPECT_EQ(image.mime_type, "image/png");
  EXPECT_EQ(image.width, 4);
  EXPECT_EQ(image.height, 3);
  EXPECT_EQ(image.bytes, red.size());
  ASSERT_TRUE(image.data);
  EXPECT_EQ(*image.data, red);
  // Extracted once, content-addressed, into the cache: the file the ImageRef names.
  EXPECT_EQ(image.path, cache_.path() / (sha256_hex(red) + ".png"));
  EXPECT_EQ(read_text(image.path), red);
  // Rows 0 and 2 embed the same bytes: one image, one kept copy.
  ASSERT_EQ(d.samples[2].images.size(), 1u);
  EXPECT_EQ(d.samples[2].images[0].data, image.data);
  EXPECT_EQ(d.samples[1].images[0].sha256, sha256_hex(read_text(dir() / "green.png")));
}

TEST_F(HfParquet, ImagesPastTheMemoryBudgetAreReadAgainFromTheirExtractedFile) {
  auto config = nlohmann::json::parse(kPope);
  config["image_memory_mb"] = 0;
  const Dataset d = load(config.dump());
  const ImageRef& image = d.samples[0].images[0];
  EXPECT_FALSE(image.data);
  EXPECT_EQ(read_image_bytes(image), read_text(dir() / "red.png"));
  // A changed extracted file is caught by the hash recorded at load.
  write_text(image.path, read_text(dir() / "green.png"));
  EXPECT_THROW((void)read_image_bytes(image), InputError);
}

TEST_F(HfParquet, AStaleOrLinkedFileInTheImageCacheIsReplaced) {
  const std::string red = read_text(dir() / "red.png");
  const auto extracted = cache_.path() / (sha256_hex(red) + ".png");
  // Same size, other bytes (a file damaged since an earlier load).
  (void)load(kPope);
  write_text(extracted, std::string(red.size(), 'x'));
  auto config = nlohmann::json::parse(kPope);
  config["image_memory_mb"] = 0;
  Dataset d = load(config.dump());
  EXPECT_EQ(read_image_bytes(d.samples[0].images[0]), red);
  // A symbolic link in its place, even to the right bytes: requests follow no link.
  std::filesystem::remove(extracted);
  std::filesystem::create_symlink(dir() / "red.png", extracted);
  d = load(config.dump());
  EXPECT_FALSE(std::filesystem::is_symlink(extracted));
  EXPECT_EQ(read_image_bytes(d.samples[0].images[0]), red);
}

TEST_F(HfParquet, ReadsScienceQaLayoutWithAChoicesListAndAnAnswerIndex) {
  const Dataset d = load(R"({"path": "scienceqa.parquet", "fields": {"question": "question",
      "options": "choices", "answer_index": "answer", "images": "image", "category": "subject",
      "meta": {"hint": "hint"}}})");
  ASSERT_EQ(d.samples.size(), 3u);  // over two row groups
  EXPECT_EQ(d.samples[0].id, "0");
  EXPECT_EQ(d.samples[2].id, "2");
  EXPECT_THAT(d.samples[1].options, ElementsAre("shark", "whale", "trout"));
  EXPECT_THAT(d.samples[1].references, ElementsAre("B"));
  EXPECT_TRUE(d.samples[1].images.empty());  // a null image cell: a text-only question
  EXPECT_EQ(d.samples[2].images.size(), 1u);
  EXPECT_EQ(d.samples[0].meta["hint"], "Look at the picture.");
  EXPECT_TRUE(d.samples[2].meta["hint"].is_null());
  EXPECT_EQ(d.samples[2].category, "language science");
}

TEST_F(HfParquet, ReadsMmBenchLayoutWithOneColumnPerOption) {
  const Dataset d = load(R"({"path": "mmbench.parquet", "fields": {"id": "index",
      "question": "question", "options": ["A", "B", "C", "D"], "answers": "answer",
      "images": "image", "category": "category", "meta": {"hint": "hint"}}})");
  ASSERT_EQ(d.samples.size(), 3u);
  EXPECT_EQ(d.samples[1].id, "1000001");
  EXPECT_THAT(d.samples[0].options, ElementsAre("red", "green", "blue", "black"));
  EXPECT_THAT(d.samples[2].options, ElementsAre("square", "circle", "line"));  // D is null
  EXPECT_THAT(d.samples[1].references, ElementsAre("B"));
}

TEST_F(HfParquet, ReadsShardsInOrderWithIdsOverAllOfThem) {
  const Dataset d = load(R"({"path": ["scienceqa.parquet", "scienceqa.parquet"],
      "fields": {"question": "question"}, "load_images": false})");
  ASSERT_EQ(d.samples.size(), 6u);
  EXPECT_EQ(d.samples[5].id, "5");
  EXPECT_TRUE(d.samples[0].images.empty());
}

TEST_F(HfParquet, ACaptionSetNeedsNoQuestionColumn) {
  // lmms-lab/NoCaps and lmms-lab/flickr30k have no question: the task's prompt asks for the
  // caption, and the question is "".
  const Dataset d = load(R"({"path": "pope.parquet",
      "fields": {"id": "question_id", "answers": "answer"}, "load_images": false})");
  ASSERT_EQ(d.samples.size(), 3u);
  EXPECT_EQ(d.samples[0].question, "");
  EXPECT_THAT(d.samples[1].references, ElementsAre("no"));
}

TEST_F(HfParquet, ImageFileColumnsAreReadBeneathImageRoot) {
  // yerevann/coco-karpathy holds file names, not images: "image_files" reads them under
  // "image_root", each file beneath it; a missing file is that sample's error.
  EXPECT_THAT(load_error(R"({"path": "pope.parquet",
      "fields": {"question": "question", "image_files": "image_source"}})"),
              HasSubstr("\"image_root\" is required with \"fields.image_files\""));
  EXPECT_THAT(load_error(R"({"path": "pope.parquet", "image_root": ".",
      "fields": {"question": "question", "images": "image"}})"),
              HasSubstr("\"image_root\" is only used with \"fields.image_files\""));
  const Dataset d = load(R"({"path": "pope.parquet", "image_root": ".",
      "fields": {"question": "question", "image_files": "answer"}})");
  ASSERT_EQ(d.samples.size(), 3u);
  // The answer column names "yes", "no", "no": no such image files.
  EXPECT_THAT(d.samples[0].error, HasSubstr("yes"));
  EXPECT_TRUE(d.samples[0].images.empty());
}

TEST_F(HfParquet, BadColumnsAndFilesNameFileRowAndColumn) {
  EXPECT_THAT(load_error(R"({"path": "pope.parquet", "fields": {"question": "prompt"}})"),
              HasSubstr(file("pope.parquet") + ": field prompt: no column 'prompt' in the file "
                                               "(its columns: question_id, question, answer,"));
  EXPECT_THAT(load_error(R"({"path": "bad_types.parquet", "fields": {"question": "question"}})"),
              HasSubstr(file("bad_types.parquet") + ":1: field question: expected a string, got "
                                                    "number"));
  EXPECT_THAT(load_error(R"({"path": "bad_types.parquet", "fields": {"question": "question_id",
      "images": "image"}})"),
              HasSubstr(file("bad_types.parquet") +
                        ":1: field image: expected image bytes (binary or struct<bytes, path>), "
                        "got string"));
  EXPECT_THAT(load_error(R"({"path": "pope.parquet", "fields": {"question": "question",
      "options": "answer", "answer_index": "category"}})"),
              HasSubstr(file("pope.parquet") + ":1: field answer: expected a list, or a string "
                                               "holding a Python list of strings, got string"));
  EXPECT_THAT(load_error(R"({"path": "pope.parquet", "fields": {"id": "answer",
      "question": "question"}})"),
              HasSubstr(file("pope.parquet") + ":3: field answer: duplicate sample id 'no'"));
  EXPECT_THAT(load_error(R"({"path": "pope.parquet", "fields": {"question": "question",
      "meta": {"picture": "image"}}})"),
              HasSubstr(file("pope.parquet") + ":1: field image: meta cannot hold binary bytes"));
  EXPECT_THAT(load_error(R"({"path": "red.png", "fields": {"question": "question"}})"),
              HasSubstr(file("red.png") + ": not a readable parquet file"));
  EXPECT_THAT(load_error(R"({"path": "absent.parquet", "fields": {"question": "question"}})"),
              HasSubstr("parquet file not found"));
  EXPECT_THAT(load_error(R"({"path": "pope.parquet", "fields": {"question": "question",
      "colour": "x"}})"),
              HasSubstr("colour"));
}

TEST_F(HfParquet, BadImagesAreTheirSamplesErrorsNamingFileRowAndColumn) {
  const Dataset d = load(R"({"path": "bad_images.parquet", "fields": {"id": "question_id",
      "question": "question", "images": "image"}})");
  ASSERT_EQ(d.samples.size(), 4u);
  const std::string bad = file("bad_images.parquet");
  EXPECT_THAT(d.samples[0].error, HasSubstr(bad + ":1: field image: not a readable image"));
  EXPECT_THAT(d.samples[1].error, HasSubstr(bad + ":2: field image:"));
  EXPECT_THAT(d.samples[1].error,
              HasSubstr("the image is 10000 x 10000 = 100000000 pixels, above the limit"));
  EXPECT_THAT(d.samples[2].error, HasSubstr(bad + ":3: field image: the image has no embedded "
                                                  "bytes (path \"elsewhere/y.png\")"));
  EXPECT_TRUE(d.samples[3].error.empty()) << d.samples[3].error;
  EXPECT_EQ(d.samples[3].images.size(), 1u);
}

TEST_F(HfParquet, AnUnwritableImageCacheIsAnInputErrorNamingIt) {
  TempDir scratch("hf-parquet-file");
  write_text(scratch.path() / "not_a_dir", "x");
  auto config = nlohmann::json::parse(kPope);
  config["image_cache"] = (scratch.path() / "not_a_dir").string();
  EXPECT_THAT(load_error(config.dump()), HasSubstr("set the dataset's \"image_cache\""));
}

TEST_F(HfParquet, TruncatedOrCorruptedFilesOnlyEverGiveInputErrors) {
  const std::string good = read_text(dir() / "mmbench.parquet");
  TempDir scratch("hf-parquet-mutants");
  const auto path = scratch.path() / "mutant.parquet";
  const std::string json = R"({"path": ")" + path.string() +
                           R"(", "fields": {"id": "index", "question": "question",
      "options": ["A", "B", "C", "D"], "answers": "answer", "images": "image"}})";
  std::mt19937 random(20261206);
  int refused = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = good;
    if (trial < 100) {
      bytes.resize(static_cast<std::size_t>(trial) * good.size() / 100);
    } else {
      for (int k = 0; k < 1 + trial % 8; ++k)
        bytes[random() % bytes.size()] = static_cast<char>(random());
    }
    write_text(path, bytes);
    try {
      (void)load(json);
    } catch (const InputError& e) {
      ++refused;
      EXPECT_THAT(e.what(), HasSubstr(path.string())) << "trial " << trial;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "trial " << trial << ": not an InputError: " << e.what();
    }
  }
  EXPECT_GE(refused, 100);  // every truncation at least
}

}  // namespace
}  // namespace lmmbench::datasets
