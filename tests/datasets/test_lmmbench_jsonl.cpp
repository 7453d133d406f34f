#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "dataset_test_support.hpp"
#include "datasets/image_io.hpp"
#include "datasets/lmmbench_jsonl.hpp"
#include "datasets/manifest.hpp"

namespace lmmbench::datasets {
namespace {

using test_support::TempDir;
using test_support::write_text;
using ::testing::HasSubstr;

/// A directory with one valid 4 x 4 PNG, images/a.png.
class LmmbenchJsonl : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "images");
    write_file_atomic(dir_.path() / "images/a.png", encode_png(RgbImage(4, 4, 10, 20, 30)));
  }

  /// Loads `text` as questions.jsonl; returns the error message, or "" when it loads.
  std::string load_error(const std::string& text) {
    write_text(path(), text);
    try {
      (void)LmmbenchJsonlLoader({path(), {}, true}).load();
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }

  [[nodiscard]] std::filesystem::path path() const { return dir_.path() / "questions.jsonl"; }

  TempDir dir_{"jsonl"};
};

constexpr const char* kGood =
    R"({"id": "q1", "images": ["images/a.png"], "question": "What color?", "answers": ["red"], "category": "colour", "meta": {"question_type": "what color"}})";

TEST_F(LmmbenchJsonl, LoadsEveryFieldAndListsItsFiles) {
  write_text(path(),
             std::string(kGood) + "\n\n" +
                 R"({"id": 7, "question": "Pick", "options": ["x", "y"], "answers": ["B"]})" +
                 "\n");
  const Dataset d = LmmbenchJsonlLoader({path(), {}, true}).load();
  ASSERT_EQ(d.samples.size(), 2u);
  EXPECT_EQ(d.name, "questions");
  EXPECT_EQ(d.samples[0].id, "q1");
  ASSERT_EQ(d.samples[0].images.size(), 1u);
  EXPECT_EQ(d.samples[0].images[0].mime_type, "image/png");
  EXPECT_EQ(d.samples[0].references, std::vector<std::string>{"red"});
  EXPECT_EQ(d.samples[0].meta.at("question_type"), "what color");
  EXPECT_EQ(d.samples[1].id, "7");  // integer ids become strings
  EXPECT_EQ(d.samples[1].options, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(d.samples[1].images.empty());
  EXPECT_EQ(d.files.size(), 2u);  // the JSONL file and the image
}

TEST_F(LmmbenchJsonl, BadJsonNamesFileAndLine) {
  const auto message = load_error(std::string(kGood) + "\n{\"id\": \"q2\", \"question\": }\n");
  EXPECT_THAT(message, HasSubstr(path().string() + ":2"));
  EXPECT_THAT(message, HasSubstr("invalid JSON"));
}

TEST_F(LmmbenchJsonl, UnknownKeyNamesFieldLineAndSuggestsTheNearestKey) {
  const auto message = load_error(std::string(kGood) + "\n" +
                                  R"({"id": "q2", "question": "Q", "answer": ["x"]})" + "\n");
  EXPECT_THAT(message, HasSubstr(path().string() + ":2"));
  EXPECT_THAT(message, HasSubstr("field /answer"));
  EXPECT_THAT(message, HasSubstr("did you mean 'answers'"));
}

TEST_F(LmmbenchJsonl, AMissingImageIsThatSamplesErrorNamingFieldAndPath) {
  write_text(path(), std::string(kGood) + "\n" +
                         R"({"id": "q2", "question": "Q", "images": ["images/nope.png"]})" + "\n");
  const Dataset d = LmmbenchJsonlLoader({path(), {}, true}).load();
  ASSERT_EQ(d.samples.size(), 2U);  // the rest of the dataset loads
  EXPECT_EQ(d.samples[0].error, "");
  const auto& message = d.samples[1].error;
  EXPECT_THAT(message, HasSubstr(path().string() + ":2"));
  EXPECT_THAT(message, HasSubstr("field /images/0"));
  EXPECT_THAT(message, HasSubstr("image file not found"));
  EXPECT_THAT(message, HasSubstr("nope.png"));
  EXPECT_TRUE(d.samples[1].images.empty());
}

TEST_F(LmmbenchJsonl, AnUndecodableImageIsThatSamplesError) {
  write_text(dir_.path() / "images/broken.png", "not a png");
  write_text(path(), R"({"id": "q1", "question": "Q", "images": ["images/broken.png"]})"
                     "\n");
  const Dataset d = LmmbenchJsonlLoader({path(), {}, true}).load();
  ASSERT_EQ(d.samples.size(), 1U);
  EXPECT_THAT(d.samples[0].error, HasSubstr(":1: field /images/0"));
  EXPECT_THAT(d.samples[0].error, HasSubstr("not a readable image"));
}

TEST_F(LmmbenchJsonl, ImagePathsMayNotLeaveTheImageRoot) {
  write_text(path(), R"({"id": "q1", "question": "Q", "images": ["../outside.png"]})"
                     "\n"
                     R"({"id": "q2", "question": "Q", "images": ["/etc/passwd"]})"
                     "\n");
  const Dataset d = LmmbenchJsonlLoader({path(), {}, true}).load();
  ASSERT_EQ(d.samples.size(), 2U);
  EXPECT_THAT(d.samples[0].error,
              HasSubstr("image path '../outside.png' refused: it leaves the dataset root"));
  EXPECT_THAT(d.samples[1].error, HasSubstr("absolute image path '/etc/passwd' refused"));
}

TEST_F(LmmbenchJsonl, ProbedImagesReportSizeFormatAndBytes) {
  write_text(path(), std::string(kGood) + "\n");
  const Dataset d = LmmbenchJsonlLoader({path(), {}, true}).load();
  const ImageRef& image = d.samples.at(0).images.at(0);
  EXPECT_EQ(image.width, 4);
  EXPECT_EQ(image.height, 4);
  EXPECT_EQ(image.mime_type, "image/png");
  EXPECT_EQ(image.bytes, std::filesystem::file_size(dir_.path() / "images/a.png"));
}

TEST_F(LmmbenchJsonl, DuplicateIdNamesLineAndField) {
  const auto message = load_error(std::string(kGood) + "\n" + kGood + "\n");
  EXPECT_THAT(message, HasSubstr(path().string() + ":2"));
  EXPECT_THAT(message, HasSubstr("field /id"));
  EXPECT_THAT(message, HasSubstr("duplicate sample id 'q1'"));
}

TEST_F(LmmbenchJsonl, MissingRequiredFieldAndWrongTypeAreReported) {
  EXPECT_THAT(load_error(R"({"id": "q1"})"
                         "\n"),
              HasSubstr("question"));
  EXPECT_THAT(load_error(R"({"id": "q1", "question": "Q", "meta": []})"
                         "\n"),
              HasSubstr("field /meta"));
}

TEST(Manifest, ChangesWithContentAndNameButNotWithTheRootsLocation) {
  TempDir a("manifest-a");
  TempDir b("manifest-b");
  for (const auto* dir : {&a, &b}) {
    write_text(dir->path() / "x.txt", "one");
    write_text(dir->path() / "sub/y.txt", "two");
  }
  const auto files = [](const TempDir& d) {
    return std::vector<std::filesystem::path>{d.path() / "x.txt", d.path() / "sub/y.txt"};
  };
  const std::string hash_a = manifest_sha256(files(a), a.path());
  EXPECT_EQ(hash_a.size(), 64u);
  EXPECT_EQ(hash_a, manifest_sha256(files(b), b.path()));  // same tree elsewhere
  const std::vector<std::filesystem::path> reversed = {b.path() / "sub/y.txt", b.path() / "x.txt"};
  EXPECT_EQ(hash_a, manifest_sha256(reversed, b.path()));  // order of the list does not matter

  write_text(b.path() / "x.txt", "One");
  EXPECT_NE(hash_a, manifest_sha256(files(b), b.path()));
  write_text(b.path() / "x.txt", "one");
  std::filesystem::rename(b.path() / "sub/y.txt", b.path() / "sub/z.txt");
  EXPECT_NE(hash_a, manifest_sha256(std::vector<std::filesystem::path>{b.path() / "x.txt",
                                                                       b.path() / "sub/z.txt"},
                                    b.path()));
  EXPECT_NE(hash_a,
            manifest_sha256(std::vector<std::filesystem::path>{a.path() / "x.txt"}, a.path()));
}

}  // namespace
}  // namespace lmmbench::datasets
