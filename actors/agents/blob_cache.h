// A process-wide cache of blob contents, keyed by object id. The reviewer
// reads every blob once; the few files it finds mechanically fixable are read
// again by the patch gate and by the fixer. Keeping those bytes here spares
// the two later stages a second and third inflate of the same objects.
//
// Correctness does not depend on the cache: an object id is the hash of its
// content, so a hit is the same bytes libgit2 would return, and a miss reads
// from the object database as before. Nothing here is recorded in the run
// log; replay constructs no agents and never consults it.
//
// Memory is bounded: entries larger than a quarter of the capacity are not
// kept, and the oldest entries are dropped once the total would pass it.
// Thread-safe (agents run on their own threads).
#pragma once

#include <git2.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "actors/agents/git_access.h"

namespace casm::agents {

constexpr size_t default_blob_cache_bytes = size_t{64} << 20;

class blob_cache {
public:
  // The process's cache.
  static blob_cache& instance();

  explicit blob_cache(size_t capacity_bytes = default_blob_cache_bytes);
  ~blob_cache();
  blob_cache(const blob_cache&) = delete;
  blob_cache& operator=(const blob_cache&) = delete;

  void remember(const git_oid& id, std::string_view content);
  std::shared_ptr<const std::string> find(const git_oid& id) const;

  size_t size_bytes() const;
  size_t entries() const;
  void clear();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The content of one blob: from the cache when it is there, else read from
// `repo` (and then owned by the libgit2 blob object). The view stays valid as
// long as this object lives.
class blob_bytes {
public:
  // False, with libgit2's error text in `error`, when the object cannot be read.
  bool load(git_repository* repo, const git_oid& id, std::string& error);
  // True when the cache holds the object: then no repository is needed.
  bool load_cached(const git_oid& id);
  std::string_view view() const { return view_; }

private:
  std::shared_ptr<const std::string> cached_;
  blob_ptr blob_;
  std::string_view view_;
};

}  // namespace casm::agents
