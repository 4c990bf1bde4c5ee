// One field list per message, two encodings: JSON for the run log
// (CASM_JSON, here) and CAF's inspect for the actor protocol (CASM_INSPECT,
// messages/protocol/inspect.h). Strings go through codec::put_bytes, so bytes
// that are not UTF-8 (paths, error text) survive exactly (a `<field>_b64`
// twin appears only when needed).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/codec/json_text.h"
#include "messages/data/json_read.h"
#include "messages/data/vocabulary.h"

namespace casm::messages {

inline void json_put(nlohmann::json& j, const char* key, const std::string& v) {
  codec::put_bytes(j, key, v);
}
// A list of byte strings: each valid UTF-8 element as is, any other as
// {"b64": "..."}; exact both ways.
inline void json_put(nlohmann::json& j, const char* key, const std::vector<std::string>& v) {
  auto arr = nlohmann::json::array();
  for (const auto& s : v) {
    if (codec::is_utf8(s)) arr.push_back(s);
    else arr.push_back(nlohmann::json{{"b64", codec::base64_encode(s)}});
  }
  j[key] = std::move(arr);
}
inline void json_put(nlohmann::json& j, const char* key, severity v) {
  j[key] = std::string(to_string(v));
}
template <class T>
void json_put(nlohmann::json& j, const char* key, const T& v) {
  j[key] = v;
}

inline void json_get(const nlohmann::json& j, const char* key, std::string& v) {
  v = codec::get_bytes(j, key);
}
inline void json_get(const nlohmann::json& j, const char* key, std::vector<std::string>& v) {
  v.clear();
  if (auto it = j.find(key); it != j.end() && it->is_array())
    for (const auto& s : *it) {
      if (s.is_string()) v.push_back(s.get<std::string>());
      else if (s.is_object()) v.push_back(codec::base64_decode(s.value("b64", "")));
    }
}
inline void json_get(const nlohmann::json& j, const char* key, severity& v) {
  if (auto it = j.find(key); it != j.end() && it->is_string())
    v = parse_severity(it->get<std::string>()).value_or(severity::info);
}
// An absent optional is an absent key.
template <class T>
void json_put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
template <class T>
void json_get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  v.reset();
  if (auto it = j.find(key); it != j.end() && !it->is_null()) v = it->get<T>();
}
template <class T>
void json_get(const nlohmann::json& j, const char* key, T& v) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(v);
}

// The same JSON as text, written straight into a string instead of through a
// nlohmann DOM (a map node per field): the supervisor records multi-megabyte
// messages (a large audit's findings) on the critical path, and the replayer
// re-encodes every output it compares. The text is byte-for-byte what
// nlohmann::json(x).dump() gives (keys sorted, no spaces, the same escapes
// and _b64 companions); tests/unit/json_write_test.cc holds the two equal.
// Types this writer does not know (doubles, maps, hand-written to_json) are
// written by nlohmann.
void json_write_string(std::string& out, std::string_view utf8);
// json_write_string(out, bytes) when `bytes` is valid UTF-8, in the same
// pass as the check (is_utf8 then json_write_string read the text twice);
// otherwise writes nothing and returns false.
bool json_write_utf8(std::string& out, std::string_view bytes);

template <class T, class = void>
struct has_json_write : std::false_type {};
template <class T>
struct has_json_write<T, std::void_t<decltype(json_write(std::declval<std::string&>(),
                                                        std::declval<const T&>()))>>
  : std::true_type {};

// A vector written element by element (std::vector<bool> is left to nlohmann).
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::bool_constant<!std::is_same_v<T, bool>> {};

template <class T>
void json_write_value(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (!json_write_utf8(out, v)) json_write_string(out, codec::display_text(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, severity>) {
    json_write_string(out, to_string(v));
  } else if constexpr (std::is_integral_v<T>) {
    char digits[24];
    out.append(digits, static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, v).ptr - digits));
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ',';
      if (!json_write_utf8(out, v[i])) {
        out += "{\"b64\":";
        json_write_string(out, codec::base64_encode(v[i]));
        out += '}';
      }
    }
    out += ']';
  } else if constexpr (is_vector<T>::value) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ',';
      json_write_value(out, v[i]);
    }
    out += ']';
  } else if constexpr (has_json_write<T>::value) {
    json_write(out, v);
  } else {
    out += nlohmann::json(v).dump();
  }
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// One key of a struct's JSON object; `write` appends `"key":value` and
// returns true, or appends nothing and returns false (an absent _b64 key).
// A string field's entry also knows how to write its `_b64` twin with it
// (`with_twin`): json_sorted uses that when no key sorts between the two,
// so the bytes are checked for UTF-8 once, not twice.
template <class Type>
struct json_field {
  std::string key;
  std::function<bool(std::string&, const Type&)> write;
  std::function<bool(std::string&, const Type&)> with_twin;  // string fields only
  bool twin = false;  // the `_b64` entry of a string field
};

template <class Type, class Get>
void json_add_field(std::vector<json_field<Type>>& fields, const char* name, Get get) {
  using F = std::decay_t<decltype(get(std::declval<const Type&>()))>;
  const std::string key = std::string("\"") + name + "\":";
  if constexpr (std::is_same_v<F, std::string>) {
    // As put_bytes: the text, and the exact bytes in base64 when not UTF-8.
    const std::string b64_key = std::string("\"") + name + "_b64\":";
    fields.push_back({name,
                      [key, get](std::string& out, const Type& x) {
                        out += key;
                        json_write_value(out, get(x));
                        return true;
                      },
                      [key, b64_key, get](std::string& out, const Type& x) {
                        const std::string& v = get(x);
                        out += key;
                        if (json_write_utf8(out, v)) return true;
                        json_write_string(out, codec::display_text(v));
                        out += ',';
                        out += b64_key;
                        json_write_string(out, codec::base64_encode(v));
                        return true;
                      },
                      false});
    fields.push_back({std::string(name) + "_b64",
                      [b64_key, get](std::string& out, const Type& x) {
                        const std::string& v = get(x);
                        if (codec::is_utf8(v)) return false;
                        out += b64_key;
                        json_write_string(out, codec::base64_encode(v));
                        return true;
                      },
                      nullptr, true});
  } else if constexpr (is_optional<F>::value) {
    // An absent optional is an absent key.
    fields.push_back({name, [key, get](std::string& out, const Type& x) {
                        const auto& v = get(x);
                        if (!v) return false;
                        out += key;
                        json_write_value(out, *v);
                        return true;
                      },
                      nullptr, false});
  } else {
    fields.push_back({name,
                      [key, get](std::string& out, const Type& x) {
                        out += key;
                        json_write_value(out, get(x));
                        return true;
                      },
                      nullptr, false});
  }
}

template <class Type>
std::vector<json_field<Type>> json_sorted(std::vector<json_field<Type>> fields) {
  std::sort(fields.begin(), fields.end(),
            [](const json_field<Type>& a, const json_field<Type>& b) { return a.key < b.key; });
  // A string field directly followed by its own `_b64` twin: one entry.
  std::vector<json_field<Type>> out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].with_twin && i + 1 < fields.size() && fields[i + 1].twin &&
        fields[i + 1].key == fields[i].key + "_b64") {
      out.push_back({fields[i].key, fields[i].with_twin, nullptr, false});
      ++i;
    } else {
      out.push_back(std::move(fields[i]));
    }
  }
  return out;
}

template <class Type>
void json_write_object(std::string& out, const Type& x, const std::vector<json_field<Type>>& fields) {
  out += '{';
  bool first = true;
  for (const auto& f : fields) {
    const size_t mark = out.size();
    if (!first) out += ',';
    if (f.write(out, x)) first = false;
    else out.resize(mark);
  }
  out += '}';
}

// nlohmann::json(x).dump(), faster for the messages' own types.
template <class T>
std::string to_json_text(const T& x) {
  std::string out;
  json_write_value(out, x);
  return out;
}

// --- Reading: canonical text straight into the structs ------------------------
// The mirror of json_write. json_read(v, x), generated by CASM_JSON from the
// same field list, decodes exactly what from_json decodes from the same text
// (json_get's rules: a string's _b64 twin wins, a missing string is "", a
// missing or null field keeps its value, unknown keys are ignored). Where
// nlohmann would take a path this reader does not mirror (a value of another
// type than the field's, a duplicate key, a type without a reader) it
// returns false, and the caller decodes the text with nlohmann instead; x is
// then partly written and must be discarded.
// tests/unit/json_read_test.cc holds the two decoders equal.

template <class T, class = void>
struct has_json_read : std::false_type {};
template <class T>
struct has_json_read<T, std::void_t<decltype(json_read(std::declval<const json_value&>(),
                                                      std::declval<T&>()))>>
  : std::true_type {};

// nlohmann's j.get_to(out), for the types the messages hold.
template <class T>
bool json_read_value(const json_value& v, T& out) {
  using K = json_value::kind;
  const K k = v.type();
  if constexpr (std::is_same_v<T, bool>) {
    if (k != K::boolean) return false;
    out = v.get_bool();
    return true;
  } else if constexpr (std::is_integral_v<T>) {
    if (k == K::uint64) out = static_cast<T>(v.get_uint64());
    else if (k == K::int64) out = static_cast<T>(v.get_int64());
    else return false;
    return true;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (k == K::uint64) {
      out = static_cast<T>(v.get_uint64());
    } else if (k == K::int64) {
      out = static_cast<T>(v.get_int64());
    } else if (k == K::number) {
      out = static_cast<T>(v.get_double());  // both round correctly; "-0" is an integer in both
    } else {
      return false;
    }
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (k != K::string) return false;
    out.assign(v.get_string());
    return true;
  } else if constexpr (is_vector<T>::value) {
    if (k != K::array) return false;
    T tmp;
    tmp.reserve(v.array_size());
    if (!v.for_each_element([&](const json_value& e) {
          tmp.emplace_back();
          return json_read_value(e, tmp.back());
        }))
      return false;
    out = std::move(tmp);
    return true;
  } else if constexpr (has_json_read<T>::value) {
    return json_read(v, out);
  } else {
    return false;
  }
}

// json_get's rules, one per overload of json_get.
template <class T>
bool json_read_field(const json_value& v, T& out) {
  if (v.type() == json_value::kind::null) return true;
  return json_read_value(v, out);
}
template <class T>
bool json_read_field(const json_value& v, std::optional<T>& out) {
  out.reset();
  if (v.type() == json_value::kind::null) return true;
  T tmp{};
  if (!json_read_value(v, tmp)) return false;
  out = std::move(tmp);
  return true;
}
inline bool json_read_field(const json_value& v, severity& out) {
  if (v.type() == json_value::kind::string)
    out = parse_severity(v.get_string()).value_or(severity::info);
  return true;
}
inline bool json_read_field(const json_value& v, std::vector<std::string>& out) {
  using K = json_value::kind;
  out.clear();
  if (v.type() != K::array) return true;
  return v.for_each_element([&](const json_value& e) {
    if (e.type() == K::string) {
      out.emplace_back(e.get_string());
    } else if (e.type() == K::object) {
      // e.value("b64", ""): the last "b64" member; one that is not a string
      // makes nlohmann throw.
      json_value b64;
      bool found = false;
      e.for_each_field([&](std::string_view key, const json_value& m) {
        if (key == "b64") {
          b64 = m;
          found = true;
        }
        return true;
      });
      if (found && b64.type() != K::string) return false;
      out.push_back(codec::base64_decode(found ? b64.get_string() : std::string_view()));
    }
    return true;
  });
}

struct json_read_state {
  uint64_t seen[2] = {0, 0};  // table entries met in this object
  uint64_t b64 = 0;           // string fields whose _b64 twin was applied
};

template <class Type>
struct json_read_entry {
  std::string key;
  std::function<bool(const json_value&, Type&, json_read_state&)> read;
};

template <class Type>
struct json_read_table {
  std::vector<json_read_entry<Type>> entries;  // sorted by key
  std::vector<std::function<void(Type&)>> resets;  // what from_json clears before it reads
  int strings = 0;
};

template <class Type, class Get>
void json_read_add(json_read_table<Type>& t, const char* name, Get get) {
  using F = std::decay_t<decltype(get(std::declval<Type&>()))>;
  if constexpr (std::is_same_v<F, std::string>) {
    // As get_bytes: the _b64 twin when it is a string, else the text when
    // it is a string, else "".
    const int bit = t.strings++;
    t.resets.push_back([get](Type& x) { get(x).clear(); });
    t.entries.push_back({name, [get, bit](const json_value& v, Type& x, json_read_state& st) {
                           if (st.b64 >> bit & 1) return true;
                           if (v.type() == json_value::kind::string) get(x).assign(v.get_string());
                           else get(x).clear();
                           return true;
                         }});
    t.entries.push_back({std::string(name) + "_b64",
                         [get, bit](const json_value& v, Type& x, json_read_state& st) {
                           if (v.type() != json_value::kind::string) return true;
                           get(x) = codec::base64_decode(v.get_string());
                           st.b64 |= uint64_t{1} << bit;
                           return true;
                         }});
  } else {
    if constexpr (std::is_same_v<F, std::vector<std::string>>)
      t.resets.push_back([get](Type& x) { get(x).clear(); });
    else if constexpr (is_optional<F>::value)
      t.resets.push_back([get](Type& x) { get(x).reset(); });
    t.entries.push_back({name, [get](const json_value& v, Type& x, json_read_state&) {
                           return json_read_field(v, get(x));
                         }});
  }
}

template <class Type>
json_read_table<Type> json_read_sorted(json_read_table<Type> t) {
  std::sort(t.entries.begin(), t.entries.end(),
            [](const json_read_entry<Type>& a, const json_read_entry<Type>& b) {
              return a.key < b.key;
            });
  return t;
}

template <class Type>
bool json_read_object(const json_value& v, Type& x, const json_read_table<Type>& t) {
  if (v.type() != json_value::kind::object || t.entries.size() > 128 || t.strings > 64)
    return false;
  for (const auto& reset : t.resets) reset(x);
  json_read_state st;
  size_t hint = 0;  // keys come sorted, as the table is: usually the next entry
  const auto& e = t.entries;
  return v.for_each_field([&](std::string_view key, const json_value& val) {
    size_t i = hint;
    if (i < e.size() && e[i].key == key) {
      // the next entry
    } else if (i + 1 < e.size() && e[i + 1].key == key) {
      ++i;  // the one after: the entry skipped is usually an absent `_b64` twin
    } else {
      auto it = std::lower_bound(e.begin(), e.end(), key,
                                 [](const json_read_entry<Type>& a, std::string_view k) {
                                   return std::string_view(a.key) < k;
                                 });
      if (it == e.end() || it->key != key) return true;  // unknown: ignored
      i = static_cast<size_t>(it - e.begin());
    }
    hint = i + 1;
    uint64_t& word = st.seen[i >> 6];
    const uint64_t bit = uint64_t{1} << (i & 63);
    if (word & bit) return false;  // a duplicate key: nlohmann keeps the last
    word |= bit;
    return e[i].read(val, x, st);
  });
}

// Decodes canonical JSON text into x without a DOM. False when the text is
// not valid JSON or takes a path json_read does not mirror: x is then partly
// written; decode the text with nlohmann into a fresh value instead.
template <class T>
bool json_read_text(std::string_view text, T& x) {
  return json_parse_read(text, [&](const json_value& v) { return json_read_value(v, x); });
}

}  // namespace casm::messages

#define CASM_PP_EXPAND(x) x
#define CASM_FE_1(m, x) m(x)
#define CASM_FE_2(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_1(m, __VA_ARGS__))
#define CASM_FE_3(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_2(m, __VA_ARGS__))
#define CASM_FE_4(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_3(m, __VA_ARGS__))
#define CASM_FE_5(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_4(m, __VA_ARGS__))
#define CASM_FE_6(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_5(m, __VA_ARGS__))
#define CASM_FE_7(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_6(m, __VA_ARGS__))
#define CASM_FE_8(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_7(m, __VA_ARGS__))
#define CASM_FE_9(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_8(m, __VA_ARGS__))
#define CASM_FE_10(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_9(m, __VA_ARGS__))
#define CASM_FE_11(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_10(m, __VA_ARGS__))
#define CASM_FE_12(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_11(m, __VA_ARGS__))
#define CASM_FE_13(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_12(m, __VA_ARGS__))
#define CASM_FE_14(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_13(m, __VA_ARGS__))
#define CASM_FE_15(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_14(m, __VA_ARGS__))
#define CASM_FE_16(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_15(m, __VA_ARGS__))
#define CASM_FE_17(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_16(m, __VA_ARGS__))
#define CASM_FE_18(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_17(m, __VA_ARGS__))
#define CASM_FE_19(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_18(m, __VA_ARGS__))
#define CASM_FE_20(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_19(m, __VA_ARGS__))
#define CASM_FE_21(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_20(m, __VA_ARGS__))
#define CASM_FE_22(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_21(m, __VA_ARGS__))
#define CASM_FE_23(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_22(m, __VA_ARGS__))
#define CASM_FE_24(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_23(m, __VA_ARGS__))
#define CASM_FE_25(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_24(m, __VA_ARGS__))
#define CASM_FE_26(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_25(m, __VA_ARGS__))
#define CASM_FE_27(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_26(m, __VA_ARGS__))
#define CASM_FE_28(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_27(m, __VA_ARGS__))
#define CASM_FE_29(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_28(m, __VA_ARGS__))
#define CASM_FE_30(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_29(m, __VA_ARGS__))
#define CASM_FE_31(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_30(m, __VA_ARGS__))
#define CASM_FE_32(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_31(m, __VA_ARGS__))
#define CASM_FE_33(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_32(m, __VA_ARGS__))
#define CASM_FE_34(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_33(m, __VA_ARGS__))
#define CASM_FE_35(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_34(m, __VA_ARGS__))
#define CASM_FE_36(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_35(m, __VA_ARGS__))
#define CASM_FE_37(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_36(m, __VA_ARGS__))
#define CASM_FE_38(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_37(m, __VA_ARGS__))
#define CASM_FE_39(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_38(m, __VA_ARGS__))
#define CASM_FE_40(m, x, ...) m(x) CASM_PP_EXPAND(CASM_FE_39(m, __VA_ARGS__))
#define CASM_FL_1(m, x) m(x)
#define CASM_FL_2(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_1(m, __VA_ARGS__))
#define CASM_FL_3(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_2(m, __VA_ARGS__))
#define CASM_FL_4(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_3(m, __VA_ARGS__))
#define CASM_FL_5(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_4(m, __VA_ARGS__))
#define CASM_FL_6(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_5(m, __VA_ARGS__))
#define CASM_FL_7(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_6(m, __VA_ARGS__))
#define CASM_FL_8(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_7(m, __VA_ARGS__))
#define CASM_FL_9(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_8(m, __VA_ARGS__))
#define CASM_FL_10(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_9(m, __VA_ARGS__))
#define CASM_FL_11(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_10(m, __VA_ARGS__))
#define CASM_FL_12(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_11(m, __VA_ARGS__))
#define CASM_FL_13(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_12(m, __VA_ARGS__))
#define CASM_FL_14(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_13(m, __VA_ARGS__))
#define CASM_FL_15(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_14(m, __VA_ARGS__))
#define CASM_FL_16(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_15(m, __VA_ARGS__))
#define CASM_FL_17(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_16(m, __VA_ARGS__))
#define CASM_FL_18(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_17(m, __VA_ARGS__))
#define CASM_FL_19(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_18(m, __VA_ARGS__))
#define CASM_FL_20(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_19(m, __VA_ARGS__))
#define CASM_FL_21(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_20(m, __VA_ARGS__))
#define CASM_FL_22(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_21(m, __VA_ARGS__))
#define CASM_FL_23(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_22(m, __VA_ARGS__))
#define CASM_FL_24(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_23(m, __VA_ARGS__))
#define CASM_FL_25(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_24(m, __VA_ARGS__))
#define CASM_FL_26(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_25(m, __VA_ARGS__))
#define CASM_FL_27(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_26(m, __VA_ARGS__))
#define CASM_FL_28(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_27(m, __VA_ARGS__))
#define CASM_FL_29(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_28(m, __VA_ARGS__))
#define CASM_FL_30(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_29(m, __VA_ARGS__))
#define CASM_FL_31(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_30(m, __VA_ARGS__))
#define CASM_FL_32(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_31(m, __VA_ARGS__))
#define CASM_FL_33(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_32(m, __VA_ARGS__))
#define CASM_FL_34(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_33(m, __VA_ARGS__))
#define CASM_FL_35(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_34(m, __VA_ARGS__))
#define CASM_FL_36(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_35(m, __VA_ARGS__))
#define CASM_FL_37(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_36(m, __VA_ARGS__))
#define CASM_FL_38(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_37(m, __VA_ARGS__))
#define CASM_FL_39(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_38(m, __VA_ARGS__))
#define CASM_FL_40(m, x, ...) m(x), CASM_PP_EXPAND(CASM_FL_39(m, __VA_ARGS__))
#define CASM_PP_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38, _39, _40, NAME, ...) NAME
#define CASM_FOR_EACH(m, ...) CASM_PP_EXPAND(CASM_PP_PICK(__VA_ARGS__, CASM_FE_40, CASM_FE_39, CASM_FE_38, CASM_FE_37, CASM_FE_36, CASM_FE_35, CASM_FE_34, CASM_FE_33, CASM_FE_32, CASM_FE_31, CASM_FE_30, CASM_FE_29, CASM_FE_28, CASM_FE_27, CASM_FE_26, CASM_FE_25, CASM_FE_24, CASM_FE_23, CASM_FE_22, CASM_FE_21, CASM_FE_20, CASM_FE_19, CASM_FE_18, CASM_FE_17, CASM_FE_16, CASM_FE_15, CASM_FE_14, CASM_FE_13, CASM_FE_12, CASM_FE_11, CASM_FE_10, CASM_FE_9, CASM_FE_8, CASM_FE_7, CASM_FE_6, CASM_FE_5, CASM_FE_4, CASM_FE_3, CASM_FE_2, CASM_FE_1)(m, __VA_ARGS__))
#define CASM_FOR_EACH_LIST(m, ...) CASM_PP_EXPAND(CASM_PP_PICK(__VA_ARGS__, CASM_FL_40, CASM_FL_39, CASM_FL_38, CASM_FL_37, CASM_FL_36, CASM_FL_35, CASM_FL_34, CASM_FL_33, CASM_FL_32, CASM_FL_31, CASM_FL_30, CASM_FL_29, CASM_FL_28, CASM_FL_27, CASM_FL_26, CASM_FL_25, CASM_FL_24, CASM_FL_23, CASM_FL_22, CASM_FL_21, CASM_FL_20, CASM_FL_19, CASM_FL_18, CASM_FL_17, CASM_FL_16, CASM_FL_15, CASM_FL_14, CASM_FL_13, CASM_FL_12, CASM_FL_11, CASM_FL_10, CASM_FL_9, CASM_FL_8, CASM_FL_7, CASM_FL_6, CASM_FL_5, CASM_FL_4, CASM_FL_3, CASM_FL_2, CASM_FL_1)(m, __VA_ARGS__))

#define CASM_JSON_PUT_FIELD(field) ::casm::messages::json_put(j, #field, x.field);
#define CASM_JSON_GET_FIELD(field) ::casm::messages::json_get(j, #field, x.field);
#define CASM_JSON_READ_FIELD(field)                                               \
  ::casm::messages::json_read_add<casm_self>(                                     \
    table, #field, [](casm_self& v) -> auto& { return v.field; });
#define CASM_JSON_TABLE_FIELD(field)                                              \
  ::casm::messages::json_add_field<casm_self>(                                    \
    fields, #field, [](const casm_self& v) -> const auto& { return v.field; });

// Declares to_json/from_json (nlohmann), json_write (the same text,
// streamed) and json_read (the same decoding, from simdjson's DOM) for `Type`
// from its field list.
#define CASM_JSON(Type, ...)                                             \
  inline void to_json(nlohmann::json& j, const Type& x) {                \
    j = nlohmann::json::object();                                        \
    CASM_FOR_EACH(CASM_JSON_PUT_FIELD, __VA_ARGS__)                      \
  }                                                                      \
  inline void from_json(const nlohmann::json& j, Type& x) {              \
    CASM_FOR_EACH(CASM_JSON_GET_FIELD, __VA_ARGS__)                      \
  }                                                                      \
  inline void json_write(std::string& out, const Type& x) {              \
    using casm_self = Type;                                              \
    static const auto table = [] {                                       \
      std::vector<::casm::messages::json_field<casm_self>> fields;       \
      CASM_FOR_EACH(CASM_JSON_TABLE_FIELD, __VA_ARGS__)                  \
      return ::casm::messages::json_sorted(std::move(fields));           \
    }();                                                                 \
    ::casm::messages::json_write_object(out, x, table);                  \
  }                                                                      \
  inline bool json_read(const ::casm::messages::json_value& v, Type& x) {  \
    using casm_self = Type;                                              \
    static const auto table = [] {                                       \
      ::casm::messages::json_read_table<casm_self> table;                \
      CASM_FOR_EACH(CASM_JSON_READ_FIELD, __VA_ARGS__)                   \
      return ::casm::messages::json_read_sorted(std::move(table));       \
    }();                                                                 \
    return ::casm::messages::json_read_object(v, x, table);              \
  }

