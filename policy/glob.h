// Path globs with gitignore semantics (DESIGN.md, Conventions: Ruleset
// details), matched against repository-relative paths with '/' separators.
//
//  - `*` and `?` never match '/'; `[...]` is a character class;
//  - `**/` matches zero or more directories (so `**/auth/**` matches
//    `auth/x`), a trailing `/**` matches everything inside a directory;
//  - a pattern with no '/' (other than a trailing one) matches the file or
//    directory name at any depth: `Dockerfile` matches `svc/Dockerfile`;
//  - a leading '/' anchors the pattern at the root; a trailing '/' matches
//    everything inside that directory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace casm::policy {

class glob {
public:
  // Compiles `pattern`. On a bad pattern returns nullopt and sets `error` to
  // one sentence naming the problem.
  static std::optional<glob> compile(std::string_view pattern, std::string* error);

  bool matches(std::string_view path) const;
  const std::string& pattern() const { return pattern_; }

private:
  friend class glob_set;

  // One '/'-separated piece of the pattern. Most are matched without
  // fnmatch: a literal name, `*`, `*.ext`, `prefix*`, `*part*` (ASCII only,
  // so byte comparison is what fnmatch does in any locale).
  struct segment {
    enum class kind : uint8_t { globstar, any, literal, prefix, suffix, contains, pattern };
    kind k = kind::pattern;
    std::string text;  // the literal part, or the fnmatch pattern
  };

  // `parts`: the path split at '/', empty pieces dropped.
  bool matches_parts(const std::vector<std::string_view>& parts) const;
  bool match_from(size_t pi, const std::vector<std::string_view>& parts, size_t si) const;

  std::string pattern_;
  std::vector<segment> segments_;
  size_t last_globstar_ = SIZE_MAX;  // index of the last `**` segment, if any
};

// Several globs; matches if any does.
class glob_set {
public:
  // Compiles every pattern; the first bad one is reported with its index.
  static std::optional<glob_set> compile(const std::vector<std::string>& patterns,
                                         std::string* error, size_t* bad_index = nullptr);
  bool matches(std::string_view path) const;
  // The first pattern that matches, or nullptr.
  const glob* first_match(std::string_view path) const;
  // The index of the first pattern that matches `path` or, when it is not
  // empty, `old_path` (both are tried against one pattern before the next),
  // or -1.
  int first_match_index(std::string_view path, std::string_view old_path = {}) const;
  bool empty() const { return globs_.empty(); }
  size_t size() const { return globs_.size(); }

private:
  std::vector<glob> globs_;
};

// glob_set::compile(patterns), remembered per thread: the engine plans with
// the same few pattern lists (a ruleset's, a manifest's) run after run, and
// replay starts thousands of engines. Keyed by the patterns themselves, so a
// different list never gets another's globs. nullptr and `error` set when a
// pattern does not compile (not remembered).
std::shared_ptr<const glob_set> compiled_glob_set(const std::vector<std::string>& patterns,
                                                  std::string* error);

}  // namespace casm::policy
