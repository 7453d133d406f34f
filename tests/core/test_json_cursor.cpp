#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json_cursor.hpp"

namespace lmmbench {
namespace {

/// The cursor's contract: when it reads a string, nlohmann reads the same one.
void expect_same_string_as_nlohmann(const std::string& json_text) {
  JsonCursor cursor(json_text);
  std::string ours;
  const bool accepted = cursor.read_string(ours) && cursor.at_end();
  nlohmann::json theirs;
  bool nlohmann_accepts = true;
  try {
    theirs = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception&) {
    nlohmann_accepts = false;
  }
  if (accepted) {
    ASSERT_TRUE(nlohmann_accepts) << json_text;
    ASSERT_TRUE(theirs.is_string()) << json_text;
    EXPECT_EQ(ours, theirs.get<std::string>()) << json_text;
  }
}

TEST(JsonCursor, ReadsStringsAsNlohmannDoes) {
  for (const char* text : {R"("plain")", R"("")", R"("a \"quoted\" \\ \/ word")", R"("\b\f\n\r\t")",
                           R"("\u00e9\u4e2d\ud83d\ude00")", R"("\u0000 nul")",
                           "\"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\"", "\"del \x7F\""}) {
    JsonCursor cursor(text);
    std::string out;
    EXPECT_TRUE(cursor.read_string(out)) << text;
    expect_same_string_as_nlohmann(text);
  }
}

TEST(JsonCursor, DeclinesInvalidStrings) {
  for (const char* text : {
           "\"unterminated",
           "\"tab\tinside\"",       // control characters must be escaped
           R"("\x")",               // unknown escape
           R"("\u12")",             // short \u
           R"("\udc00")",           // a low surrogate alone
           R"("\ud800")",           // a high surrogate alone
           R"("\ud800\u0041")",     // a high surrogate and no low one
           "\"\xC0\x80\"",          // overlong
           "\"\xED\xA0\x80\"",      // a surrogate encoded in UTF-8
           "\"\xF4\x90\x80\x80\"",  // above U+10FFFF
           "\"\xE4\xB8\"",          // truncated sequence
           "\"\x80\"",              // a continuation byte alone
       }) {
    JsonCursor cursor(text);
    std::string out;
    EXPECT_FALSE(cursor.read_string(out)) << text;
  }
}

TEST(JsonCursor, ReadsOnlyCanonicalIntegers) {
  for (const char* text : {"0", "7", "-12", "123456789012345678"}) {
    JsonCursor cursor(text);
    std::string_view digits;
    ASSERT_TRUE(cursor.read_canonical_integer(digits)) << text;
    EXPECT_EQ(digits, nlohmann::json::parse(text).dump()) << text;
  }
  for (const char* text : {"-0", "01", "1.0", "1e3", "1234567890123456789", "-", "+1", "x"}) {
    JsonCursor cursor(text);
    std::string_view digits;
    EXPECT_FALSE(cursor.read_canonical_integer(digits) && cursor.at_end()) << text;
  }
}

TEST(JsonCursor, SkipsValidValuesAndDeclinesInvalidOnes) {
  for (const char* text : {R"({"a": [1, -2.5e-3, true, false, null, {"b": {}}, [], "s"]})", "  0 ",
                           "[[[]]]", R"({"k\u0041": 1e99})"}) {
    JsonCursor cursor(text);
    EXPECT_TRUE(cursor.skip_value() && cursor.at_end()) << text;
  }
  for (const char* text : {"[1,]", R"({"a":1,})", R"({"a" 1})", "[1 2]", "tru", "nul", "1.", "-",
                           "01", "1e999", "{", "]", R"({1: 2})", "\xEF\xBB\xBF{}"}) {
    JsonCursor cursor(text);
    EXPECT_FALSE(cursor.skip_value() && cursor.at_end()) << text;
  }
  std::string deep(JsonCursor::kMaxDepth + 1, '[');
  deep += std::string(JsonCursor::kMaxDepth + 1, ']');
  JsonCursor cursor(deep);
  EXPECT_FALSE(cursor.skip_value());  // valid, but left to the full parser
}

/// Valid documents with random edits: whatever the cursor accepts as a whole value, nlohmann
/// accepts too. Mutations keep most texts close to valid, so both outcomes occur often.
TEST(JsonCursor, NeverAcceptsWhatNlohmannRejects) {
  const std::vector<std::string> seeds = {
      R"({"id": 12, "answers": ["a", {"answer": "b\u00e9"}], "x": [1.5e-3, true, null]})",
      R"(["café", -0.25, {"k": {"n": [false]}}, "\ud83d\ude00"])",
      "{\"s\": \"\xC3\xA9\xE4\xB8\xAD\", \"t\": 0}"};
  const std::string alphabet = "{}[]:,\"\\ 0123456789-+.eEtrufalsn\x80\xC3\xA9\xEDux\t";
  std::mt19937 rng(12345);
  int accepted = 0;
  int declined = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      const std::size_t at = rng() % (text.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text.insert(at, 1, c);
          break;
        case 1:
          if (at < text.size()) text[at] = c;
          break;
        default:
          if (at < text.size()) text.erase(at, 1);
      }
    }
    JsonCursor cursor(text);
    if (!(cursor.skip_value() && cursor.at_end())) {
      ++declined;
      continue;
    }
    ++accepted;
    EXPECT_NO_THROW({
      const auto parsed = nlohmann::json::parse(text);
      (void)parsed;
    }) << text;
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(declined, 1000);
}

}  // namespace
}  // namespace lmmbench
