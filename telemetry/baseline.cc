#include "telemetry/baseline.h"

#include <algorithm>
#include <tuple>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

using codec::json;

namespace {

// Errors never quote the file's bytes: a file passed as --baseline by
// mistake (a .env, credentials.json) may hold secrets.

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

size_t line_at(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

size_t line_of_key(std::string_view text, std::string_view key) {
  const size_t pos = text.find("\"" + std::string(key) + "\"");
  return pos == std::string_view::npos ? 1 : line_at(text, pos);
}

// The line where element `k` (0-based) of the root object's "fingerprints"
// array starts, found with a small tokenizer because nlohmann keeps no
// positions for values. 1 when it cannot tell.
size_t element_line(std::string_view text, size_t k) {
  int depth = 0;
  size_t line = 1, count = 0;
  bool in_array = false, expect = false;
  std::string last_string;
  auto element_starts = [&]() {
    if (!(in_array && depth == 2 && expect)) return false;
    expect = false;
    return count++ == k;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c != ']' && element_starts()) return line;
    if (c == '"') {
      std::string s;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
        else if (text[i] == '\n') ++line;
        else s += text[i];
      }
      last_string = std::move(s);
    } else if (c == '{' || c == '[') {
      ++depth;
      if (c == '[' && depth == 2 && last_string == "fingerprints") in_array = expect = true;
    } else if (c == '}' || c == ']') {
      if (depth == 2) in_array = false;
      --depth;
    } else if (c == ',' && in_array && depth == 2) {
      expect = true;
    }
  }
  return 1;
}

std::string line_error(size_t line, const std::string& what) {
  return "line " + std::to_string(line) + ": " + what;
}

std::set<std::string> parse_json(std::string_view text, std::string* error) {
  auto fail = [&](size_t line, const std::string& what) {
    if (error) *error = line_error(line, what);
    return std::set<std::string>{};
  };
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return fail(line_at(text, e.byte > 0 ? e.byte - 1 : 0),
                "the baseline is not valid JSON");
  }
  if (!doc.is_object() || !doc.contains("casm_baseline"))
    return fail(1, "a JSON baseline must be an object with \"casm_baseline\": 1");
  if (doc["casm_baseline"] != 1)
    return fail(line_of_key(text, "casm_baseline"),
                "casm_baseline must be 1, the only version this casm reads");
  auto it = doc.find("fingerprints");
  if (it == doc.end() || !it->is_array())
    return fail(it == doc.end() ? 1 : line_of_key(text, "fingerprints"),
                "a JSON baseline needs a \"fingerprints\" array");
  std::set<std::string> out;
  for (size_t k = 0; k < it->size(); ++k) {
    const json& e = (*it)[k];
    const json* fp = &e;
    if (e.is_object()) {
      auto f = e.find("fingerprint");
      fp = f == e.end() ? nullptr : &*f;
    }
    if (!fp || !fp->is_string() || !is_fingerprint(fp->get_ref<const std::string&>()))
      return fail(element_line(text, k), "entry " + std::to_string(k + 1) +
                                             " of \"fingerprints\" has no 64-hex-digit "
                                             "\"fingerprint\"");
    out.insert(lower(fp->get_ref<const std::string&>()));
  }
  return out;
}

std::set<std::string> parse_plain(std::string_view text, std::string* error) {
  std::set<std::string> out;
  size_t line_no = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty()) continue;
    if (!is_fingerprint(line)) {
      if (error)
        *error = line_error(line_no,
                            "expected one 64-hex-digit fingerprint (a plain baseline holds one "
                            "per line; '#' starts a comment)");
      return {};
    }
    out.insert(lower(line));
  }
  return out;
}

}  // namespace

bool is_fingerprint(std::string_view text) {
  if (text.size() != 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string render_baseline(const std::vector<messages::finding>& findings) {
  std::vector<const messages::finding*> order;
  for (const auto& f : findings) order.push_back(&f);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return std::tie(a->path, a->rule_id, a->fingerprint) <
           std::tie(b->path, b->rule_id, b->fingerprint);
  });
  std::string out = "{\n  \"casm_baseline\": 1,\n  \"fingerprints\": [";
  const messages::finding* previous = nullptr;
  for (const auto* f : order) {
    if (previous && previous->fingerprint == f->fingerprint) continue;
    json e = json::object();
    e["fingerprint"] = f->fingerprint;
    e["rule_id"] = f->rule_id;
    codec::put_bytes(e, "path", f->path);
    out += previous ? ",\n    " : "\n    ";
    out += e.dump();
    previous = f;
  }
  out += previous ? "\n  ]\n}\n" : "]\n}\n";
  return out;
}

std::set<std::string> parse_baseline(std::string_view text, std::string* error) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 BOM
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return parse_json(text, error);
  return parse_plain(text, error);
}

}  // namespace casm::telemetry
