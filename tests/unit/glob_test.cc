#include <gtest/gtest.h>

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

}  // namespace
}  // namespace casm::policy
