// End-to-end: image files that are not what they claim to be, as `lmmbench run` meets them.
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

/// The scores file's lines by sample id.
std::map<std::string, nlohmann::json> scores_by_id(const std::filesystem::path& file) {
  std::map<std::string, nlohmann::json> out;
  std::istringstream in(read_text(file));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (!j.is_object() || !j.contains("id")) {
      ADD_FAILURE() << file << ": not a score record: " << line;
      continue;
    }
    const auto id = j.at("id").get<std::string>();
    out[id] = std::move(j);
  }
  return out;
}

TEST(ImagesCli, APipeADirectoryALinkLoopAndAHugeImageAreEachTheirSamplesNamedError) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  ASSERT_EQ(::mkfifo((dir.path() / "images/pipe.png").c_str(), 0644), 0);
  std::filesystem::create_directory(dir.path() / "images/folder.png");
  std::filesystem::create_symlink("loop.png", dir.path() / "images/loop.png");
  // A PNG signature and an IHDR saying 18,000 x 18,000 (CRC-32 of the chunk, big-endian).
  write_text(
      dir.path() / "images/huge.png",
      std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x46\x50\0\0\x46\x50\x08\x02\0\0\0", 29) +
          "\x18\x55\xf6\x15");
  std::string lines = read_text(dir.path() / "open.jsonl");
  for (const char* name : {"pipe", "folder", "loop", "huge"}) {
    lines += nlohmann::json{{"id", name},
                            {"images", {std::string("images/") + name + ".png"}},
                            {"question", "What colour?"},
                            {"answers", {"red"}}}
                 .dump() +
             "\n";
  }
  write_text(dir.path() / "open.jsonl", lines);
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--models",
                           "oracle,prior", "--tasks", "open", "--quiet"});
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;  // never blocked, never crashed
  for (const char* model : {"oracle", "prior"}) {
    const auto scores = scores_by_id(out / "scores" / model / "open.jsonl");
    ASSERT_EQ(scores.size(), 244u);
    auto error_of = [&](const std::string& id) { return scores.at(id).value("error", ""); };
    EXPECT_NE(error_of("pipe").find("is a named pipe (FIFO), not an image file"), std::string::npos)
        << error_of("pipe");
    EXPECT_NE(error_of("folder").find("is a directory, not an image file"), std::string::npos)
        << error_of("folder");
    EXPECT_NE(error_of("loop").find("is a symbolic link loop"), std::string::npos)
        << error_of("loop");
    EXPECT_NE(error_of("huge").find("18000 x 18000 = 324000000 pixels, above the limit of "
                                    "89478485"),
              std::string::npos)
        << error_of("huge");
    EXPECT_EQ(scores.at("q1").value("error", ""), "");
  }
}

}  // namespace
}  // namespace lmmbench::testing
