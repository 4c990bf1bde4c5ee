// The run store's durable writes: commit_state's replacement of state.json
// and the group-committed filesystem flush many runs share.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "actors/supervisor/run_store.h"
#include "tests/unit/test_util.h"

namespace casm::supervisor {
namespace {

TEST(RunStore, CommitStateReplacesStateJsonAndLeavesNoTempFile) {
  test::temp_dir dir;
  run_state s;
  s.run_id = "RUN";
  s.status = "running";
  ASSERT_EQ(run_store::write_state(dir.path(), s, false), "");
  s.status = "succeeded";
  s.head_seq = 7;
  s.head_hash = std::string(64, 'a');
  ASSERT_EQ(run_store::commit_state(dir.path(), s), "");
  std::string error;
  auto back = run_store::read_state(dir.path(), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->status, "succeeded");
  EXPECT_EQ(back->head_seq, 7u);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // state.json only: the temp file was renamed
}

TEST(RunStore, ConcurrentFlushesShareAndAllReturn) {
  test::temp_dir dir;
  constexpr int threads = 8, rounds = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int r = 0; r < rounds; ++r) {
        auto file = dir.path() / ("f" + std::to_string(t) + "-" + std::to_string(r));
        if (!write_file_unsynced(file, "x").empty() || !sync_filesystem(file).empty()) ++failures;
      }
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(RunStore, AFlushOfAPathThatIsNotThereSaysWhich) {
  test::temp_dir dir;
  const auto missing = dir.path() / "no-such-dir";
  auto err = sync_filesystem(missing);
  EXPECT_NE(err.find(missing.string()), std::string::npos) << err;
}

}  // namespace
}  // namespace casm::supervisor
