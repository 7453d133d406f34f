#include <gtest/gtest.h>
#include <stb_image.h>
#include <stb_image_write.h>
#include <sys/stat.h>

#include "core/base64.hpp"
#include "report_fixture.hpp"
#include "reports/thumbnail.hpp"

namespace lmmbench::reports {
namespace {

std::string png(int width, int height) {
  std::vector<unsigned char> rgba(static_cast<std::size_t>(width * height * 4));
  for (std::size_t i = 0; i < rgba.size(); ++i)
    rgba[i] = static_cast<unsigned char>(i % 4 == 3 ? (i / 4) % 256 : 200);
  std::string out;
  stbi_write_png_to_func(
      [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<char*>(data),
                                                   static_cast<std::size_t>(size));
      },
      &out, width, height, 4, rgba.data(), width * 4);
  return out;
}

/// Width, height and channels of the JPEG inside a data: URI.
std::array<int, 3> jpeg_info(const std::string& uri) {
  const std::string prefix = "data:image/jpeg;base64,";
  EXPECT_EQ(uri.rfind(prefix, 0), 0u);
  const auto bytes = base64_decode(uri.substr(prefix.size()));
  EXPECT_TRUE(bytes.has_value());
  std::array<int, 3> info{};
  EXPECT_EQ(stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes->data()),
                                  static_cast<int>(bytes->size()), &info[0], &info[1], &info[2]),
            1);
  return info;
}

TEST(Thumbnail, ScalesTheLongerSideDownAndEncodesAJpegDataUri) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "wide.png", std::ios::binary) << png(200, 100);
  const auto uri = thumbnail_data_uri({dir.path() / "wide.png", 0, 0}, 50);
  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(jpeg_info(*uri), (std::array<int, 3>{50, 25, 3}));
  // Never enlarged.
  EXPECT_EQ(jpeg_info(*thumbnail_data_uri({dir.path() / "wide.png", 0, 0}, 400)),
            (std::array<int, 3>{200, 100, 3}));
}

TEST(Thumbnail, ReadsBase64ImagesInsideALargerFile) {
  testing::TempDir dir;
  const std::string encoded = base64_encode(png(30, 60));
  std::ofstream(dir.path() / "data.tsv", std::ios::binary)
      << "index\timage\n0\t" << encoded << "\n";
  const auto uri = thumbnail_data_uri({dir.path() / "data.tsv", 14, encoded.size()}, 20);
  ASSERT_TRUE(uri.has_value());
  EXPECT_EQ(jpeg_info(*uri), (std::array<int, 3>{10, 20, 3}));
}

TEST(Thumbnail, MissingOrUnreadableImagesGiveNone) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "text.png") << "not an image";
  EXPECT_FALSE(thumbnail_data_uri({dir.path() / "absent.png", 0, 0}, 50));
  EXPECT_FALSE(thumbnail_data_uri({dir.path() / "text.png", 0, 0}, 50));
  EXPECT_FALSE(thumbnail_data_uri({dir.path() / "text.png", 0, 4}, 50));
}

// An image path in a scores file is data: a link swapped in, a FIFO (which would block the report
// forever) or a device (/dev/zero would fill memory) gives no thumbnail, and the report goes on.
TEST(Thumbnail, LinksFifosAndDevicesGiveNoneWithoutBlocking) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "real.png", std::ios::binary) << png(20, 10);
  ASSERT_TRUE(thumbnail_data_uri({dir.path() / "real.png", 0, 0}, 50));
  std::filesystem::create_symlink(dir.path() / "real.png", dir.path() / "link.png");
  EXPECT_FALSE(thumbnail_data_uri({dir.path() / "link.png", 0, 0}, 50));
  ASSERT_EQ(::mkfifo((dir.path() / "fifo.png").c_str(), 0600), 0);
  EXPECT_FALSE(thumbnail_data_uri({dir.path() / "fifo.png", 0, 0}, 50));
  EXPECT_FALSE(thumbnail_data_uri({"/dev/zero", 0, 0}, 50));
}

}  // namespace
}  // namespace lmmbench::reports
