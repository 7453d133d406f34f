#include <gtest/gtest.h>

#include "core/python_literal.hpp"

namespace lmmbench {
namespace {

using List = std::vector<std::string>;

TEST(PythonStringList, ReadsWhatAstLiteralEvalReads) {
  EXPECT_EQ(parse_python_string_list("[]"), List{});
  EXPECT_EQ(parse_python_string_list(" [ ] "), List{});
  EXPECT_EQ(parse_python_string_list("['a', 'b']"), (List{"a", "b"}));
  EXPECT_EQ(parse_python_string_list("[\"b's\", 'c\"d',]"), (List{"b's", "c\"d"}));
  EXPECT_EQ(parse_python_string_list("['24/7', '3.429']"), (List{"24/7", "3.429"}));
  EXPECT_EQ(parse_python_string_list("['<img=\\'x.png\\'>']"), (List{"<img='x.png'>"}));
  EXPECT_EQ(parse_python_string_list(R"(['a\nb', '\t', '\\', '\x41\u00e9\U0001F600', '\101'])"),
            (List{"a\nb", "\t", "\\", "A\xC3\xA9\xF0\x9F\x98\x80", "A"}));
  // Unknown escapes keep their backslash; "\f" is a form feed, in LaTeX too (as in Python).
  EXPECT_EQ(parse_python_string_list(R"(['\d', '\s+', '$\frac{1}{2}$'])"),
            (List{"\\d", "\\s+", "$\frac{1}{2}$"}));
  EXPECT_EQ(parse_python_string_list("['é', 'ΟΔΟΣ']"), (List{"é", "ΟΔΟΣ"}));
  EXPECT_EQ(parse_python_string_list("[\n  'a',\n  'b'\n]"), (List{"a", "b"}));
  // A u prefix is still a str (what Python 2 era files hold; VLMEvalKit TSVs read with eval).
  EXPECT_EQ(parse_python_string_list("[u'a', U\"b\"]"), (List{"a", "b"}));
}

TEST(PythonStringList, RefusesAnythingElse) {
  for (const char* text :
       {"",         "a",        "'a'",     "[",         "['a'",          "['a' 'b']", "['a',,]",
        "[1]",      "[None]",   "['a'] x", "['''a''']", "['\\N{DASH}']", "['\\x4']",  "['\\ud800']",
        "['a\nb']", "['a\rb']", "[r'a']",  "[b'a']",    "[ua'a']",       "{'a'}",     "('a',)"}) {
    EXPECT_EQ(parse_python_string_list(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace lmmbench
