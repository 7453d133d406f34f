#include <gtest/gtest.h>

#include "core/text.hpp"

namespace lmmbench {
namespace {

TEST(Text, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("concurency", "concurrency"), 1u);
}

TEST(Text, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> keys = {"models", "tasks", "concurrency", "seed"};
  EXPECT_EQ(did_you_mean("modles", keys), " (did you mean 'models'?)");
  EXPECT_EQ(did_you_mean("xyz", keys), "");
  EXPECT_EQ(nearest_match("sed", keys), "seed");
}

TEST(Text, TrimSplitJoinLower) {
  EXPECT_EQ(trim(" \t a b \n"), "a b");
  EXPECT_EQ(trim(" \n "), "");
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  const std::vector<std::string> parts = {"a", "b"};
  EXPECT_EQ(join(parts, ", "), "a, b");
  EXPECT_EQ(ascii_lower("AbC-É"), "abc-É");
}

}  // namespace
}  // namespace lmmbench
