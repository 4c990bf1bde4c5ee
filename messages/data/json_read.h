// A parsed JSON document that the messages' generated readers walk (the
// mirror of json_write: canonical text straight into the structs, no
// nlohmann DOM). The parser is simdjson's DOM API, which validates the whole
// text (UTF-8 included); its header stays in json_read.cc.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace casm::messages {

// One value of a document parsed by json_parse_read; valid only inside it.
class json_value {
public:
  enum class kind : uint8_t { null, boolean, int64, uint64, number, string, array, object };

  kind type() const;
  bool get_bool() const;        // type() == boolean
  int64_t get_int64() const;    // type() == int64
  uint64_t get_uint64() const;  // type() == uint64
  double get_double() const;    // int64, uint64 or number
  std::string_view get_string() const;  // type() == string (unescaped)

  // Calls f(key, value) for each member in text order (keys unescaped);
  // stops and returns false as soon as f does. type() == object.
  template <class F>
  bool for_each_field(F&& f) const {
    return fields_impl(
      [](void* c, std::string_view k, const json_value& v) { return (*static_cast<F*>(c))(k, v); },
      &f);
  }
  // Calls f(value) for each element; stops and returns false when f does.
  template <class F>
  bool for_each_element(F&& f) const {
    return elements_impl([](void* c, const json_value& v) { return (*static_cast<F*>(c))(v); },
                         &f);
  }
  size_t array_size() const;

  // simdjson's element handle, copied bytewise (json_read.cc checks the size).
  alignas(8) unsigned char raw[16];

private:
  bool fields_impl(bool (*fn)(void*, std::string_view, const json_value&), void* ctx) const;
  bool elements_impl(bool (*fn)(void*, const json_value&), void* ctx) const;
};

// Parses `text` and calls read(root). False when `text` is not one valid
// JSON value (trailing bytes, bad UTF-8, too deep, a number out of range) or
// read returned false.
bool json_parse_read_impl(std::string_view text, bool (*read)(void*, const json_value&), void* ctx);
template <class F>
bool json_parse_read(std::string_view text, F&& read) {
  return json_parse_read_impl(
    text, [](void* c, const json_value& v) { return (*static_cast<F*>(c))(v); }, &read);
}

}  // namespace casm::messages
