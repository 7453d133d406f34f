// core/json_fields.hpp: one visit() list drives both directions, with the field options and
// adapters the record types need.
#include <array>
#include <cmath>
#include <cstdint>
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

struct Outer {
  Example inner;
  bool flag = false;
  std::uint8_t small = 0;
  std::int64_t big = 0;
};

template <class S, class F>
requires json_fields::Record<S, Outer>
void visit(S& o, F&& f) {
  f("inner", o.inner);
  f("flag", o.flag, json_fields::omit_empty);
  f("small", o.small);
  f("big", o.big);
}

LMMBENCH_JSON_FIELDS(Outer)

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

/// The field and message of the InputError that reading `j` as an Outer throws.
std::pair<std::string, std::string> outer_error(const nlohmann::json& j) {
  try {
    (void)j.get<Outer>();
  } catch (const InputError& e) {
    return {e.where().field, e.detail()};
  }
  ADD_FAILURE() << "no error for " << j.dump();
  return {};
}

TEST(JsonFields, AWrongTypeIsAnInputErrorNamingTheFieldPath) {
  const nlohmann::json inner{{"name", "a"}};
  using Error = std::pair<std::string, std::string>;
  EXPECT_EQ(outer_error({{"inner", inner}, {"flag", "yes"}}),
            (Error{"/flag", "expected true or false, got a string"}));
  EXPECT_EQ(outer_error({{"inner", {{"name", 5}}}}),
            (Error{"/inner/name", "expected a string, got a number"}));
  EXPECT_EQ(outer_error({{"inner", {{"count", 1}}}}),
            (Error{"/inner/name", "missing required field"}));
  EXPECT_EQ(outer_error({{"inner", {{"name", "a"}, {"list", {1, "x"}}}}}).first, "/inner/list");
}

TEST(JsonFields, IntegersAreCheckedAgainstTheirTypeNeverConvertedWithOverflow) {
  const nlohmann::json inner{{"name", "a"}};
  using Error = std::pair<std::string, std::string>;
  EXPECT_EQ(outer_error({{"inner", inner}, {"small", 256}}),
            (Error{"/small", "256 is out of range"}));
  EXPECT_EQ(outer_error({{"inner", inner}, {"small", -1}}),
            (Error{"/small", "-1 is out of range"}));
  EXPECT_EQ(outer_error({{"inner", inner}, {"big", 18446744073709551615ULL}}).second,
            "18446744073709551615 is out of range");
  EXPECT_EQ(outer_error({{"inner", inner}, {"big", 1e300}}),
            (Error{"/big", "expected an integer, got a number"}));
  EXPECT_EQ(outer_error({{"inner", inner}, {"big", 2.5}}),
            (Error{"/big", "expected an integer, got a number"}));
  // An integral float reads as ObjectReader reads it.
  const auto o = nlohmann::json{{"inner", inner}, {"small", 255}, {"big", 3.0}}.get<Outer>();
  EXPECT_EQ(o.small, 255);
  EXPECT_EQ(o.big, 3);
}

TEST(JsonFields, OmitEmptyLeavesOutAFalseBool) {
  Outer o;
  o.inner.name = "a";
  EXPECT_FALSE(nlohmann::json(o).contains("flag"));
  o.flag = true;
  EXPECT_EQ(nlohmann::json(o).at("flag"), true);
  EXPECT_TRUE(nlohmann::json(o).get<Outer>().flag);
}

}  // namespace
}  // namespace lmmbench::json_fields_test
