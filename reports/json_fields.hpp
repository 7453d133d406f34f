#pragma once

#include <concepts>
#include <optional>
#include <type_traits>

#include <nlohmann/json.hpp>

// Helpers for record types that list their fields once, in a visit(record, f) function that calls
// f(key, field) per field, so that to_json and from_json walk the same list (gpu_section.cpp,
// perf_section.cpp). An optional is written as null when empty; a field absent (or null) on
// reading keeps its default.
namespace lmmbench::reports::json_fields {

template <class T>
nlohmann::json encode(const T& v) {
  return nlohmann::json(v);
}

template <class T>
nlohmann::json encode(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <class T>
void decode(const nlohmann::json& j, const char* key, T& v) {
  const auto it = j.find(key);
  if (it != j.end() && !it->is_null()) v = it->template get<T>();
}

template <class T>
void decode(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    v.reset();
  } else {
    v = it->template get<T>();
  }
}

/// S is T, const or not: selects the visit() overload of one record type for both directions.
template <class S, class T>
concept Record = std::same_as<std::remove_const_t<S>, T>;

}  // namespace lmmbench::reports::json_fields
