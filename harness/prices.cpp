#include "harness/prices.hpp"

#include "core/cost.hpp"
#include "core/json_source.hpp"

namespace lmmbench::harness {

PriceTable PriceTable::load(const std::filesystem::path& path) {
  ObjectReader reader{ConfigNode(JsonSource::from_file(path))};
  PriceTable table;
  table.as_of_ = reader.required_string("as_of");
  const std::string currency = reader.get_string("currency", "USD");
  if (currency != "USD") reader.required("currency").fail("only USD prices are supported");
  reader.allow({"unit", "note", "sources"});
  const ConfigNode models = reader.required("models");
  ObjectReader entries = models.object();
  for (const auto& [name, value] : models.json().items()) {
    ObjectReader entry = entries.required(name).object();
    Price price;
    price.input_per_mtok = entry.required("input").as_number();
    price.output_per_mtok = entry.required("output").as_number();
    if (price.input_per_mtok < 0 || price.output_per_mtok < 0) {
      entry.node().fail("prices must be >= 0");
    }
    entry.allow({"source", "note"});
    entry.finish();
    table.prices_[name] = price;
  }
  reader.finish();
  return table;
}

std::optional<std::pair<std::string, Price>> PriceTable::find(const std::string& model) const {
  if (model.empty()) return std::nullopt;
  if (const auto it = prices_.find(model); it != prices_.end()) return *it;
  const std::pair<const std::string, Price>* best = nullptr;
  for (const auto& entry : prices_) {
    const auto& name = entry.first;
    if (model.size() > name.size() && model.starts_with(name) &&
        (model[name.size()] == '-' || model[name.size()] == '@') &&
        (best == nullptr || name.size() > best->first.size())) {
      best = &entry;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

double PriceTable::cost(const Price& price, std::int64_t prompt_tokens,
                        std::int64_t completion_tokens) {
  return cost::token_price_usd(price.input_per_mtok, price.output_per_mtok, prompt_tokens,
                               completion_tokens);
}

}  // namespace lmmbench::harness
