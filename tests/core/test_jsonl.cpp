#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/jsonl.hpp"

namespace lmmbench {
namespace {

using Lines = std::vector<std::pair<std::size_t, std::string>>;

Lines lines_of_text(std::string_view text) {
  Lines lines;
  for_each_line_in_memory(
      text, [&](std::size_t n, std::string_view line) { lines.emplace_back(n, line); });
  return lines;
}

Lines lines_of_file(const std::string& content) {
  // Named after the test and the process, as CTest runs the tests of this file in parallel.
  const auto path =
      std::filesystem::temp_directory_path() /
      (std::string("lmmbench_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
       "_" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream out(path, std::ios::binary);
    out << content;
  }
  Lines lines;
  for_each_line(path, [&](std::size_t n, std::string_view line) { lines.emplace_back(n, line); });
  std::filesystem::remove(path);
  return lines;
}

TEST(ForEachLine, SplitsFilesAndMemoryAlike) {
  const std::string text = "\xEF\xBB\xBF{\"a\": 1}\r\n\n  \nlast without newline";
  const Lines expected = {{1, "{\"a\": 1}\r"}, {2, ""}, {3, "  "}, {4, "last without newline"}};
  EXPECT_EQ(lines_of_text(text), expected);
  EXPECT_EQ(lines_of_file(text), expected);
  EXPECT_EQ(lines_of_file(""), Lines{});
  EXPECT_EQ(lines_of_file("one\n"), (Lines{{1, "one"}}));
}

TEST(ForEachLine, HandlesLinesAcrossAndLongerThanTheReadBlock) {
  // Blocks are 1 MiB: a 3 MiB line forces the buffer to grow, and the short lines around it
  // straddle block boundaries.
  std::string text;
  Lines expected;
  for (std::size_t i = 1; i <= 5; ++i) {
    std::string line(i == 3 ? (std::size_t{3} << 20) : 700'000 + i, static_cast<char>('a' + i));
    text += line + "\n";
    expected.emplace_back(i, line);
  }
  EXPECT_EQ(lines_of_file(text), expected);
}

TEST(ForEachLine, NamesAFileThatCannotBeOpened) {
  try {
    for_each_line(std::filesystem::path("/nonexistent/dir/x.jsonl"),
                  [](std::size_t, std::string_view) {});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/dir/x.jsonl: cannot open file");
  }
}

TEST(ParseJsonlLine, SkipsBlankLinesAndLocatesErrors) {
  EXPECT_FALSE(parse_jsonl_line(" \t\r", "f.jsonl", 3).has_value());
  const auto node = parse_jsonl_line("{\"a\": [1]}", "f.jsonl", 4);
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->location().line, 4u);
  try {
    (void)parse_jsonl_line("{oops}", "f.jsonl", 9);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("f.jsonl:9: invalid JSON: syntax error", 0), 0u)
        << e.what();
  }
}

}  // namespace
}  // namespace lmmbench
