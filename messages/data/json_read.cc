#include "messages/data/json_read.h"
#include "messages/data/json_parse.h"

#include <cstring>
#include <optional>
#include <type_traits>

#include <simdjson.h>

namespace casm::messages {

namespace dom = simdjson::dom;

static_assert(sizeof(dom::element) == sizeof(json_value::raw) &&
                std::is_trivially_copyable_v<dom::element>,
              "json_value holds a simdjson::dom::element bytewise");

namespace {

// One simdjson value as the nlohmann value nlohmann's parser makes of the
// same text.
void to_nlohmann(const dom::element& e, nlohmann::json& out) {
  switch (e.type()) {
    case dom::element_type::ARRAY: {
      out = nlohmann::json::array();
      auto& arr = out.get_ref<nlohmann::json::array_t&>();
      dom::array a;
      if (e.get_array().get(a)) return;
      arr.reserve(a.size());
      for (dom::element x : a) to_nlohmann(x, arr.emplace_back());
      return;
    }
    case dom::element_type::OBJECT: {
      out = nlohmann::json::object();
      auto& obj = out.get_ref<nlohmann::json::object_t&>();
      dom::object o;
      if (e.get_object().get(o)) return;
      for (dom::key_value_pair kv : o) {
        // Keys usually come sorted: insert at the end; a repeated key is
        // overwritten, as nlohmann's parser does.
        auto it = obj.emplace_hint(obj.end(), std::string(kv.key), nullptr);
        to_nlohmann(kv.value, it->second);
      }
      return;
    }
    case dom::element_type::INT64: {
      const int64_t v = e.get_int64().value_unsafe();
      if (v >= 0) out = static_cast<uint64_t>(v);
      else out = v;
      return;
    }
    case dom::element_type::UINT64: out = e.get_uint64().value_unsafe(); return;
    case dom::element_type::DOUBLE: out = e.get_double().value_unsafe(); return;
    case dom::element_type::STRING: out = std::string(e.get_string().value_unsafe()); return;
    case dom::element_type::BOOL: out = e.get_bool().value_unsafe(); return;
    case dom::element_type::NULL_VALUE: out = nullptr; return;
  }
}

dom::element el(const json_value& v) {
  dom::element e;
  std::memcpy(static_cast<void*>(&e), v.raw, sizeof v.raw);
  return e;
}

json_value wrap(const dom::element& e) {
  json_value v;
  std::memcpy(v.raw, static_cast<const void*>(&e), sizeof v.raw);
  return v;
}

}  // namespace

json_value::kind json_value::type() const {
  switch (el(*this).type()) {
    case dom::element_type::ARRAY: return kind::array;
    case dom::element_type::OBJECT: return kind::object;
    case dom::element_type::INT64: return kind::int64;
    case dom::element_type::UINT64: return kind::uint64;
    case dom::element_type::DOUBLE: return kind::number;
    case dom::element_type::STRING: return kind::string;
    case dom::element_type::BOOL: return kind::boolean;
    case dom::element_type::NULL_VALUE: return kind::null;
  }
  return kind::null;
}

bool json_value::get_bool() const { return el(*this).get_bool().value_unsafe(); }
int64_t json_value::get_int64() const { return el(*this).get_int64().value_unsafe(); }
uint64_t json_value::get_uint64() const { return el(*this).get_uint64().value_unsafe(); }
double json_value::get_double() const { return el(*this).get_double().value_unsafe(); }
std::string_view json_value::get_string() const {
  return el(*this).get_string().value_unsafe();
}

// The caller checked type(), so get() does not fail here.
size_t json_value::array_size() const {
  dom::array a;
  if (el(*this).get_array().get(a)) return 0;
  return a.size();
}

bool json_value::fields_impl(bool (*fn)(void*, std::string_view, const json_value&),
                             void* ctx) const {
  dom::object o;
  if (el(*this).get_object().get(o)) return true;
  for (dom::key_value_pair kv : o)
    if (!fn(ctx, kv.key, wrap(kv.value))) return false;
  return true;
}

bool json_value::elements_impl(bool (*fn)(void*, const json_value&), void* ctx) const {
  dom::array a;
  if (el(*this).get_array().get(a)) return true;
  for (dom::element e : a)
    if (!fn(ctx, wrap(e))) return false;
  return true;
}

bool json_parse_fast(std::string_view text, nlohmann::json& out) {
  return json_parse_read(text, [&](const json_value& v) {
    to_nlohmann(el(v), out);
    return true;
  });
}

bool json_parse_read_impl(std::string_view text, bool (*read)(void*, const json_value&),
                          void* ctx) {
  // One parser per thread, reused (its buffers grow to the largest text);
  // a read that parses again inside (none does today) gets its own.
  thread_local dom::parser shared;
  thread_local bool busy = false;
  std::optional<dom::parser> own;
  dom::parser* p = &shared;
  if (busy) p = &own.emplace();
  else busy = true;
  struct release {
    bool mine;
    ~release() {
      if (mine) busy = false;
    }
  } r{p == &shared};
  // realloc_if_needed: simdjson copies the text into its padded buffer.
  auto doc = p->parse(text.data(), text.size(), /*realloc_if_needed=*/true);
  if (doc.error()) return false;
  return read(ctx, wrap(doc.value_unsafe()));
}

}  // namespace casm::messages
