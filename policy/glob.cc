#include "policy/glob.h"

#include <fnmatch.h>

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

bool match_segments(const std::vector<std::string>& pat, size_t pi,
                    const std::vector<std::string_view>& path, size_t si) {
  while (pi < pat.size()) {
    if (pat[pi] == "**") {
      if (pi + 1 == pat.size()) return si < path.size();  // something inside
      for (size_t k = si; k <= path.size(); ++k)
        if (match_segments(pat, pi + 1, path, k)) return true;
      return false;
    }
    if (si >= path.size()) return false;
    std::string name(path[si]);
    if (fnmatch(pat[pi].c_str(), name.c_str(), 0) != 0) return false;
    ++pi;
    ++si;
  }
  return si == path.size();
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
  g.segments_ = split(body);
  if (g.segments_.empty()) return fail("it has no name, only slashes");
  for (auto& seg : g.segments_)
    if (seg.find("**") != std::string::npos && seg != "**") seg = "*";  // gitignore: like '*'
  if (!anchored && !has_inner_slash) g.segments_.insert(g.segments_.begin(), "**");
  if (dir_only) g.segments_.push_back("**");
  return g;
}

bool glob::matches(std::string_view path) const {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (i > start) parts.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  return match_segments(segments_, 0, parts, 0);
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
  for (const auto& g : globs_)
    if (g.matches(path)) return &g;
  return nullptr;
}

}  // namespace casm::policy
