// The pool of opened repositories (actors/agents/git_access.h): a handle
// given back serves the next lease of the same repository, leases are
// exclusive, a discarded lease is closed, and a pooled handle never shows a
// stale repository (new commits, objects moved into packs, the repository
// removed). Real repositories made with the git CLI in temp dirs.
#include <gtest/gtest.h>

#include <cstdlib>

#include "actors/agents/git_access.h"
#include "tests/unit/test_util.h"

namespace casm::agents {
namespace {

struct repo_pool_test : ::testing::Test {
  test::temp_dir dir;
  std::string work;  // as ingest reports it: the work tree with a trailing '/'

  void SetUp() override {
    git_libgit2_init();
    repo_pool_drain();
    git({"init", "-q", "-b", "main", "."});
    work = (dir.path() / "repo").string() + "/";
  }
  void TearDown() override {
    repo_pool_drain();
    git_libgit2_shutdown();
  }

  void git(const std::vector<std::string>& args) {
    std::filesystem::create_directories(dir.path() / "repo");
    std::string cmd = "cd '" + (dir.path() / "repo").string() +
                      "' && GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -c user.name=t "
                      "-c user.email=t@casm.invalid";
    for (const auto& a : args) cmd += " '" + a + "'";
    ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
  }
  void commit_file(const std::string& name, const std::string& text) {
    test::spit(dir.path() / "repo" / name, text);
    git({"add", name});
    git({"commit", "-q", "-m", name});
  }

  // HEAD:<name> read through a leased handle.
  std::string read_head_file(repo_lease& lease, const std::string& name) {
    git_object* obj = nullptr;
    if (git_revparse_single(&obj, lease.get(), ("HEAD:" + name).c_str()) != 0) return "<missing>";
    auto* blob = reinterpret_cast<git_blob*>(obj);
    std::string text(static_cast<const char*>(git_blob_rawcontent(blob)),
                     static_cast<size_t>(git_blob_rawsize(blob)));
    git_object_free(obj);
    return text;
  }
};

TEST_F(repo_pool_test, AHandleGivenBackServesTheNextLeaseAndLeasesAreExclusive) {
  commit_file("a.txt", "one\n");
  std::string error;
  git_repository* first = nullptr;
  {
    repo_lease lease;
    ASSERT_TRUE(open_repository(work, lease, error)) << error;
    first = lease.get();
    EXPECT_EQ(repo_pool_idle(), 0u);
  }
  EXPECT_EQ(repo_pool_idle(), 1u);
  repo_lease again;
  ASSERT_TRUE(open_repository(work, again, error)) << error;
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(repo_pool_idle(), 0u);
  // Taken: a second lease at the same time gets a handle of its own.
  repo_lease other;
  ASSERT_TRUE(open_repository(work, other, error)) << error;
  EXPECT_NE(other.get(), again.get());
  EXPECT_EQ(read_head_file(other, "a.txt"), "one\n");
  // A discarded lease is closed, not given back.
  other.discard();
  other = repo_lease();
  EXPECT_EQ(repo_pool_idle(), 0u);
}

TEST_F(repo_pool_test, APooledHandleSeesNewCommitsPacksAndRemoval) {
  commit_file("a.txt", "one\n");
  std::string error;
  {
    repo_lease lease;
    ASSERT_TRUE(open_repository(work, lease, error)) << error;
    EXPECT_EQ(read_head_file(lease, "a.txt"), "one\n");
  }
  // A new commit, then every object moved into a pack and the loose ones
  // pruned: the pooled handle finds both.
  commit_file("b.txt", "two\n");
  git({"gc", "-q", "--prune=now"});
  {
    repo_lease lease;
    ASSERT_TRUE(open_repository(work, lease, error)) << error;
    EXPECT_EQ(read_head_file(lease, "b.txt"), "two\n");
    EXPECT_EQ(read_head_file(lease, "a.txt"), "one\n");
  }
  EXPECT_EQ(repo_pool_idle(), 1u);
  // Removed: the idle handle is closed and the lease fails as an open does.
  std::filesystem::remove_all(dir.path() / "repo");
  repo_lease gone;
  EXPECT_FALSE(open_repository(work, gone, error));
  EXPECT_NE(error.find("cannot open repository"), std::string::npos) << error;
  EXPECT_EQ(repo_pool_idle(), 0u);
}

TEST_F(repo_pool_test, KeepsAtMostItsBoundOfIdleHandles) {
  commit_file("a.txt", "one\n");
  std::string error;
  std::vector<repo_lease> leases(repo_pool_max_idle + 4);
  for (auto& l : leases) ASSERT_TRUE(open_repository(work, l, error)) << error;
  leases.clear();
  EXPECT_EQ(repo_pool_idle(), repo_pool_max_idle);
}

}  // namespace
}  // namespace casm::agents
