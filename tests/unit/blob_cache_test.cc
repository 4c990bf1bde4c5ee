// The process-wide blob cache (actors/agents/blob_cache.h): bounded memory,
// oldest dropped first, and blob_bytes serving a hit without touching the
// object database. Real repositories are made with libgit2 in temp dirs.
#include <gtest/gtest.h>

#include "actors/agents/blob_cache.h"
#include "tests/unit/test_util.h"

namespace casm::agents {
namespace {

git_oid oid_of(const std::string& content) {
  git_oid id;
  git_odb_hash(&id, content.data(), content.size(), GIT_OBJECT_BLOB);
  return id;
}

TEST(BlobCacheTest, KeepsWithinItsCapacityDroppingTheOldestFirst) {
  blob_cache cache(4000);
  const std::string a(900, 'a'), b(900, 'b'), c(900, 'c'), d(900, 'd'), e(900, 'e');
  for (const auto* s : {&a, &b, &c, &d}) cache.remember(oid_of(*s), *s);
  EXPECT_EQ(cache.entries(), 4u);
  EXPECT_EQ(cache.size_bytes(), 3600u);
  cache.remember(oid_of(e), e);  // 4500 > 4000: `a` goes
  EXPECT_EQ(cache.entries(), 4u);
  EXPECT_LE(cache.size_bytes(), 4000u);
  EXPECT_EQ(cache.find(oid_of(a)), nullptr);
  ASSERT_NE(cache.find(oid_of(e)), nullptr);
  EXPECT_EQ(*cache.find(oid_of(e)), e);

  const std::string big(1001, 'x');  // over a quarter of the capacity: not kept
  cache.remember(oid_of(big), big);
  EXPECT_EQ(cache.find(oid_of(big)), nullptr);

  cache.remember(oid_of(e), e);  // again: no duplicate
  EXPECT_EQ(cache.entries(), 4u);
  cache.clear();
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.size_bytes(), 0u);
}

TEST(BlobCacheTest, BlobBytesReadsTheRepositoryOnAMissAndTheCacheOnAHit) {
  git_libgit2_init();
  test::temp_dir dir;
  repo_ptr repo;
  ASSERT_EQ(git_repository_init(repo.out(), dir.path().c_str(), 0), 0);
  const std::string stored = "int main() {}   \n";
  git_oid stored_id;
  ASSERT_EQ(git_blob_create_from_buffer(&stored_id, repo.get(), stored.data(), stored.size()), 0);

  blob_cache::instance().clear();
  std::string error;
  {
    blob_bytes miss;
    ASSERT_TRUE(miss.load(repo.get(), stored_id, error)) << error;
    EXPECT_EQ(miss.view(), stored);
  }
  // An object the repository does not have: an error, until it is cached.
  const std::string absent = "only in memory\n";
  const git_oid absent_id = oid_of(absent);
  {
    blob_bytes none;
    EXPECT_FALSE(none.load(repo.get(), absent_id, error));
    EXPECT_FALSE(error.empty());
  }
  blob_cache::instance().remember(absent_id, absent);
  {
    blob_bytes hit;
    ASSERT_TRUE(hit.load(repo.get(), absent_id, error)) << error;
    EXPECT_EQ(hit.view(), absent);
  }
  blob_cache::instance().clear();
  git_libgit2_shutdown();
}

}  // namespace
}  // namespace casm::agents
