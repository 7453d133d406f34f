// The .xlsx writer behind the MMBench submission file (harness/submission.hpp).
#include <cstdint>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/submission.hpp"

namespace lmmbench::harness {
namespace {

using ::testing::HasSubstr;

std::uint32_t u32(const std::string& b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}

std::uint16_t u16(const std::string& b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                    static_cast<unsigned char>(b[at + 1]) << 8);
}

/// The entries of a ZIP archive with stored (uncompressed) entries, read through its central
/// directory as an unzip tool does.
std::map<std::string, std::string> unzip_stored(const std::string& zip) {
  const std::size_t end = zip.rfind(std::string("PK\x05\x06", 4));
  EXPECT_NE(end, std::string::npos);
  const std::uint16_t entries = u16(zip, end + 10);
  std::size_t at = u32(zip, end + 16);
  std::map<std::string, std::string> out;
  for (std::uint16_t i = 0; i < entries; ++i) {
    EXPECT_EQ(u32(zip, at), 0x02014b50U);
    EXPECT_EQ(u16(zip, at + 10), 0);  // stored
    const std::uint32_t size = u32(zip, at + 24);
    const std::uint16_t name_length = u16(zip, at + 28);
    const std::uint32_t local = u32(zip, at + 42);
    const std::string name = zip.substr(at + 46, name_length);
    EXPECT_EQ(u32(zip, local), 0x04034b50U);
    const std::size_t data = local + 30 + u16(zip, local + 26) + u16(zip, local + 28);
    out[name] = zip.substr(data, size);
    at += 46 + name_length + u16(zip, at + 30) + u16(zip, at + 32);
  }
  return out;
}

TEST(Xlsx, IsAZipOfTheSpreadsheetPartsWithInlineCells) {
  const std::string bytes = xlsx_bytes({{std::string("index"), std::string("prediction")},
                                        {std::int64_t{241}, std::string("B & <C>")},
                                        {std::int64_t{1000241}, std::string("")}});
  const auto parts = unzip_stored(bytes);
  EXPECT_EQ(parts.size(), 5U);
  EXPECT_TRUE(parts.contains("[Content_Types].xml"));
  EXPECT_TRUE(parts.contains("_rels/.rels"));
  EXPECT_THAT(parts.at("xl/workbook.xml"),
              HasSubstr("<sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/>"));
  EXPECT_THAT(parts.at("xl/_rels/workbook.xml.rels"),
              HasSubstr("Target=\"worksheets/sheet1.xml\""));
  const std::string& sheet = parts.at("xl/worksheets/sheet1.xml");
  EXPECT_THAT(
      sheet,
      HasSubstr("<c r=\"A1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">index</t></is></c>"));
  EXPECT_THAT(sheet, HasSubstr("<c r=\"A2\"><v>241</v></c>"));
  EXPECT_THAT(sheet, HasSubstr("B &amp; &lt;C&gt;"));  // escaped
  EXPECT_THAT(
      sheet,
      HasSubstr("<row r=\"3\"><c r=\"A3\"><v>1000241</v></c></row>"));  // empty cell left out
  EXPECT_EQ(bytes, xlsx_bytes({{std::string("index"), std::string("prediction")},
                               {std::int64_t{241}, std::string("B & <C>")},
                               {std::int64_t{1000241}, std::string("")}}));  // deterministic
}

}  // namespace
}  // namespace lmmbench::harness
