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
  std::string pattern_;
  std::vector<std::string> segments_;
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
  bool empty() const { return globs_.empty(); }

private:
  std::vector<glob> globs_;
};

}  // namespace casm::policy
