// Small RAII and error helpers over libgit2, shared by the agents that read
// (ingest, reviewer) and write (fixer) git objects. A handle is used by one
// thread at a time: libgit2 repositories are never used by two agents at
// once (a repo_lease is exclusive).
#pragma once

#include <git2.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "messages/data/audit.h"

namespace casm::agents {

template <class T, void (*Free)(T*)>
struct git_ptr {
  T* p = nullptr;
  git_ptr() = default;
  git_ptr(const git_ptr&) = delete;
  git_ptr& operator=(const git_ptr&) = delete;
  git_ptr(git_ptr&& o) noexcept : p(o.p) { o.p = nullptr; }
  ~git_ptr() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
  explicit operator bool() const { return p != nullptr; }
};

using repo_ptr = git_ptr<git_repository, git_repository_free>;
using blob_ptr = git_ptr<git_blob, git_blob_free>;
using tree_ptr = git_ptr<git_tree, git_tree_free>;
using commit_ptr = git_ptr<git_commit, git_commit_free>;
using diff_ptr = git_ptr<git_diff, git_diff_free>;
using patch_ptr = git_ptr<git_patch, git_patch_free>;

// The message of libgit2's last error on this thread.
std::string git_error_text();

std::string oid_hex(const git_oid* oid);
bool parse_oid(std::string_view hex, git_oid& out);

// Opens the repository at exactly `path` (no search upwards).
bool open_repository(const std::string& path, repo_ptr& out, std::string& error);

// An opened repository lent by the process's pool. Opening one costs path
// lookups and a config parse, and a run's agents (ingest, reviewers, gate,
// fixer) take turns on the same repository, so the handle one of them gives
// back serves the next. A lease is exclusive: two shards reviewed at once
// hold two handles. A handle keeps no view of the repository that could go
// stale: libgit2 reads refs and loose objects from disk on each lookup,
// rescans packs on a miss and rereads a config file that changed; a handle
// whose git directory is gone is closed instead of lent. The pool keeps at
// most repo_pool_max_idle idle handles (the least recently returned go
// first); a lease whose object database was changed (the fixer's in-memory
// store) is discard()ed, not returned.
constexpr size_t repo_pool_max_idle = 16;

class repo_lease {
public:
  repo_lease() = default;
  ~repo_lease();
  repo_lease(repo_lease&& other) noexcept;
  repo_lease& operator=(repo_lease&& other) noexcept;
  repo_lease(const repo_lease&) = delete;
  repo_lease& operator=(const repo_lease&) = delete;

  git_repository* get() const { return repo_; }
  explicit operator bool() const { return repo_ != nullptr; }
  // Closes the handle when the lease ends instead of returning it.
  void discard() { keep_ = false; }

private:
  friend bool open_repository(const std::string& path, repo_lease& out, std::string& error);
  void release();
  git_repository* repo_ = nullptr;
  bool keep_ = true;
};

// Lends the repository at exactly `path` (no search upwards): an idle handle
// of the pool, or a newly opened one. Idle handles are kept under their work
// tree (a bare repository: its git directory) as libgit2 spells it, which is
// the repo_path ingest reports and every later agent of the run asks for.
bool open_repository(const std::string& path, repo_lease& out, std::string& error);

// Idle handles in the process's pool (tests).
size_t repo_pool_idle();
// Closes every idle handle: before git_libgit2_shutdown().
void repo_pool_drain();

// "'<path>'" for messages, with bytes that are not UTF-8 escaped.
std::string quoted(const std::string& bytes);

// Resolves `rev` to a commit. The error is one sentence naming the revision
// and the repository ("unknown revision 'X' in repository 'Y'").
bool resolve_commit(git_repository* repo, const std::string& rev, const std::string& repo_name,
                    commit_ptr& out, std::string& error);

// git_repository_is_empty() only recognises an unborn *default* branch; a
// repository initialised with another branch name and no commits has no refs.
bool has_any_reference(git_repository* repo);

// Hunk `h` of `patch`: its line ranges and the digest a hunk is pinned by
// everywhere (ingest's changed files, the gate's evidence): sha256 of the
// header, then of each line's origin and content. `on_line` sees every line.
// False, with libgit2's error text, when the patch cannot be read.
bool read_hunk(git_patch* patch, size_t h, messages::hunk_info& info,
               const std::function<void(const git_diff_line&)>& on_line, std::string& error);

// git's empty tree.
constexpr const char* empty_tree_oid = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

}  // namespace casm::agents
