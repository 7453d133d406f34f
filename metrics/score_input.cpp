#include "metrics/score_input.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace lmmbench::metrics {

namespace {

std::string id_text(const ConfigNode& node) {
  if (node.json().is_number_integer()) return node.json().dump();
  if (!node.is_string()) node.fail("expected a string or an integer id");
  return node.as_string();
}

bool needs(std::span<const std::string> required, std::string_view field) {
  return std::find(required.begin(), required.end(), field) != required.end();
}

}  // namespace

ScoringItem parse_scoring_item(const ConfigNode& record, std::span<const std::string> required) {
  ObjectReader in(record);
  ScoringItem item;
  item.id = id_text(in.required("id"));
  if (const auto prediction = in.find("prediction")) item.prediction = prediction->as_string();
  item.category = in.get_string("category", "");

  if (const auto answers = in.find("answers")) {
    for (const auto& answer : answers->elements()) {
      if (answer.is_object()) {
        item.answers.push_back(answer.object().required("answer").as_string());
      } else {
        item.answers.push_back(answer.as_string());
      }
    }
    if (item.answers.empty() && needs(required, "answers"))
      answers->fail("expected at least one answer");
  } else if (needs(required, "answers")) {
    in.required("answers");
  }
  for (const char* single : {"answer", "label"}) {
    if (const auto value = in.find(single)) {
      item.answers.push_back(value->as_string());
    } else if (needs(required, single)) {
      in.required(single);
    }
  }
  if (const auto options = in.find("options")) {
    item.options = options->as_string_list();
  } else if (needs(required, "options")) {
    in.required("options");
  }
  if (const auto image = in.find("image")) {
    if (image->json().is_boolean()) {
      item.fields["image"] = image->as_bool() ? "true" : "false";
    } else {
      item.fields["image"] = image->as_string();
    }
  } else if (needs(required, "image")) {
    in.required("image");
  }
  for (const char* name : {"subtask", "group", "question_type", "answer_type"}) {
    if (const auto value = in.find(name)) {
      item.fields[name] =
          value->json().is_number_integer() ? value->json().dump() : value->as_string();
    } else if (needs(required, name)) {
      in.required(name);
    }
  }
  return item;
}

}  // namespace lmmbench::metrics
