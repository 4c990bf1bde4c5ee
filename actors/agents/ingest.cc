#include "actors/agents/ingest.h"

#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <filesystem>
#include <memory>
#include <set>

#include "actors/agents/git_access.h"
#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"

namespace casm::agents {

using messages::ingest_request;
using messages::ingest_result;

namespace {

struct tree_walk {
  git_odb* odb = nullptr;
  bool list = false;
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::vector<messages::file_entry>* out = nullptr;
};

int visit_entry(const char* root, const git_tree_entry* entry, void* payload) {
  auto* t = static_cast<tree_walk*>(payload);
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
  const auto mode = git_tree_entry_filemode(entry);
  size_t len = 0;
  git_object_t type;
  if (git_odb_read_header(&len, &type, t->odb, git_tree_entry_id(entry)) != 0) len = 0;
  ++t->files;
  t->bytes += len;
  // Only regular files are content; symlinks are paths, submodules commits.
  if (t->list && (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE)) {
    messages::file_entry f;
    f.path = std::string(root) + git_tree_entry_name(entry);
    f.oid = oid_hex(git_tree_entry_id(entry));
    f.size = len;
    f.mode = static_cast<uint32_t>(mode);
    t->out->push_back(std::move(f));
  }
  return 0;
}

const char* status_name(git_delta_t s) {
  switch (s) {
    case GIT_DELTA_ADDED: return "added";
    case GIT_DELTA_DELETED: return "deleted";
    case GIT_DELTA_RENAMED: return "renamed";
    case GIT_DELTA_COPIED: return "copied";
    case GIT_DELTA_TYPECHANGE: return "typechange";
    default: return "modified";
  }
}

// The changed files of base..head, with added line numbers and hunk digests.
bool list_changes(git_repository* repo, git_tree* base, git_tree* head,
                  std::vector<messages::changed_file>& out, std::string& error) {
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.context_lines = 0;
  diff_ptr diff;
  if (git_diff_tree_to_tree(diff.out(), repo, base, head, &opts) != 0) {
    error = "cannot diff the base and head trees: " + git_error_text();
    return false;
  }
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  git_diff_find_similar(diff.get(), &find);
  const size_t n = git_diff_num_deltas(diff.get());
  for (size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    messages::changed_file c;
    c.path = d->new_file.path ? d->new_file.path : d->old_file.path;
    if (d->status == GIT_DELTA_RENAMED && d->old_file.path) c.old_path = d->old_file.path;
    c.status = status_name(d->status);
    c.old_oid = oid_hex(&d->old_file.id);
    c.new_oid = oid_hex(&d->new_file.id);
    c.size = d->new_file.size;
    if (d->new_file.mode == GIT_FILEMODE_COMMIT || d->new_file.mode == GIT_FILEMODE_LINK) continue;
    patch_ptr patch;
    if (d->status != GIT_DELTA_DELETED && git_patch_from_diff(patch.out(), diff.get(), i) == 0) {
      c.binary = (git_patch_get_delta(patch.get())->flags & GIT_DIFF_FLAG_BINARY) != 0;
      const size_t hunks = git_patch_num_hunks(patch.get());
      for (size_t h = 0; h < hunks && !c.binary; ++h) {
        messages::hunk_info info;
        std::string hunk_error;
        const bool ok = read_hunk(patch.get(), h, info, [&](const git_diff_line& line) {
          if (line.origin != GIT_DIFF_LINE_ADDITION || line.new_lineno <= 0) return;
          auto ln = static_cast<uint32_t>(line.new_lineno);
          if (!c.added.empty() && c.added.back().last + 1 == ln)
            c.added.back().last = ln;
          else
            c.added.push_back({ln, ln});
        }, hunk_error);
        if (!ok) break;  // the reviewer and the gate read the blobs themselves
        c.hunks.push_back(std::move(info));
      }
    }
    out.push_back(std::move(c));
  }
  return true;
}

// Every commit reachable from head, in a deterministic order (breadth-first
// from head, reversed: oldest lines first). libgit2 1.5's
// revwalk stops at a shallow clone's missing parents with an error, so the
// walk is ours: a parent that is not in the object database ends that line
// of history (the boundary of a shallow clone).
bool list_history(git_repository* repo, const git_oid* head, std::vector<std::string>& out,
                  std::string& error) {
  std::vector<std::string> order;  // head first, breadth-first
  std::set<std::string> seen;
  std::deque<git_oid> queue{*head};
  seen.insert(oid_hex(head));
  while (!queue.empty()) {
    git_oid oid = queue.front();
    queue.pop_front();
    commit_ptr commit;
    if (git_commit_lookup(commit.out(), repo, &oid) != 0) {
      if (order.empty()) {
        error = "cannot read commit " + oid_hex(&oid) + ": " + git_error_text();
        return false;
      }
      continue;
    }
    order.push_back(oid_hex(&oid));
    const unsigned n = git_commit_parentcount(commit.get());
    for (unsigned i = 0; i < n; ++i) {
      const git_oid* parent = git_commit_parent_id(commit.get(), i);
      git_odb* odb = nullptr;
      bool present = git_repository_odb(&odb, repo) == 0 && git_odb_exists(odb, parent);
      if (odb) git_odb_free(odb);
      if (present && seen.insert(oid_hex(parent)).second) queue.push_back(*parent);
    }
  }
  out.assign(order.rbegin(), order.rend());
  return true;
}

// What the validator needs to know about the project at head.
void read_project_facts(git_repository* repo, git_tree* tree, ingest_result& r) {
  git_ptr<git_tree_entry, git_tree_entry_free> lock;
  r.has_pnpm_lock = git_tree_entry_bypath(lock.out(), tree, "pnpm-lock.yaml") == 0;
  git_ptr<git_tree_entry, git_tree_entry_free> pkg;
  if (git_tree_entry_bypath(pkg.out(), tree, "package.json") != 0) return;
  r.has_package_json = true;
  blob_ptr blob;
  if (git_blob_lookup(blob.out(), repo, git_tree_entry_id(pkg.get())) != 0) return;
  std::string_view text(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                        static_cast<size_t>(git_blob_rawsize(blob.get())));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("scripts") && j["scripts"].is_object())
    for (auto it = j["scripts"].begin(); it != j["scripts"].end(); ++it)
      r.package_scripts.push_back(it.key());
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
  auto io_error = [&](std::string why) {
    r.ok = false;
    r.error_kind = "io";
    r.error = std::move(why);
    return r;
  };
  std::error_code ec;
  if (req.repo.empty()) return bad_input("no repository path was given");
  if (!std::filesystem::exists(req.repo, ec))
    return bad_input("repository path " + name + " does not exist");
  if (!std::filesystem::is_directory(req.repo, ec))
    return bad_input("repository path " + name + " is not a directory");

  // No search upwards: the path itself must be the repository (a work tree
  // with .git, or a bare repository); a folder inside another repository is
  // not it. The handle goes back to the pool for the run's next agents.
  repo_lease repo;
  std::string open_error;
  if (!open_repository(req.repo, repo, open_error)) {
    const std::string why = git_error_text();
    if (std::filesystem::exists(std::filesystem::path(req.repo) / ".git", ec))
      return bad_input("repository " + name + " cannot be opened: " + why);
    return bad_input(name + " is not a git repository (no .git directory or bare repository there)");
  }
  r.repo_path = git_repository_is_bare(repo.get()) ? git_repository_path(repo.get())
                                                    : git_repository_workdir(repo.get());
  r.bare = git_repository_is_bare(repo.get()) == 1;
  r.shallow = git_repository_is_shallow(repo.get()) == 1;
  commit_ptr head;
  std::string error;
  if (!resolve_commit(repo.get(), r.head_rev, name, head, error)) {
    // Asked only when the revision does not resolve: listing the refs costs
    // a directory scan, and a repository whose revision resolves has a commit.
    if (git_repository_is_empty(repo.get()) == 1 || !has_any_reference(repo.get()))
      return bad_input("repository " + name + " is empty (it has no commits)");
    return bad_input(error);
  }
  r.head_commit = oid_hex(git_commit_id(head.get()));
  r.head_tree = oid_hex(git_commit_tree_id(head.get()));
  r.head_time = static_cast<int64_t>(git_commit_time(head.get()));

  r.base_commit = empty_tree_oid;
  commit_ptr base;
  if (!req.base_rev.empty()) {
    if (!resolve_commit(repo.get(), req.base_rev, name, base, error)) return bad_input(error);
    r.base_commit = oid_hex(git_commit_id(base.get()));
  }

  tree_ptr tree;
  git_ptr<git_odb, git_odb_free> odb;
  if (git_commit_tree(tree.out(), head.get()) != 0 || git_repository_odb(odb.out(), repo.get()) != 0)
    return io_error("cannot read the tree of " + r.head_commit + " in " + name + ": " +
                    git_error_text());
  const bool list_all = req.list_files && !req.history && req.base_rev.empty();
  tree_walk walk;
  walk.odb = odb.get();
  walk.list = list_all;
  walk.out = &r.files;
  git_tree_walk(tree.get(), GIT_TREEWALK_PRE, visit_entry, &walk);
  r.file_count = walk.files;
  r.total_bytes = walk.bytes;

  if (req.list_files) {
    if (req.history) {
      r.mode = "history";
      if (!list_history(repo.get(), git_commit_id(head.get()), r.commits, error))
        return io_error(error + " (" + name + ")");
    } else if (!req.base_rev.empty()) {
      r.mode = "diff";
      tree_ptr base_tree;
      if (git_commit_tree(base_tree.out(), base.get()) != 0)
        return io_error("cannot read the tree of base " + r.base_commit + ": " + git_error_text());
      if (!list_changes(repo.get(), base_tree.get(), tree.get(), r.changes, error))
        return io_error(error + " (" + name + ")");
    } else {
      r.mode = "full";
    }
    read_project_facts(repo.get(), tree.get(), r);
  }
  r.ok = true;
  return r;
}

protocol::ingest_actor::behavior_type ingest_agent(protocol::ingest_actor::pointer) {
  return {
    [](const ingest_request& req) { return ingest_repository(req); },
  };
}

}  // namespace casm::agents
