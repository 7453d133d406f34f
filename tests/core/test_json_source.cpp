#include <gtest/gtest.h>

#include "core/json_source.hpp"
#include "core/jsonl.hpp"

namespace lmmbench {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

constexpr const char* kConfig = R"({
  // a comment with "quotes" and {braces}
  "name": "run",
  "list": [
    1,
    {"deep": /* inline */ true}
  ],
  "text": "a \"quoted\" // not a comment",
  "odd/key~": 3
})";

TEST(JsonSource, RemembersTheLineOfEveryKeyAndElement) {
  const auto source = JsonSource::from_text(kConfig, "c.json");
  EXPECT_EQ(source->line_of(""), 1u);
  EXPECT_EQ(source->line_of("/name"), 3u);
  EXPECT_EQ(source->line_of("/list"), 4u);
  EXPECT_EQ(source->line_of("/list/0"), 5u);
  EXPECT_EQ(source->line_of("/list/1"), 6u);
  EXPECT_EQ(source->line_of("/list/1/deep"), 6u);
  EXPECT_EQ(source->line_of("/text"), 8u);
  EXPECT_EQ(source->line_of("/odd~1key~0"), 9u);
  EXPECT_EQ(source->line_of("/missing"), 0u);
}

TEST(JsonSource, SyntaxErrorsNameFileAndLine) {
  const auto message = error_of([] { JsonSource::from_text("{\n\"a\": 1\n\"b\": 2}", "x.json"); });
  EXPECT_EQ(message.rfind("x.json:3: invalid JSON: syntax error", 0), 0u) << message;
}

TEST(ObjectReader, RejectsUnknownKeysWithTheNearestKnownOne) {
  const auto source = JsonSource::from_text("{\n\"name\": 1,\n\"lsit\": []\n}", "c.json");
  ObjectReader reader{ConfigNode(source)};
  (void)reader.find("name");
  (void)reader.find("list");
  EXPECT_EQ(error_of([&] { reader.finish(); }),
            "c.json:3: field /lsit: unknown field 'lsit' (did you mean 'list'?)");
}

TEST(ObjectReader, TypeErrorsNameTheField) {
  const auto source = JsonSource::from_text(kConfig, "c.json");
  ObjectReader reader{ConfigNode(source)};
  EXPECT_EQ(error_of([&] { (void)reader.get_int("name", 0); }),
            "c.json:3: field /name: expected an integer, got a string");
  EXPECT_EQ(error_of([&] { (void)reader.required("absent"); }),
            "c.json:1: field /absent: missing required field");
  const auto list = reader.required("list").elements();
  EXPECT_EQ(error_of([&] { (void)list[1].object().get_string("deep", ""); }),
            "c.json:6: field /list/1/deep: expected a string, got a boolean");
  EXPECT_EQ(error_of([&] { (void)list[0].as_int(2, 9); }),
            "c.json:5: field /list/0: 1 is out of range [2, 9]");
}

TEST(ConfigNode, ResolvesRelativePathsAgainstTheFilesDirectory) {
  const auto source =
      JsonSource::from_text(R"({"p": "data/x.jsonl", "q": "/abs"})", "c.json", "/cfg/tasks");
  ObjectReader reader{ConfigNode(source)};
  EXPECT_EQ(reader.required("p").as_path(), "/cfg/tasks/data/x.jsonl");
  EXPECT_EQ(reader.required("q").as_path(), "/abs");
}

TEST(Jsonl, ReportsTheLineOfABadRecord) {
  std::vector<std::size_t> lines;
  const auto message = error_of([&] {
    for_each_jsonl_record("{\"a\": 1}\n\n{\"a\": 2}\n{oops}\n", "d.jsonl", {},
                          [&](const ConfigNode& n) { lines.push_back(n.location().line); });
  });
  EXPECT_EQ(lines, (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(message.rfind("d.jsonl:4: invalid JSON", 0), 0u) << message;
}

}  // namespace
}  // namespace lmmbench
