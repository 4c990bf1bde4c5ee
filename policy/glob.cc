#include "policy/glob.h"

#include <fnmatch.h>

#include <map>

namespace casm::policy {
namespace {

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/') {
      if (i > start) out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// `path` split at '/' into `out` (cleared first), empty pieces dropped.
void split_path(std::string_view path, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (i > start) out.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
}

// Scratch space for split paths: no allocation per match once warm.
std::vector<std::string_view>& scratch(int which) {
  thread_local std::vector<std::string_view> parts[2];
  return parts[which];
}

// True when `s` has none of fnmatch's special characters and only ASCII
// bytes: fnmatch then compares it byte for byte in every locale.
bool plain_ascii(std::string_view s) {
  for (char c : s)
    if (c == '*' || c == '?' || c == '[' || c == '\\' || static_cast<unsigned char>(c) >= 0x80)
      return false;
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::optional<glob> glob::compile(std::string_view pattern, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<glob> {
    if (error) *error = "bad glob '" + std::string(pattern) + "': " + why;
    return std::nullopt;
  };
  if (pattern.empty()) return fail("it is empty");
  if (pattern[0] == '!') return fail("negation ('!') is not supported in this list");
  int depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size()) return fail("it ends with a lone backslash");
      ++i;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']' && depth > 0) {
      --depth;
    }
  }
  if (depth != 0) return fail("a '[' character class is not closed");

  glob g;
  g.pattern_ = std::string(pattern);
  std::string_view body = pattern;
  const bool anchored = body.front() == '/';
  const bool dir_only = body.back() == '/';
  const bool has_inner_slash = body.substr(0, body.size() - (dir_only ? 1 : 0)).find('/') !=
                               std::string_view::npos;
  auto names = split(body);
  if (names.empty()) return fail("it has no name, only slashes");
  for (auto& seg : names)
    if (seg.find("**") != std::string::npos && seg != "**") seg = "*";  // gitignore: like '*'
  if (!anchored && !has_inner_slash) names.insert(names.begin(), "**");
  if (dir_only) names.push_back("**");

  using kind = segment::kind;
  for (auto& name : names) {
    segment s;
    const std::string_view n = name;
    if (n == "**") {
      s.k = kind::globstar;
    } else if (n == "*") {
      s.k = kind::any;
    } else if (plain_ascii(n)) {
      s.k = kind::literal;
      s.text = name;
    } else if (n.size() > 2 && n.front() == '*' && n.back() == '*' &&
               plain_ascii(n.substr(1, n.size() - 2))) {
      s.k = kind::contains;
      s.text = std::string(n.substr(1, n.size() - 2));
    } else if (n.front() == '*' && plain_ascii(n.substr(1))) {
      s.k = kind::suffix;
      s.text = std::string(n.substr(1));
    } else if (n.back() == '*' && plain_ascii(n.substr(0, n.size() - 1))) {
      s.k = kind::prefix;
      s.text = std::string(n.substr(0, n.size() - 1));
    } else {
      s.k = kind::pattern;
      s.text = name;
    }
    if (s.k == kind::globstar) g.last_globstar_ = g.segments_.size();
    g.segments_.push_back(std::move(s));
  }
  return g;
}

bool glob::match_from(size_t pi, const std::vector<std::string_view>& path, size_t si) const {
  using kind = segment::kind;
  while (pi < segments_.size()) {
    const segment& seg = segments_[pi];
    if (seg.k == kind::globstar) {
      if (pi + 1 == segments_.size()) return si < path.size();  // something inside
      if (pi == last_globstar_) {
        // No `**` after this one: the rest must match the path's last
        // segments exactly, so only one split point can.
        const size_t rest = segments_.size() - pi - 1;
        if (path.size() < rest || path.size() - rest < si) return false;
        pi += 1;
        si = path.size() - rest;
        continue;
      }
      for (size_t k = si; k <= path.size(); ++k)
        if (match_from(pi + 1, path, k)) return true;
      return false;
    }
    if (si >= path.size()) return false;
    const std::string_view name = path[si];
    bool ok = false;
    switch (seg.k) {
      case kind::any: ok = true; break;
      case kind::literal: ok = name == seg.text; break;
      case kind::prefix: ok = name.substr(0, seg.text.size()) == seg.text; break;
      case kind::suffix: ok = ends_with(name, seg.text); break;
      case kind::contains: ok = name.find(seg.text) != std::string_view::npos; break;
      case kind::pattern:
      case kind::globstar: {
        // fnmatch wants a C string.
        char small[256];
        std::string large;
        const char* c_name = small;
        if (name.size() < sizeof small) {
          name.copy(small, name.size());
          small[name.size()] = '\0';
        } else {
          large = std::string(name);
          c_name = large.c_str();
        }
        ok = fnmatch(seg.text.c_str(), c_name, 0) == 0;
        break;
      }
    }
    if (!ok) return false;
    ++pi;
    ++si;
  }
  return si == path.size();
}

bool glob::matches_parts(const std::vector<std::string_view>& parts) const {
  return match_from(0, parts, 0);
}

bool glob::matches(std::string_view path) const {
  auto& parts = scratch(0);
  split_path(path, parts);
  return matches_parts(parts);
}

std::optional<glob_set> glob_set::compile(const std::vector<std::string>& patterns,
                                          std::string* error, size_t* bad_index) {
  glob_set set;
  for (size_t i = 0; i < patterns.size(); ++i) {
    auto g = glob::compile(patterns[i], error);
    if (!g) {
      if (bad_index) *bad_index = i;
      return std::nullopt;
    }
    set.globs_.push_back(std::move(*g));
  }
  return set;
}

bool glob_set::matches(std::string_view path) const { return first_match(path) != nullptr; }

const glob* glob_set::first_match(std::string_view path) const {
  const int i = first_match_index(path);
  return i < 0 ? nullptr : &globs_[static_cast<size_t>(i)];
}

int glob_set::first_match_index(std::string_view path, std::string_view old_path) const {
  if (globs_.empty()) return -1;
  auto& parts = scratch(0);
  auto& old_parts = scratch(1);
  split_path(path, parts);
  const bool with_old = !old_path.empty();
  if (with_old) split_path(old_path, old_parts);
  for (size_t i = 0; i < globs_.size(); ++i) {
    if (globs_[i].matches_parts(parts)) return static_cast<int>(i);
    if (with_old && globs_[i].matches_parts(old_parts)) return static_cast<int>(i);
  }
  return -1;
}

std::shared_ptr<const glob_set> compiled_glob_set(const std::vector<std::string>& patterns,
                                                  std::string* error) {
  // Per thread, so no lock: a CAF worker never waits here. A handful of
  // lists in practice; the bound only stops a pathological caller.
  thread_local std::map<std::vector<std::string>, std::shared_ptr<const glob_set>> memo;
  if (auto it = memo.find(patterns); it != memo.end()) return it->second;
  auto set = glob_set::compile(patterns, error);
  if (!set) return nullptr;
  if (memo.size() >= 64) memo.clear();
  auto shared = std::make_shared<const glob_set>(std::move(*set));
  memo.emplace(patterns, shared);
  return shared;
}

}  // namespace casm::policy
