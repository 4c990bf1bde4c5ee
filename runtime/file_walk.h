// The file list of `casm scan`: every regular file under the given paths,
// collected once, before the parallel scan, so workers share one atomic
// index instead of a queue.
//
// The walk uses readdir's d_type (an fstatat only when the file system does
// not fill it in), never follows a symlink below a given path, and skips
// directories named `.git`. Paths live in one arena string, so collecting
// ~10k files costs a handful of allocations.
//
// Not thread-safe while walking; read-only (and so shareable) afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace casm::runtime {

class file_list {
public:
  // Adds every regular file under `root` (a directory) or `root` itself (a
  // file). Files under a directory are named relative to it ("src/a.c");
  // a file given directly keeps the name it was given. The root must exist:
  // check before calling. A directory that cannot be opened is recorded in
  // unreadable_dirs() and the walk goes on.
  void add_root(const std::string& root, bool root_is_dir);

  size_t size() const { return entries_.size(); }
  // NUL-terminated, for open().
  const char* full_path(size_t i) const { return arena_.data() + entries_[i].full; }
  // The name reported in findings.
  std::string_view display_path(size_t i) const {
    const entry& e = entries_[i];
    return std::string_view(arena_.data() + e.full + e.rel, e.length - e.rel);
  }

  struct unreadable {
    std::string path;  // as reported
    std::string detail;
  };
  const std::vector<unreadable>& unreadable_dirs() const { return unreadable_; }

private:
  struct entry {
    uint64_t full;    // offset of the full path in arena_
    uint32_t rel;     // offset of the reported name inside the full path
    uint32_t length;  // length of the full path, without its NUL
  };
  void walk(std::string& path, size_t rel_start);
  void push(const std::string& path, size_t rel_start);

  std::string arena_;
  std::vector<entry> entries_;
  std::vector<unreadable> unreadable_;
};

}  // namespace casm::runtime
