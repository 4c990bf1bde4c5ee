#include "messages/codec/json_diff.h"

#include <algorithm>

namespace casm::codec {

using nlohmann::json;

namespace {

// RFC 6901: '~' is "~0" and '/' is "~1" inside a reference token.
std::string token(const std::string& key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

void walk(const json& e, const json& a, const std::string& at, size_t limit,
          std::vector<json_difference>& out) {
  if (out.size() >= limit) return;
  if (e.is_object() && a.is_object()) {
    // Both are sorted by key: merge.
    auto ie = e.begin(), ia = a.begin();
    while ((ie != e.end() || ia != a.end()) && out.size() < limit) {
      if (ia == a.end() || (ie != e.end() && ie.key() < ia.key())) {
        out.push_back({at + "/" + token(ie.key()), *ie, std::nullopt});
        ++ie;
      } else if (ie == e.end() || ia.key() < ie.key()) {
        out.push_back({at + "/" + token(ia.key()), std::nullopt, *ia});
        ++ia;
      } else {
        walk(*ie, *ia, at + "/" + token(ie.key()), limit, out);
        ++ie;
        ++ia;
      }
    }
    return;
  }
  if (e.is_array() && a.is_array()) {
    const size_t n = std::max(e.size(), a.size());
    for (size_t i = 0; i < n && out.size() < limit; ++i) {
      const std::string p = at + "/" + std::to_string(i);
      if (i >= a.size()) out.push_back({p, e[i], std::nullopt});
      else if (i >= e.size()) out.push_back({p, std::nullopt, a[i]});
      else walk(e[i], a[i], p, limit, out);
    }
    return;
  }
  if (e != a) out.push_back({at, e, a});
}

}  // namespace

std::vector<json_difference> json_diff(const json& expected, const json& actual, size_t limit) {
  std::vector<json_difference> out;
  walk(expected, actual, "", limit, out);
  return out;
}

json to_json(const std::vector<json_difference>& diff) {
  json out = json::array();
  for (const auto& d : diff) {
    json j{{"pointer", d.pointer}};
    if (d.expected) j["expected"] = *d.expected;
    if (d.actual) j["actual"] = *d.actual;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace casm::codec
