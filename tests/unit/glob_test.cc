#include <gtest/gtest.h>

#include <fnmatch.h>

#include "policy/glob.h"

namespace casm::policy {
namespace {

bool m(const char* pattern, const char* path) {
  std::string error;
  auto g = glob::compile(pattern, &error);
  EXPECT_TRUE(g) << error;
  return g && g->matches(path);
}

TEST(Glob, DoubleStarSlashMatchesZeroOrMoreDirectories) {
  EXPECT_TRUE(m("**/auth/**", "auth/x.js"));
  EXPECT_TRUE(m("**/auth/**", "src/auth/login.js"));
  EXPECT_TRUE(m("**/auth/**", "a/b/auth/c/d.js"));
  EXPECT_FALSE(m("**/auth/**", "src/oauth/login.js"));
  EXPECT_FALSE(m("**/auth/**", "auth"));  // a file named auth is not inside auth/
}

TEST(Glob, AnchoredPatternsWithSlash) {
  EXPECT_TRUE(m(".github/workflows/**", ".github/workflows/ci.yml"));
  EXPECT_FALSE(m(".github/workflows/**", "sub/.github/workflows/ci.yml"));
  EXPECT_TRUE(m("docker/**", "docker/Dockerfile.dev"));
  EXPECT_FALSE(m("docker/**", "src/docker/x"));
  EXPECT_TRUE(m("/package.json", "package.json"));
  EXPECT_FALSE(m("/package.json", "web/package.json"));
}

TEST(Glob, NamesWithoutSlashMatchAtAnyDepth) {
  EXPECT_TRUE(m("Dockerfile", "Dockerfile"));
  EXPECT_TRUE(m("Dockerfile", "svc/api/Dockerfile"));
  EXPECT_FALSE(m("Dockerfile", "svc/Dockerfile.dev"));
  EXPECT_TRUE(m("package.json", "packages/web/package.json"));
}

TEST(Glob, StarsDoNotCrossSlashes) {
  EXPECT_TRUE(m("**/*.tf", "main.tf"));
  EXPECT_TRUE(m("**/*.tf", "infra/prod/main.tf"));
  EXPECT_FALSE(m("src/*.js", "src/a/b.js"));
  EXPECT_TRUE(m("src/*.js", "src/b.js"));
  EXPECT_TRUE(m("**/.env*", ".env"));
  EXPECT_TRUE(m("**/.env*", "app/.env.production"));
  EXPECT_TRUE(m("src/?.c", "src/a.c"));
  EXPECT_TRUE(m("src/[ab].c", "src/b.c"));
  EXPECT_FALSE(m("src/[ab].c", "src/c.c"));
}

TEST(Glob, TrailingSlashMeansEverythingInside) {
  EXPECT_TRUE(m("vendor/", "vendor/lib/a.go"));
  EXPECT_TRUE(m("vendor/", "x/vendor/lib/a.go"));
  EXPECT_FALSE(m("vendor/", "vendor"));
}

TEST(Glob, BadPatternsAreRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(glob::compile("src/[abc", &error));
  EXPECT_NE(error.find("not closed"), std::string::npos);
  EXPECT_FALSE(glob::compile("", &error));
  EXPECT_FALSE(glob::compile("!keep.txt", &error));
  EXPECT_NE(error.find("negation"), std::string::npos);
  EXPECT_FALSE(glob::compile("a\\", &error));
}

TEST(Glob, SetReportsTheBadIndex) {
  std::string error;
  size_t bad = 99;
  EXPECT_FALSE(glob_set::compile({"a/**", "b/[x", "c"}, &error, &bad));
  EXPECT_EQ(bad, 1u);
  auto ok = glob_set::compile({"**/auth/**", "Dockerfile"}, &error);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->first_match("api/Dockerfile")->pattern(), "Dockerfile");
  EXPECT_EQ(ok->first_match("src/x.c"), nullptr);
}


// The matcher before its fast paths, kept here as the reference: split the
// pattern as compile() does, fnmatch every segment, try every split for `**`.
bool reference_segments(const std::vector<std::string>& pat, size_t pi,
                        const std::vector<std::string>& path, size_t si) {
  while (pi < pat.size()) {
    if (pat[pi] == "**") {
      if (pi + 1 == pat.size()) return si < path.size();
      for (size_t k = si; k <= path.size(); ++k)
        if (reference_segments(pat, pi + 1, path, k)) return true;
      return false;
    }
    if (si >= path.size()) return false;
    if (fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
    ++pi;
    ++si;
  }
  return si == path.size();
}

std::vector<std::string> pieces(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '/') {
      if (i > start) out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

bool reference(std::string_view pattern, std::string_view path) {
  const bool anchored = pattern.front() == '/';
  const bool dir_only = pattern.back() == '/';
  const bool inner = pattern.substr(0, pattern.size() - (dir_only ? 1 : 0)).find('/') !=
                     std::string_view::npos;
  auto pat = pieces(pattern);
  for (auto& seg : pat)
    if (seg.find("**") != std::string::npos && seg != "**") seg = "*";
  if (!anchored && !inner) pat.insert(pat.begin(), "**");
  if (dir_only) pat.push_back("**");
  return reference_segments(pat, 0, pieces(path), 0);
}

const std::vector<std::string> sample_patterns = {
  "**/auth/**", "**/*.tf", "*.pem", "**/.env*", ".github/workflows/**", "/package.json",
  "package.json", "Dockerfile", "src/*.js", "src/?.c", "src/[ab].c", "vendor/", "**/*key*",
  "id_rsa*", "**/secrets/**/*.yaml", "a/**/b/**/c", "**", "*", "x**y/z", "*.[ch]",
  "**/test_*.py", "\\*.md", "caf\xc3\xa9/*", "*\xc3\xa9", "docs/**/*.md", "a*b*c"};
const std::vector<std::string> sample_paths = {
  "auth/x.js", "src/auth/login.js", "src/oauth/login.js", "auth", "main.tf", "infra/prod/main.tf",
  "a.pem", "certs/server.pem", "pem", ".env", "app/.env.production", ".github/workflows/ci.yml",
  "sub/.github/workflows/ci.yml", "package.json", "web/package.json", "svc/Dockerfile",
  "svc/Dockerfile.dev", "src/b.js", "src/a/b.js", "src/a.c", "src/c.c", "vendor/lib/a.go",
  "vendor", "x/vendor/lib/a.go", "home/.ssh/id_rsa.pub", "my-api-key.txt", "keys/k",
  "deploy/secrets/prod/db.yaml", "deploy/secrets/db.yaml", "a/b/c", "a/x/b/y/c", "a/b/x/c/d",
  "xy/z", "x/z", "lib/util.h", "tests/test_glob.py", "*.md", "README.md", "caf\xc3\xa9/x",
  "r\xc3\xa9sum\xc3\xa9", "docs/a/b/c.md", "docs/c.md", "abc", "aXbYc", "ab", "//a//b//",
  "a/b/c/d/e/f/g/h/auth/i"};

TEST(Glob, FastPathsMatchWhatFnmatchDoes) {
  for (const auto& p : sample_patterns) {
    std::string error;
    auto g = glob::compile(p, &error);
    ASSERT_TRUE(g) << error;
    for (const auto& path : sample_paths)
      EXPECT_EQ(g->matches(path), reference(p, path)) << "pattern " << p << ", path " << path;
  }
}

TEST(Glob, FirstMatchIndexTriesThePathThenTheOldPathPerPattern) {
  std::string error;
  auto set = glob_set::compile({"**/auth/**", "*.pem", "docs/**"}, &error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->first_match_index("src/auth/a.js"), 0);
  EXPECT_EQ(set->first_match_index("a.pem"), 1);
  EXPECT_EQ(set->first_match_index("x.txt"), -1);
  // Renamed from docs/ to a .pem: pattern 1 matches the new path first.
  EXPECT_EQ(set->first_match_index("k.pem", "docs/k.txt"), 1);
  // Renamed out of auth/: the old path matches pattern 0.
  EXPECT_EQ(set->first_match_index("k.pem", "auth/k.pem"), 0);
  EXPECT_EQ(set->first_match_index("x.txt", "docs/x.txt"), 2);
  EXPECT_EQ(set->first_match_index("x.txt", ""), -1);
}

TEST(Glob, CompiledSetsAreRememberedPerListAndNeverStale) {
  std::string error;
  const std::vector<std::string> a = {"**/auth/**", "*.pem"};
  const std::vector<std::string> b = {"**/auth/**", "*.key"};
  auto first = compiled_glob_set(a, &error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(compiled_glob_set(a, &error), first);  // the same list: compiled once
  auto other = compiled_glob_set(b, &error);
  ASSERT_TRUE(other) << error;
  EXPECT_NE(other, first);
  auto uncached_a = glob_set::compile(a, &error);
  auto uncached_b = glob_set::compile(b, &error);
  ASSERT_TRUE(uncached_a && uncached_b);
  for (const auto& path : sample_paths) {
    EXPECT_EQ(first->first_match_index(path), uncached_a->first_match_index(path)) << path;
    EXPECT_EQ(other->first_match_index(path), uncached_b->first_match_index(path)) << path;
  }
  EXPECT_TRUE(first->matches("x.pem"));
  EXPECT_FALSE(other->matches("x.pem"));
  EXPECT_TRUE(other->matches("x.key"));
  // A bad list is refused every time, not remembered as empty.
  EXPECT_FALSE(compiled_glob_set({"ok/**", "bad/[x"}, &error));
  EXPECT_NE(error.find("not closed"), std::string::npos);
  EXPECT_FALSE(compiled_glob_set({"ok/**", "bad/[x"}, &error));
  // Many lists: the memo's bound does not lose correctness.
  for (int i = 0; i < 200; ++i) {
    auto set = compiled_glob_set({"dir" + std::to_string(i) + "/**"}, &error);
    ASSERT_TRUE(set);
    EXPECT_TRUE(set->matches("dir" + std::to_string(i) + "/x"));
    EXPECT_FALSE(set->matches("dir" + std::to_string(i + 1) + "/x"));
  }
  EXPECT_TRUE(compiled_glob_set(a, &error)->matches("x.pem"));
}

}  // namespace
}  // namespace casm::policy
