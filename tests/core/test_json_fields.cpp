// core/json_fields.hpp: one visit() list drives both directions, with the field options and
// adapters the record types need.
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json_fields.hpp"

namespace lmmbench::json_fields_test {

enum class Colour { red, green };

constexpr auto json_enum_names(Colour) {
  return std::array<std::pair<Colour, std::string_view>, 2>{
      {{Colour::red, "red"}, {Colour::green, "green"}}};
}

struct Example {
  std::string name;
  int count = 7;
  Colour colour = Colour::red;
  std::optional<double> maybe;
  std::optional<double> absent_when_empty;
  std::vector<int> list;
  double mean = 0;
  std::array<double, 2> interval{0, 0};
};

template <class S, class F>
requires json_fields::Record<S, Example>
void visit(S& e, F&& f) {
  f("name", e.name, json_fields::required);
  f("count", e.count);
  f("colour", e.colour);
  f("maybe", e.maybe);
  f("absent_when_empty", e.absent_when_empty, json_fields::omit_empty);
  f("list", e.list, json_fields::omit_empty);
  f("mean", json_fields::nan_as_null(e.mean));
  f("interval", json_fields::nan_as_null(e.interval));
  f("label", json_fields::write_only(e.name + "#" + std::to_string(e.count)));
}

LMMBENCH_JSON_FIELDS(Example)

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(JsonFields, WritesEveryListedFieldAndReadsItBack) {
  Example e;
  e.name = "a";
  e.colour = Colour::green;
  e.mean = kNaN;
  e.interval = {1.5, kNaN};
  const nlohmann::json j = e;
  EXPECT_EQ(j.dump(), R"({"colour":"green","count":7,"interval":[1.5,null],"label":"a#7",)"
                      R"("maybe":null,"mean":null,"name":"a"})");
  const auto back = j.get<Example>();
  EXPECT_EQ(back.name, "a");
  EXPECT_EQ(back.colour, Colour::green);
  EXPECT_FALSE(back.maybe.has_value());
  EXPECT_TRUE(std::isnan(back.mean));
  EXPECT_EQ(back.interval[0], 1.5);
  EXPECT_TRUE(std::isnan(back.interval[1]));
  EXPECT_EQ(nlohmann::json(back), j);
  e.absent_when_empty = 2.0;
  e.list = {1};
  const nlohmann::json full = e;
  EXPECT_EQ(full.at("absent_when_empty"), 2.0);
  EXPECT_EQ(full.at("list"), nlohmann::json::array({1}));
}

TEST(JsonFields, AbsentFieldsKeepDefaultsAndRequiredOnesAreNamed) {
  const auto e = nlohmann::json{{"name", "b"}}.get<Example>();
  EXPECT_EQ(e.count, 7);
  EXPECT_EQ(e.colour, Colour::red);
  EXPECT_TRUE(std::isnan(e.mean));  // NaN-as-null: absent is undefined, not 0
  try {
    (void)nlohmann::json{{"count", 1}}.get<Example>();
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().field, "/name");
  }
}

TEST(JsonFields, AnUnknownEnumNameIsRefusedNotReadAsTheFirstValue) {
  try {
    (void)nlohmann::json{{"name", "c"}, {"colour", "blue"}}.get<Example>();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field, "/colour");
    EXPECT_NE(std::string(e.what()).find("unknown colour \"blue\" (known: red, green)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lmmbench::json_fields_test
