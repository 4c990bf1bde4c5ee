// The floor for an audit that reads blobs from the object database: libgit2
// alone reading every blob at HEAD, single-threaded, doing nothing with them.
// Usage: blob_floor_bench REPO [--threads N]
// Prints files, bytes, seconds and MB/s. (Not a Google Benchmark: one cold
// pass over a whole repository is the figure of interest.)
#include <git2.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct entry {
  git_oid oid;
};

int collect(const char*, const git_tree_entry* e, void* payload) {
  if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
    static_cast<std::vector<entry>*>(payload)->push_back({*git_tree_entry_id(e)});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s REPO [--threads N]\n", argv[0]);
    return 2;
  }
  int threads = 1;
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  git_libgit2_init();
  git_repository* repo = nullptr;
  if (git_repository_open(&repo, argv[1]) != 0) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  git_object* obj = nullptr;
  git_revparse_single(&obj, repo, "HEAD^{tree}");
  std::vector<entry> blobs;
  auto t0 = std::chrono::steady_clock::now();
  git_tree_walk(reinterpret_cast<git_tree*>(obj), GIT_TREEWALK_PRE, collect, &blobs);
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes{0};
  auto work = [&] {
    git_repository* r = nullptr;  // one handle per thread, as the reviewers do
    git_repository_open(&r, argv[1]);
    uint64_t local = 0;
    for (size_t i; (i = next.fetch_add(1)) < blobs.size();) {
      git_blob* b = nullptr;
      if (git_blob_lookup(&b, r, &blobs[i].oid) == 0) {
        local += static_cast<uint64_t>(git_blob_rawsize(b));
        git_blob_free(b);
      }
    }
    bytes += local;
    git_repository_free(r);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("files=%zu bytes=%llu seconds=%.3f MB/s=%.1f threads=%d\n", blobs.size(),
              static_cast<unsigned long long>(bytes.load()), s, bytes / 1e6 / s, threads);
  git_object_free(obj);
  git_repository_free(repo);
  git_libgit2_shutdown();
  return 0;
}
