#include "actors/agents/ingest.h"

#include <git2.h>

#include <caf/typed_event_based_actor.hpp>

#include <filesystem>
#include <memory>

#include "messages/codec/json_text.h"

namespace casm::agents {

using messages::ingest_request;
using messages::ingest_result;

namespace {

constexpr const char* empty_tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

template <class T, void (*Free)(T*)>
struct git_ptr {
  T* p = nullptr;
  ~git_ptr() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};

std::string git_error_text() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

std::string oid_hex(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

std::string quoted(const std::string& bytes) {
  return "'" + codec::display_text(bytes) + "'";
}

// Resolves `rev` to a commit; an error sentence names the revision.
bool resolve_commit(git_repository* repo, const std::string& rev, const std::string& repo_name,
                    git_ptr<git_commit, git_commit_free>& out, std::string& error) {
  git_ptr<git_object, git_object_free> obj;
  if (git_revparse_single(obj.out(), repo, rev.c_str()) != 0) {
    error = "unknown revision " + quoted(rev) + " in repository " + repo_name;
    return false;
  }
  git_ptr<git_object, git_object_free> peeled;
  if (git_object_peel(peeled.out(), obj.get(), GIT_OBJECT_COMMIT) != 0) {
    error = "revision " + quoted(rev) + " in repository " + repo_name + " is not a commit";
    return false;
  }
  out.p = reinterpret_cast<git_commit*>(peeled.p);
  peeled.p = nullptr;
  return true;
}

// git_repository_is_empty() only recognises an unborn *default* branch; a
// repository initialised with another branch name and no commits has no refs.
bool has_any_reference(git_repository* repo) {
  git_reference_iterator* it = nullptr;
  if (git_reference_iterator_new(&it, repo) != 0) return true;
  git_reference* ref = nullptr;
  bool any = git_reference_next(&ref, it) == 0;
  if (ref) git_reference_free(ref);
  git_reference_iterator_free(it);
  return any;
}

struct tree_totals {
  git_odb* odb = nullptr;
  uint64_t files = 0;
  uint64_t bytes = 0;
};

int count_blob(const char*, const git_tree_entry* entry, void* payload) {
  auto* t = static_cast<tree_totals*>(payload);
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
  ++t->files;
  size_t len = 0;
  git_object_t type;
  if (git_odb_read_header(&len, &type, t->odb, git_tree_entry_id(entry)) == 0) t->bytes += len;
  return 0;
}

}  // namespace

ingest_result ingest_repository(const ingest_request& req) {
  ingest_result r;
  r.call_id = req.call_id;
  r.head_rev = req.head_rev.empty() ? "HEAD" : req.head_rev;
  const std::string name = quoted(req.repo);
  auto bad_input = [&](std::string why) {
    r.ok = false;
    r.error_kind = "bad_input";
    r.error = std::move(why);
    return r;
  };
  std::error_code ec;
  if (req.repo.empty()) return bad_input("no repository path was given");
  if (!std::filesystem::exists(req.repo, ec))
    return bad_input("repository path " + name + " does not exist");
  if (!std::filesystem::is_directory(req.repo, ec))
    return bad_input("repository path " + name + " is not a directory");

  git_ptr<git_repository, git_repository_free> repo;
  // NO_SEARCH: the path itself must be the repository (a work tree with .git,
  // or a bare repository); a folder inside another repository is not it.
  if (git_repository_open_ext(repo.out(), req.repo.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                              nullptr) != 0) {
    if (git_error_last() && git_error_last()->klass == GIT_ERROR_REPOSITORY &&
        std::string(git_error_text()).find("not owned") != std::string::npos)
      return bad_input("repository " + name + " cannot be opened: " + git_error_text());
    return bad_input(name + " is not a git repository (no .git directory or bare repository there)");
  }
  r.repo_path = git_repository_is_bare(repo.get()) ? git_repository_path(repo.get())
                                                    : git_repository_workdir(repo.get());
  r.bare = git_repository_is_bare(repo.get()) == 1;
  r.shallow = git_repository_is_shallow(repo.get()) == 1;
  if (git_repository_is_empty(repo.get()) == 1 || !has_any_reference(repo.get()))
    return bad_input("repository " + name + " is empty (it has no commits)");

  git_ptr<git_commit, git_commit_free> head;
  std::string error;
  if (!resolve_commit(repo.get(), r.head_rev, name, head, error)) return bad_input(error);
  r.head_commit = oid_hex(git_commit_id(head.get()));
  r.head_tree = oid_hex(git_commit_tree_id(head.get()));
  r.head_time = static_cast<int64_t>(git_commit_time(head.get()));

  r.base_commit = empty_tree;
  if (!req.base_rev.empty()) {
    git_ptr<git_commit, git_commit_free> base;
    if (!resolve_commit(repo.get(), req.base_rev, name, base, error)) return bad_input(error);
    r.base_commit = oid_hex(git_commit_id(base.get()));
  }

  git_ptr<git_tree, git_tree_free> tree;
  git_ptr<git_odb, git_odb_free> odb;
  if (git_commit_tree(tree.out(), head.get()) != 0 || git_repository_odb(odb.out(), repo.get()) != 0) {
    r.ok = false;
    r.error_kind = "io";
    r.error = "cannot read the tree of " + r.head_commit + " in " + name + ": " + git_error_text();
    return r;
  }
  tree_totals totals;
  totals.odb = odb.get();
  git_tree_walk(tree.get(), GIT_TREEWALK_PRE, count_blob, &totals);
  r.file_count = totals.files;
  r.total_bytes = totals.bytes;
  r.ok = true;
  return r;
}

protocol::ingest_actor::behavior_type ingest_agent(protocol::ingest_actor::pointer) {
  return {
    [](const ingest_request& req) { return ingest_repository(req); },
  };
}

}  // namespace casm::agents
