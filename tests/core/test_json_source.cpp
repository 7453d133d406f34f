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

std::string nested(std::size_t depth, std::string_view middle = "1") {
  return std::string(depth, '[') + std::string(middle) + std::string(depth, ']');
}

// 20,000 levels overflowed the stack in the line scanner (SIGSEGV); every reader now stops at
// kMaxJsonDepth with a located error.
TEST(ParseJson, NestingBeyondTheLimitIsALocatedErrorNotACrash) {
  const std::string deep = "{\n\"a\": \n" + nested(20'000) + "}";
  EXPECT_EQ(error_of([&] { JsonSource::from_text(deep, "c.json"); }),
            "c.json:3: invalid JSON: arrays and objects nested deeper than 512 levels");
  EXPECT_EQ(error_of([&] { (void)parse_jsonl_line(nested(20'000), "d.jsonl", 7); }),
            "d.jsonl:7: invalid JSON: arrays and objects nested deeper than 512 levels");
  EXPECT_EQ(error_of([&] { (void)parse_json(nested(kMaxJsonDepth + 1), "e.json"); }),
            "e.json:1: invalid JSON: arrays and objects nested deeper than 512 levels");
  EXPECT_TRUE(parse_json_or_discarded(nested(20'000)).is_discarded());
  // Brackets inside strings and comments do not count; the limit itself is accepted.
  const std::string at_limit = nested(kMaxJsonDepth, "\"[[[{\"");
  EXPECT_EQ(parse_json(at_limit, "f.json"), nlohmann::json::parse(at_limit));
  EXPECT_FALSE(parse_json_or_discarded(at_limit).is_discarded());
  const auto source = JsonSource::from_text("// [[[\n" + at_limit, "g.json");
  EXPECT_EQ(source->root(), nlohmann::json::parse(at_limit));
  EXPECT_EQ(source->line_of("/0/0"), 2u);
}

TEST(ParseJson, ANumberBeyondADoubleNamesFileLineAndField) {
  EXPECT_EQ(error_of([] { JsonSource::from_text("{\n\"a\": {\"b\": [1,\n 1e400]}}", "c.json"); }),
            "c.json:3: field /a/b/1: number out of range (beyond a double): 1e400");
  EXPECT_EQ(error_of([] { (void)parse_jsonl_line(R"({"x": [[2], -1E+999]})", "d.jsonl", 5); }),
            "d.jsonl:5: field /x/1: number out of range (beyond a double): -1E+999");
  EXPECT_EQ(error_of([] { (void)parse_json("1e400", "e.json"); }),
            "e.json:1: number out of range (beyond a double): 1e400");
  EXPECT_TRUE(parse_json_or_discarded(R"({"a": 1e400})").is_discarded());
  // Underflow is not an error (it is zero, as in every JSON reader).
  EXPECT_EQ(parse_json("1e-400", "f.json"), 0.0);
}

TEST(ParseJson, BuildsTheSameValueAsNlohmann) {
  const std::string text =
      R"({"a": [1, -2, 18446744073709551615, 1.5, "s", true, null, {}, []], "b": {"a": 1, "a": 2}})";
  EXPECT_EQ(parse_json(text, "x.json"), nlohmann::json::parse(text));
  EXPECT_EQ(parse_json(text, "x.json").dump(), nlohmann::json::parse(text).dump());
  EXPECT_EQ(error_of([] {
              (void)parse_json("{\"a\": 1} x", "x.json");
            }).rfind("x.json:1: invalid JSON: syntax error", 0),
            0u);
}

TEST(JsonSource, LinesAreKeptAfterAByteOrderMark) {
  const auto source = JsonSource::from_text("\xEF\xBB\xBF{\n\"a\": [1,\n2]}", "b.json");
  EXPECT_EQ(source->line_of("/a"), 2u);
  EXPECT_EQ(source->line_of("/a/1"), 3u);
}

// Found by fuzz_json_config: nlohmann ends a line comment at CR or NUL too; the line scanner
// read on to the next LF and lost the members in between (line 0 in their messages).
TEST(JsonSource, ALineCommentEndsWhereNlohmannEndsIt) {
  const std::string text("{// c\r\"a\": 1,\n// d\0\"b\": [2]}", 28);
  const auto source = JsonSource::from_text(text, "c.json");
  EXPECT_EQ(source->root(), nlohmann::json::parse(R"({"a": 1, "b": [2]})"));
  EXPECT_EQ(source->line_of("/a"), 1u);
  EXPECT_EQ(source->line_of("/b"), 2u);
  EXPECT_EQ(source->line_of("/b/0"), 2u);
}

TEST(JsonSource, ADuplicateKeyInAConfigNamesBothLines) {
  EXPECT_EQ(
      error_of([] { JsonSource::from_text("{\"m\": {\n\"a\": 1,\n\"a\": 2}}", "c.json"); }),
      "c.json:3: field /m/a: key 'a' appears twice in one object (first at line 2); remove one");
  // Data files read on a fast path keep nlohmann's rule: the last one wins.
  const auto data =
      JsonSource::from_text("{\"a\": 1,\n\"a\": 2}", "d.json", {}, DuplicateKeys::last_wins);
  EXPECT_EQ(data->root()["a"], 2);
  EXPECT_EQ(data->line_of("/a"), 2u);
  // The same key in different objects is no repeat.
  EXPECT_NO_THROW(JsonSource::from_text(
      R"({"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]})", "e.json"));
}

}  // namespace
}  // namespace lmmbench
