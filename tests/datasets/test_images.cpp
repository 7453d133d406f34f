// Image decoding, probing, re-encoding to a backend's limits, base64, and path safety.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "dataset_test_support.hpp"
#include "datasets/file_beneath.hpp"
#include "datasets/image_fit.hpp"
#include "datasets/image_io.hpp"
#include "datasets/loader_support.hpp"
#include "datasets/sample.hpp"

namespace lmmbench::datasets {
namespace {

using test_support::TempDir;
using test_support::write_text;
using ::testing::HasSubstr;

const std::filesystem::path kImages =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures/images";

std::string bytes_of(const std::string& name) {
  return read_file_bytes(kImages / name);
}

/// The pixel at (x, y) of an RGB raster.
std::array<int, 3> pixel(const RgbImage& image, int x, int y) {
  const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) +
                  static_cast<std::size_t>(x)) *
                 3;
  return {image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]};
}

/// True when every channel is within `tolerance` of `expected` (lossy formats).
bool near(std::array<int, 3> got, std::array<int, 3> expected, int tolerance) {
  for (int c = 0; c < 3; ++c) {
    if (std::abs(got[c] - expected[c]) > tolerance) return false;
  }
  return true;
}

TEST(ImageDecoding, EveryFormatDecodesToTheSamePixels) {
  // quadrants: red top-left, green top-right, blue bottom-left, white bottom-right, 40 x 30.
  const std::vector<std::pair<std::string, int>> files = {{"quadrants.png", 0},
                                                          {"quadrants.bmp", 0},
                                                          {"quadrants.webp", 0},
                                                          {"quadrants.jpg", 24},
                                                          {"quadrants_progressive.jpg", 24},
                                                          {"quadrants_lossy.webp", 24}};
  for (const auto& [name, tolerance] : files) {
    const RgbImage image = decode_image(bytes_of(name), name);
    ASSERT_EQ(image.width, 40) << name;
    ASSERT_EQ(image.height, 30) << name;
    EXPECT_TRUE(near(pixel(image, 5, 5), {255, 0, 0}, tolerance)) << name;
    EXPECT_TRUE(near(pixel(image, 35, 5), {0, 255, 0}, tolerance)) << name;
    EXPECT_TRUE(near(pixel(image, 5, 25), {0, 0, 255}, tolerance)) << name;
    EXPECT_TRUE(near(pixel(image, 35, 25), {255, 255, 255}, tolerance)) << name;
  }
}

TEST(ImageDecoding, AnAnimatedGifGivesItsFirstFrame) {
  const RgbImage image = decode_image(bytes_of("two_frames.gif"), "two_frames.gif");
  EXPECT_EQ(image.width, 16);
  EXPECT_EQ(image.height, 12);
  EXPECT_EQ(pixel(image, 8, 6), (std::array<int, 3>{255, 0, 0}));  // red, not the blue frame 2
}

TEST(ImageDecoding, ProbeReportsSizeAndFormatFromTheContent) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"quadrants.png", "image/png"},   {"quadrants.jpg", "image/jpeg"},
      {"quadrants.webp", "image/webp"}, {"quadrants_lossy.webp", "image/webp"},
      {"quadrants.bmp", "image/bmp"},   {"two_frames.gif", "image/gif"}};
  for (const auto& [name, mime] : files) {
    const ImageInfo info = probe_image(kImages / name);
    EXPECT_EQ(info.mime_type, mime) << name;
    EXPECT_EQ(info.width, name == "two_frames.gif" ? 16 : 40) << name;
    EXPECT_EQ(info.height, name == "two_frames.gif" ? 12 : 30) << name;
  }
  EXPECT_EQ(probe_image(kImages / "gradient_1200x800.png").width, 1200);
}

TEST(ImageDecoding, BrokenFilesAreInputErrorsNamingTheFile) {
  for (const char* name : {"truncated.jpg", "corrupt.png"}) {
    try {
      (void)decode_image(bytes_of(name), std::string("data/") + name);
      FAIL() << name << " decoded";
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("data/") + name)) << name;
      EXPECT_THAT(e.what(), HasSubstr("not a readable image")) << name;
    }
  }
  EXPECT_THROW((void)decode_image("not an image at all", "x"), InputError);
  EXPECT_THROW((void)probe_image_bytes("", "empty.png"), InputError);
  EXPECT_THROW((void)probe_image(kImages / "absent.png"), InputError);
}

TEST(ImageFit, AnImageThatFitsIsSentUntouched) {
  std::string problem;
  const std::string original = bytes_of("quadrants.jpg");
  const auto fitted = fit_image(original, "image/jpeg", ImageLimits{}, "q.jpg", problem);
  ASSERT_TRUE(fitted.has_value()) << problem;
  EXPECT_FALSE(fitted->reencoded);
  EXPECT_EQ(fitted->bytes, original);
  EXPECT_EQ(fitted->mime_type, "image/jpeg");
  EXPECT_EQ(fitted->width, 40);  // decoded to validate it
}

TEST(ImageFit, ValidationCatchesACorruptFileWhoseHeaderIsFine) {
  // The header probe passes (the loader accepts the file)...
  EXPECT_EQ(probe_image(kImages / "corrupt.png").width, 40);
  // ... but building a request decodes it and refuses it.
  std::string problem;
  EXPECT_THROW(
      (void)fit_image(bytes_of("corrupt.png"), "image/png", ImageLimits{}, "c.png", problem),
      InputError);
}

TEST(ImageFit, ALargeImageIsScaledDownKeepingItsAspectRatio) {
  std::string problem;
  ImageLimits limits;
  limits.max_side = 300;
  const auto fitted =
      fit_image(bytes_of("gradient_1200x800.png"), "image/png", limits, "g.png", problem);
  ASSERT_TRUE(fitted.has_value()) << problem;
  EXPECT_TRUE(fitted->reencoded);
  EXPECT_EQ(fitted->mime_type, "image/png");  // its own format, accepted
  const ImageInfo info = probe_image_bytes(fitted->bytes, "out");
  EXPECT_EQ(info.width, 300);
  EXPECT_EQ(info.height, 200);
  EXPECT_EQ(fitted->width, 300);
}

TEST(ImageFit, AFormatTheBackendRefusesIsReencoded) {
  std::string problem;
  ImageLimits limits;
  limits.mime_types = {"image/jpeg", "image/png"};
  for (const char* name : {"quadrants.webp", "two_frames.gif", "quadrants.bmp"}) {
    const auto fitted =
        fit_image(bytes_of(name), *sniff_image_mime_type(bytes_of(name)), limits, name, problem);
    ASSERT_TRUE(fitted.has_value()) << name << ": " << problem;
    EXPECT_EQ(fitted->mime_type, "image/jpeg") << name;  // JPEG first
    EXPECT_EQ(sniff_image_mime_type(fitted->bytes), "image/jpeg") << name;
  }
  limits.mime_types = {"image/png"};
  const auto png = fit_image(bytes_of("quadrants.webp"), "image/webp", limits, "w", problem);
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(png->mime_type, "image/png");
  // Lossless WebP to PNG keeps every pixel.
  const RgbImage image = decode_image(png->bytes, "png");
  EXPECT_EQ(pixel(image, 35, 5), (std::array<int, 3>{0, 255, 0}));
}

TEST(ImageFit, AByteLimitStepsQualityAndSizeDownUntilItFits) {
  std::string problem;
  ImageLimits limits;
  limits.max_bytes = 6000;
  limits.mime_types = {"image/jpeg"};
  const auto fitted =
      fit_image(bytes_of("gradient_1200x800.png"), "image/png", limits, "g.png", problem);
  ASSERT_TRUE(fitted.has_value()) << problem;
  EXPECT_LE(fitted->bytes.size(), 6000U);
  EXPECT_EQ(fitted->mime_type, "image/jpeg");
  // The same input and limits give the same bytes (the prompt hash stays stable).
  const auto again =
      fit_image(bytes_of("gradient_1200x800.png"), "image/png", limits, "g.png", problem);
  EXPECT_EQ(again->bytes, fitted->bytes);
}

TEST(ImageFit, WhatCannotFitIsReportedNotSent) {
  std::string problem;
  ImageLimits webp_only;
  webp_only.mime_types = {"image/webp"};
  EXPECT_FALSE(fit_image(bytes_of("quadrants.png"), "image/png", webp_only, "q.png", problem));
  EXPECT_THAT(problem, HasSubstr("accepts only image/webp"));
  ImageLimits tiny;
  tiny.max_bytes = 10;
  EXPECT_FALSE(fit_image(bytes_of("gradient_1200x800.png"), "image/png", tiny, "g.png", problem));
  EXPECT_THAT(problem, HasSubstr("cannot be made to fit in 10 bytes"));
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (const std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");  // RFC 4648 §10
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_decode("Zm9v\nYmFy"), "foobar");  // line breaks are skipped
  EXPECT_EQ(base64_decode("Zm8"), "fo");             // padding optional
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Zm8=Zm8="));  // data after padding
  EXPECT_FALSE(base64_decode("Z"));         // no whole byte
  const std::string png = bytes_of("quadrants.png");
  EXPECT_EQ(base64_decode(base64_encode(png)), png);
}

TEST(Base64, AppendsAfterWhatTheBufferHolds) {
  std::string out = "data:x;base64,";
  base64_append("foobar", out);
  base64_append("fo", out);
  EXPECT_EQ(out, "data:x;base64,Zm9vYmFyZm8=");
  for (const std::string text : {"", "f", "fo", "foo", "foob"}) {
    std::string appended = "<";
    base64_append(text, appended);
    EXPECT_EQ(appended, "<" + base64_encode(text));
  }
}

TEST(Base64, AnImageInsideALargerFileIsReadFromItsSlice) {
  TempDir dir("b64");
  const std::string encoded = base64_encode(bytes_of("quadrants.webp"));
  write_text(dir.path() / "table.tsv", "index\timage\n1\t" + encoded + "\n");
  ImageRef ref;
  ref.path = dir.path() / "table.tsv";
  ref.base64_offset = std::string("index\timage\n1\t").size();
  ref.base64_length = encoded.size();
  EXPECT_EQ(read_image_bytes(ref), bytes_of("quadrants.webp"));
  write_text(dir.path() / "table.tsv", "index\timage\n1\t#" + encoded + "\n");
  EXPECT_THROW((void)read_image_bytes(ref), InputError);  // '#' is not base64
  write_text(dir.path() / "table.tsv", "index\n");
  EXPECT_THROW((void)read_image_bytes(ref), InputError);  // the file shrank since it was loaded
}

class PathSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(root() / "images");
    std::filesystem::copy_file(kImages / "quadrants.png", root() / "images/ok.png");
    std::filesystem::copy_file(kImages / "quadrants.png", outside_.path() / "secret.png");
    std::filesystem::create_symlink(outside_.path() / "secret.png", root() / "images/link.png");
    std::filesystem::create_directory_symlink(outside_.path(), root() / "images/escape");
    std::filesystem::create_symlink(root() / "images/ok.png", root() / "images/inside.png");
  }
  [[nodiscard]] std::filesystem::path root() const { return dir_.path() / "dataset"; }

  /// The sample after attaching `relative` with `options` (root() unless given).
  Sample attached(const std::string& relative, ImageOptions options = {}) {
    if (options.root.empty()) options.root = root();
    Sample sample;
    std::vector<std::filesystem::path> files;
    ImageAttacher(options).attach(sample, relative, Location{"q.jsonl", 3, "/image"}, files);
    EXPECT_EQ(sample.images.empty(), !sample.error.empty()) << relative;
    return sample;
  }
  /// The sample's error after attaching `relative` (empty when it was accepted).
  std::string attach(const std::string& relative) { return attached(relative).error; }

  TempDir dir_{"safety"};
  TempDir outside_{"outside"};
};

TEST_F(PathSafety, PathsInsideTheRootAreAccepted) {
  EXPECT_EQ(attach("images/ok.png"), "");
  EXPECT_EQ(attach("images/../images/ok.png"), "");  // ".." that stays inside
  EXPECT_EQ(attach("images/inside.png"), "");        // a link to a file inside the root
}

TEST_F(PathSafety, DotDotAbsoluteAndOutwardLinksAreRefusedPerSample) {
  EXPECT_THAT(attach("../outside/secret.png"),
              HasSubstr("q.jsonl:3: field /image: image path '../outside/secret.png' refused: it "
                        "leaves the dataset root"));
  EXPECT_THAT(attach("images/../../x.png"), HasSubstr("leaves the dataset root"));
  EXPECT_THAT(attach((outside_.path() / "secret.png").string()), HasSubstr("absolute image path"));
  EXPECT_THAT(attach("images/link.png"),
              HasSubstr("through a symbolic link, outside the dataset root"));
  EXPECT_THAT(attach("images/escape/secret.png"), HasSubstr("through a symbolic link"));
}

TEST_F(PathSafety, MissingAndCorruptImagesAreSampleErrors) {
  EXPECT_THAT(attach("images/absent.png"),
              HasSubstr("q.jsonl:3: field /image: image file not found: "));
  write_text(root() / "images/text.png", "this is text");
  EXPECT_THAT(attach("images/text.png"), HasSubstr("not a readable image"));
}

/// Runs each path-safety case with openat2 and with the openat walk used where the kernel lacks
/// openat2.
class PathSafetyBothOpens : public PathSafety, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    PathSafety::SetUp();
    set_openat2_enabled(GetParam());
  }
  void TearDown() override { set_openat2_enabled(true); }
};

INSTANTIATE_TEST_SUITE_P(Opens, PathSafetyBothOpens, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "openat2" : "openat_walk";
                         });

TEST_P(PathSafetyBothOpens, APipeADirectoryAndALinkLoopAreCalledWhatTheyAre) {
  ASSERT_EQ(::mkfifo((root() / "images/pipe.png").c_str(), 0644), 0);
  std::filesystem::create_directory(root() / "images/folder.png");
  std::filesystem::create_symlink("loop.png", root() / "images/loop.png");
  // A named pipe with no writer: opened without blocking, then refused for what it is.
  EXPECT_THAT(attach("images/pipe.png"),
              HasSubstr("q.jsonl:3: field /image: " + (root() / "images/pipe.png").string() +
                        " is a named pipe (FIFO), not an image file"));
  EXPECT_THAT(attach("images/folder.png"),
              HasSubstr((root() / "images/folder.png").string() + " is a directory"));
  EXPECT_THAT(attach("images/loop.png"),
              HasSubstr("image path 'images/loop.png' refused: " +
                        (root() / "images/loop.png").string() + " is a symbolic link loop"));
  EXPECT_THAT(attach("images/absent.png"),
              HasSubstr("image file not found: " + (root() / "images/absent.png").string()));
}

TEST_P(PathSafetyBothOpens, AFileSwappedForALinkAfterLoadingIsNeverRead) {
  ImageOptions keep_nothing;
  keep_nothing.budget.memory_bytes = 0;  // read again at request time
  const Sample sample = attached("images/ok.png", keep_nothing);
  ASSERT_EQ(sample.error, "");
  const ImageRef& image = sample.images.at(0);
  EXPECT_EQ(image.data, nullptr);
  EXPECT_EQ(read_image_bytes(image), bytes_of("quadrants.png"));
  // The secret differs from the original, so reading it would be seen.
  write_text(outside_.path() / "secret.png", bytes_of("gradient_1200x800.png"));
  std::filesystem::remove(root() / "images/ok.png");
  std::filesystem::create_symlink(outside_.path() / "secret.png", root() / "images/ok.png");
  try {
    const std::string bytes = read_image_bytes(image);
    ADD_FAILURE() << "read " << bytes.size() << " bytes through the swapped link";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is a symbolic link"));
  }
  // A directory on the way swapped for a link outside: the same.
  std::filesystem::remove(root() / "images/ok.png");
  std::filesystem::copy_file(kImages / "quadrants.png", root() / "images/ok.png");
  EXPECT_EQ(read_image_bytes(image), bytes_of("quadrants.png"));
  std::filesystem::create_directories(outside_.path() / "images");
  std::filesystem::copy_file(outside_.path() / "secret.png", outside_.path() / "images/ok.png");
  std::filesystem::rename(root() / "images", root() / "images.old");
  std::filesystem::create_directory_symlink(outside_.path() / "images", root() / "images");
  EXPECT_THROW((void)read_image_bytes(image), InputError);
  // The same bytes through a regular file are fine; other bytes are not.
  std::filesystem::remove(root() / "images");
  std::filesystem::rename(root() / "images.old", root() / "images");
  write_text(root() / "images/ok.png", bytes_of("quadrants.webp"));
  try {
    (void)read_image_bytes(image);
    ADD_FAILURE() << "changed bytes were accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the image changed since the dataset was loaded"));
  }
}

TEST_F(PathSafety, KeptBytesAreTheOnesThatWereCheckedWhateverHappensOnDisk) {
  const Sample sample = attached("images/ok.png");  // default budget: kept in memory
  const ImageRef& image = sample.images.at(0);
  ASSERT_NE(image.data, nullptr);
  EXPECT_EQ(image.sha256.size(), 64u);
  std::filesystem::remove(root() / "images/ok.png");
  std::filesystem::create_symlink(outside_.path() / "secret.png", root() / "images/ok.png");
  write_text(outside_.path() / "secret.png", "secret");
  const auto opens = image_file_opens();
  EXPECT_EQ(read_image_bytes(image), bytes_of("quadrants.png"));
  EXPECT_EQ(image_file_opens(), opens);  // nothing opened at all
}

TEST_F(PathSafety, EachFileIsOpenedOnceWhateverHowManySamplesNameIt) {
  std::filesystem::copy_file(kImages / "quadrants.webp", root() / "images/two.webp");
  const ImageAttacher attacher(ImageOptions{root(), true, true});
  std::vector<std::filesystem::path> files;
  std::vector<Sample> samples(6);
  const auto before = image_file_opens();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    attacher.attach(samples[i], i % 2 == 0 ? "images/ok.png" : "images/two.webp",
                    Location{"q.jsonl", i + 1, "/image"}, files);
    ASSERT_EQ(samples[i].error, "");
  }
  EXPECT_EQ(image_file_opens() - before, 2u);
  // Every request of every model reads the kept bytes.
  for (int model = 0; model < 4; ++model) {
    for (const auto& sample : samples)
      EXPECT_FALSE(read_image_bytes(sample.images.at(0)).empty());
  }
  EXPECT_EQ(image_file_opens() - before, 2u);
  EXPECT_EQ(samples[0].images[0].data, samples[2].images[0].data);  // one copy in memory
}

TEST_F(PathSafety, TheMemoryBudgetKeepsWhatFitsAndTheRestIsReadPerRequest) {
  const auto size = std::filesystem::file_size(kImages / "quadrants.png");
  for (const char* name : {"a.png", "b.png", "c.png"})
    std::filesystem::copy_file(kImages / "quadrants.png", root() / "images" / name);
  ImageOptions options{root(), true, true};
  options.budget.memory_bytes = 2 * size;
  const ImageAttacher attacher(options);
  std::vector<std::filesystem::path> files;
  std::vector<Sample> samples(3);
  attacher.attach(samples[0], "images/a.png", Location{}, files);
  attacher.attach(samples[1], "images/b.png", Location{}, files);
  attacher.attach(samples[2], "images/c.png", Location{}, files);
  EXPECT_NE(samples[0].images.at(0).data, nullptr);
  EXPECT_NE(samples[1].images.at(0).data, nullptr);
  EXPECT_EQ(samples[2].images.at(0).data, nullptr);
  const auto before = image_file_opens();
  EXPECT_EQ(read_image_bytes(samples[2].images[0]), bytes_of("quadrants.png"));
  EXPECT_EQ(image_file_opens() - before, 1u);
}

/// A PNG whose header says width x height (an IHDR with a correct CRC and no pixel data): what
/// stb_image reads to learn the size.
std::string png_header(std::uint32_t width, std::uint32_t height) {
  auto be32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const std::string chunk = "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\0\0\0", 5);
  std::uint32_t crc = 0xFFFFFFFFu;  // CRC-32 as PNG defines it (ISO 3309)
  for (const char c : chunk) {
    crc ^= static_cast<unsigned char>(c);
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + chunk + be32(~crc);
}

TEST_F(PathSafety, ImagesAboveThePixelBudgetAreRefusedBeforeDecoding) {
  // 18,000 x 18,000 decodes to about 1 GB of RGB; the header alone says so.
  write_text(root() / "images/huge.png", png_header(18000, 18000));
  EXPECT_THAT(attach("images/huge.png"),
              HasSubstr("q.jsonl:3: field /image: " + (root() / "images/huge.png").string() +
                        ": the image is 18000 x 18000 = 324000000 pixels, above the limit of "
                        "89478485 (\"max_image_pixels\" of the dataset)"));
  EXPECT_THAT(
      [&] {
        try {
          (void)decode_image(png_header(18000, 18000), "huge.png");
        } catch (const InputError& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("huge.png: the image is 18000 x 18000 = 324000000 pixels"));
  // The budget is the dataset's: a smaller one refuses a real image, per sample, and a request
  // built from an image loaded under a larger one decodes it.
  const auto info = probe_image(kImages / "quadrants.png");
  ImageOptions small;
  small.budget.max_pixels = static_cast<std::uint64_t>(info.width) * info.height - 1;
  EXPECT_THAT(attached("images/ok.png", small).error, HasSubstr("above the limit of"));
  small.budget.max_pixels += 1;
  EXPECT_EQ(attached("images/ok.png", small).error, "");
  std::string problem;
  ImageLimits limits;
  limits.max_pixels = small.budget.max_pixels - 1;
  EXPECT_THROW((void)fit_image(bytes_of("quadrants.png"), "image/png", limits, "q.png", problem),
               InputError);
}

}  // namespace
}  // namespace lmmbench::datasets
