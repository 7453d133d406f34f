#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_source.hpp"

// The one JSON idiom of lmmbench: a record type lists its fields once, in a visit(record, f)
// function (declared in the record's namespace, so that argument-dependent lookup finds it) that
// calls f(key, field) or f(key, field, options) per field; json_fields::write and
// json_fields::read walk that list, so writer and reader can never disagree:
//
//   template <class S, class F>
//   requires json_fields::Record<S, Point>
//   void visit(S& p, F&& f) {
//     f("x", p.x);
//     f("label", p.label, json_fields::omit_empty);
//   }
//   LMMBENCH_JSON_FIELDS(Point)  // to_json and from_json through json_fields::write and read
//
// Field rules:
//  - A std::optional is written as null when empty (or left out with omit_empty); absent or null
//    on reading, it is empty.
//  - Any other field absent or null on reading keeps the record's default (read() starts from a
//    default-constructed record), unless it is `required`: then reading throws InputError naming
//    the key.
//  - A value of the wrong type throws InputError naming the field's path ("/usage/prompt_tokens"
//    through nested records) and what was expected, as ObjectReader's accessors do. An integer
//    field takes an integer, or a float with an integral value below 9e15, within the range of
//    its C++ type (never a conversion that overflows). Unknown keys are ignored.
//  - omit_empty leaves out an empty optional, string or container, and a false bool.
//  - An enum with a json_enum_names(E) function (found by argument-dependent lookup, returning
//    pairs of value and name) is written as its name; reading any other name throws InputError
//    listing the known ones (nlohmann's own enum macro would read an unknown name as the first
//    value).
//  - Adapters change how one field is written: nan_as_null (a double that may be NaN),
//    write_only (a value derived from other fields, ignored on reading), with_codec (a codec
//    type with static encode/decode for a representation no plain type has).
//  - Keys come out sorted (nlohmann's object is a std::map), whatever the visit order.
namespace lmmbench::json_fields {

/// How one field is written and read.
struct Options {
  bool required = false;    ///< Reading fails when the key is absent or null.
  bool omit_empty = false;  ///< Not written when empty (an empty optional, string or container,
                            ///< a false bool).
};
inline constexpr Options required{.required = true};
inline constexpr Options omit_empty{.omit_empty = true};

/// S is T, const or not: selects the visit() overload of one record type for both directions.
template <class S, class T>
concept Record = std::same_as<std::remove_const_t<S>, T>;

/// An enum that names its values: `constexpr auto json_enum_names(E)` returns a range of
/// std::pair<E, std::string_view>.
template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  json_enum_names(e);
};

/// A field with its own encoding: `nlohmann::json encode() const`, `void decode(const json&)`
/// (called only for a present, non-null value) and `bool empty() const`.
template <class A>
concept Adapter = requires {
  typename std::remove_cvref_t<A>::json_adapter;
};

template <NamedEnum E>
std::string_view enum_name(E value) {
  for (const auto& [v, name] : json_enum_names(value)) {
    if (v == value) return name;
  }
  return {};
}

/// The value named `name`; throws InputError naming `field` and the known names otherwise.
template <NamedEnum E>
E enum_value(const nlohmann::json& name, const std::string& field) {
  if (name.is_string()) {
    const auto& text = name.get_ref<const std::string&>();
    for (const auto& [v, n] : json_enum_names(E{})) {
      if (n == text) return v;
    }
  }
  std::string known;
  for (const auto& [v, n] : json_enum_names(E{})) {
    known += known.empty() ? "" : ", ";
    known += n;
  }
  throw InputError(Location{"", 0, field}, "unknown " + field.substr(field.rfind('/') + 1) + " " +
                                               name.dump() + " (known: " + known + ")");
}

/// A double, or a std::array of them, each written as null when it is not finite (NaN:
/// undefined) and read back as NaN; absent or null, every element reads as NaN.
template <class T>
struct NanAsNull {
  using json_adapter = void;
  T& value;
  [[nodiscard]] nlohmann::json encode() const {
    if constexpr (std::is_floating_point_v<std::remove_const_t<T>>) {
      return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
    } else {
      auto out = nlohmann::json::array();
      for (const double v : value)
        out.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json());
      return out;
    }
  }
  void decode(const nlohmann::json& j) const {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    if constexpr (std::is_floating_point_v<T>) {
      value = j.is_number() ? j.get<double>() : kNaN;
    } else {
      for (std::size_t i = 0; i < value.size(); ++i)
        value[i] = j.is_array() && i < j.size() && j[i].is_number() ? j[i].get<double>() : kNaN;
    }
  }
  [[nodiscard]] bool empty() const { return false; }
  void missing() const { decode(nlohmann::json()); }
};
template <class T>
NanAsNull<T> nan_as_null(T& value) {
  return {value};
}

/// A value computed from other fields for the reader's convenience; ignored on reading.
template <class T>
struct WriteOnly {
  using json_adapter = void;
  T value;
  [[nodiscard]] nlohmann::json encode() const { return value; }
  void decode(const nlohmann::json&) const {}
  [[nodiscard]] bool empty() const { return false; }
};
template <class T>
WriteOnly<T> write_only(T value) {
  return {std::move(value)};
}

/// `value` in the representation of Codec: static nlohmann::json encode(const V&) and static
/// void decode(const nlohmann::json&, V&).
template <class Codec, class T>
struct WithCodec {
  using json_adapter = void;
  T& value;
  [[nodiscard]] nlohmann::json encode() const { return Codec::encode(value); }
  void decode(const nlohmann::json& j) const { Codec::decode(j, value); }
  [[nodiscard]] bool empty() const {
    if constexpr (requires { value.empty(); }) {
      return value.empty();
    } else {
      return false;
    }
  }
};
template <class Codec, class T>
WithCodec<Codec, T> with_codec(T& value) {
  return {value};
}

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
bool empty(const T& v) {
  if constexpr (Adapter<T>) {
    return v.empty();
  } else if constexpr (std::is_same_v<T, bool>) {
    return !v;
  } else if constexpr (is_optional<T>::value) {
    return !v.has_value();
  } else if constexpr (requires { v.empty(); }) {
    return v.empty();
  } else {
    return false;
  }
}

template <class T>
nlohmann::json encode(const T& v) {
  if constexpr (Adapter<T>) {
    return v.encode();
  } else if constexpr (is_optional<T>::value) {
    return v ? encode(*v) : nlohmann::json();
  } else if constexpr (NamedEnum<T>) {
    return std::string(enum_name(v));
  } else {
    return nlohmann::json(v);
  }
}

[[noreturn]] inline void fail(const std::string& field, const std::string& message) {
  throw InputError(Location{"", 0, field}, message);
}

/// An integer field: an integer, or a float with an integral value below 9e15 (ObjectReader's
/// rule), within the range of T.
template <class T>
T integer(const nlohmann::json& j, const std::string& field) {
  using Limits = std::numeric_limits<T>;
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(Limits::max())) fail(field, j.dump() + " is out of range");
    return static_cast<T>(u);
  }
  std::int64_t i = 0;
  if (j.is_number_integer()) {
    i = j.get<std::int64_t>();
  } else if (j.is_number_float() && j.get<double>() == std::floor(j.get<double>()) &&
             std::abs(j.get<double>()) < 9.0e15) {
    i = static_cast<std::int64_t>(j.get<double>());
  } else {
    fail(field, "expected an integer, got " + std::string(json_type_name(j)));
  }
  if constexpr (std::is_unsigned_v<T>) {
    if (i < 0 || static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(Limits::max())) {
      fail(field, std::to_string(i) + " is out of range");
    }
  } else if constexpr (sizeof(T) < sizeof(std::int64_t)) {
    if (i < Limits::min() || i > Limits::max()) fail(field, std::to_string(i) + " is out of range");
  }
  return static_cast<T>(i);
}

template <class T>
void decode(const nlohmann::json& j, const std::string& field, T& v) {
  if constexpr (is_optional<T>::value) {
    typename T::value_type inner{};
    decode(j, field, inner);
    v = std::move(inner);
  } else if constexpr (NamedEnum<T>) {
    v = enum_value<T>(j, field);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) fail(field, "expected a string, got " + std::string(json_type_name(j)));
    v = j.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean())
      fail(field, "expected true or false, got " + std::string(json_type_name(j)));
    v = j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    v = integer<T>(j, field);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!j.is_number()) fail(field, "expected a number, got " + std::string(json_type_name(j)));
    v = j.get<T>();
  } else {
    // Containers and nested records: a nested record's error names its field below this one.
    try {
      j.get_to(v);
    } catch (const InputError& e) {
      if (!e.where().file.empty()) throw;
      fail(field + e.where().field, e.detail());
    } catch (const nlohmann::json::type_error& e) {
      std::string what = e.what();
      if (const auto end = what.find("] "); end != std::string::npos) what.erase(0, end + 2);
      fail(field, what);
    }
  }
}

}  // namespace detail

/// f(key, field[, options]) for json_fields::write.
class Writer {
 public:
  explicit Writer(nlohmann::json& j) : j_(j) {}
  template <class T>
  void operator()(const char* key, const T& value, Options options = {}) const {
    if (options.omit_empty && detail::empty(value)) return;
    j_[key] = detail::encode(value);
  }

 private:
  nlohmann::json& j_;
};

/// f(key, field[, options]) for json_fields::read.
class Reader {
 public:
  explicit Reader(const nlohmann::json& j) : j_(j) {}
  template <class T>
  void operator()(const char* key, T&& value, Options options = {}) const {
    using V = std::remove_cvref_t<T>;
    const auto it = j_.find(key);
    const bool present = it != j_.end() && !it->is_null();
    if (!present) {
      if (options.required) {
        throw InputError(Location{"", 0, std::string("/") + key}, "missing required field");
      }
      if constexpr (requires { value.missing(); }) {
        value.missing();
      } else if constexpr (detail::is_optional<V>::value) {
        value.reset();
      }
      return;
    }
    if constexpr (Adapter<V>) {
      value.decode(*it);
    } else {
      detail::decode(*it, std::string("/") + key, value);
    }
  }

 private:
  const nlohmann::json& j_;
};

/// Writes every field visit(record) lists into a new JSON object.
template <class T>
void write(nlohmann::json& j, const T& record) {
  j = nlohmann::json::object();
  visit(record, Writer(j));
}

/// Reads every field visit(record) lists from `j` into a default-constructed record.
template <class T>
void read(const nlohmann::json& j, T& record) {
  if (!j.is_object()) {
    throw nlohmann::json::type_error::create(
        302, "type must be object, but is " + std::string(j.type_name()), &j);
  }
  record = T{};
  visit(record, Reader(j));
}

}  // namespace lmmbench::json_fields

/// Defines to_json and from_json of a record type through its visit() (in the type's namespace,
/// where nlohmann's templates find them by argument-dependent lookup).
#define LMMBENCH_JSON_FIELDS(Type)                   \
  void to_json(nlohmann::json& j, const Type& v) {   \
    ::lmmbench::json_fields::write(j, v);            \
  }                                                  \
  void from_json(const nlohmann::json& j, Type& v) { \
    ::lmmbench::json_fields::read(j, v);             \
  }
