#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace lmmbench::harness {

/// US dollars per million tokens of one model.
struct Price {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
};

/// A dated table of API prices (configs/prices.json):
///   {"as_of": "YYYY-MM-DD", "currency": "USD", "models": {"gpt-4o": {"input": 2.5, "output":
///   10.0, "source": "https://..."}, ...}}
/// Prices are $ per 1M tokens; image tokens are billed as input tokens.
class PriceTable {
 public:
  /// Reads the table; throws InputError naming the file, line and field of a malformed entry.
  static PriceTable load(const std::filesystem::path& path);

  /// The entry for `model`: an exact match, else the longest entry that is a prefix of it followed
  /// by '-' or '@' (dated snapshots such as "gpt-4o-2024-08-06" or "claude-...@20240620" use their
  /// family's price). Returns the entry's name too.
  [[nodiscard]] std::optional<std::pair<std::string, Price>> find(const std::string& model) const;
  [[nodiscard]] const std::string& as_of() const { return as_of_; }

  /// Dollars for the given token counts.
  static double cost(const Price& price, std::int64_t prompt_tokens,
                     std::int64_t completion_tokens);

 private:
  std::string as_of_;
  std::map<std::string, Price> prices_;
};

}  // namespace lmmbench::harness
