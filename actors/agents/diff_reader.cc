#include "actors/agents/diff_reader.h"

#include <filesystem>
#include <optional>
#include <string_view>

#include "actors/agents/git_access.h"
#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "policy/glob.h"
#include "policy/scanner.h"

namespace casm::agents {

namespace {


// One side of a changed file, read from the object database.
struct side {
  enum class state { absent, ok, oversized, binary, corrupt };
  state st = state::absent;
  blob_ptr blob;
  std::string why;  // for oversized and corrupt

  std::string_view text() const {
    return {static_cast<const char*>(git_blob_rawcontent(blob.get())),
            static_cast<size_t>(git_blob_rawsize(blob.get()))};
  }
};

side read_side(git_repository* repo, git_odb* odb, const git_diff_file& f, uint64_t max_bytes) {
  side s;
  if (!(f.flags & GIT_DIFF_FLAG_EXISTS) || git_oid_is_zero(&f.id)) return s;
  const std::string oid = oid_hex(&f.id);
  size_t len = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&len, &type, odb, &f.id) != 0) {
    s.st = side::state::corrupt;
    s.why = "corrupt object " + oid + ": " + git_error_text();
    return s;
  }
  if (max_bytes > 0 && len > max_bytes) {
    s.st = side::state::oversized;
    s.why = "oversized (" + std::to_string(len) + " bytes; the limit is " +
            std::to_string(max_bytes) + ")";
    return s;
  }
  if (git_blob_lookup(s.blob.out(), repo, &f.id) != 0) {
    s.st = side::state::corrupt;
    s.why = "corrupt object " + oid + ": " + git_error_text();
    return s;
  }
  s.st = policy::looks_binary(s.text()) ? side::state::binary : side::state::ok;
  return s;
}

policy::change_status status_of(git_delta_t s) {
  switch (s) {
    case GIT_DELTA_ADDED:
    case GIT_DELTA_COPIED: return policy::change_status::added;
    case GIT_DELTA_DELETED: return policy::change_status::deleted;
    case GIT_DELTA_RENAMED: return policy::change_status::renamed;
    default: return policy::change_status::modified;
  }
}

std::string without_newline(const char* content, size_t len) {
  std::string text(content, len);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Diffs two texts with zero context lines, as text (binary was ruled out by
// the caller). No path is given, so no attribute or diff driver is looked up.
// Hunk digests come from read_hunk(), as ingest's do.
bool diff_texts(std::string_view before, std::string_view after, policy::changed_file& c,
                std::string& error) {
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.context_lines = 0;
  opts.interhunk_lines = 0;
  opts.flags = GIT_DIFF_FORCE_TEXT;
  patch_ptr patch;
  if (git_patch_from_buffers(patch.out(), before.data(), before.size(), nullptr, after.data(),
                             after.size(), nullptr, &opts) != 0) {
    error = git_error_text();
    return false;
  }
  const size_t hunks = git_patch_num_hunks(patch.get());
  for (size_t h = 0; h < hunks; ++h) {
    messages::hunk_info info;
    const bool ok = read_hunk(patch.get(), h, info, [&](const git_diff_line& line) {
      if (line.origin == GIT_DIFF_LINE_ADDITION && line.new_lineno > 0)
        c.added_lines.push_back({static_cast<uint32_t>(line.new_lineno),
                                 without_newline(line.content, line.content_len)});
      else if (line.origin == GIT_DIFF_LINE_DELETION)
        c.removed_lines.push_back(without_newline(line.content, line.content_len));
    }, error);
    if (!ok) return false;
    c.hunks.push_back(std::move(info));
  }
  return true;
}

void mark_unreadable(policy::changed_file& c, std::string reason) {
  c.readable = false;
  c.unreadable_reason = std::move(reason);
  c.added_lines.clear();
  c.removed_lines.clear();
  c.hunks.clear();
}

// The delta's content: added and removed lines and hunks, or why it could
// not be read. A new side that cannot be scored makes the change unreadable;
// an old side that is binary or oversized is taken as empty, so the whole
// new file counts as added (more evidence, never less).
void read_content(const git_diff_delta& d, side& old_side, side& new_side,
                  policy::changed_file& c) {
  using st = side::state;
  if (d.status == GIT_DELTA_DELETED) return;
  if (d.new_file.mode == GIT_FILEMODE_COMMIT) {
    mark_unreadable(c, "submodule (its content is another repository)");
    return;
  }
  switch (new_side.st) {
    case st::corrupt:
    case st::oversized: mark_unreadable(c, new_side.why); return;
    case st::binary: mark_unreadable(c, "binary"); return;
    case st::absent:
    case st::ok: break;
  }
  if (old_side.st == st::corrupt) {
    mark_unreadable(c, old_side.why);
    return;
  }
  const std::string_view before = old_side.st == st::ok ? old_side.text() : std::string_view();
  const std::string_view after = new_side.st == st::ok ? new_side.text() : std::string_view();
  std::string error;
  if (!diff_texts(before, after, c, error))
    mark_unreadable(c, "the diff could not be computed: " + error);
}

// policy::is_dependency_file(), with the ruleset's globs compiled once per
// diff rather than once per file.
bool is_dependency(const std::optional<policy::glob_set>& files, const policy::changed_file& c) {
  return files && (files->matches(c.path) || (!c.old_path.empty() && files->matches(c.old_path)));
}

// Both texts of a dependency file, or nullopt when a side exists but cannot
// be read (its changes are then unknown, not "everything removed").
std::optional<policy::dependency_manifest> manifest_of(const policy::changed_file& c,
                                                       const side& old_side,
                                                       const side& new_side) {
  using st = side::state;
  policy::dependency_manifest m;
  m.path = c.path;
  for (const auto* s : {&old_side, &new_side}) {
    if (s->st == st::absent) continue;
    if (s->st != st::ok) return std::nullopt;
    (s == &old_side ? m.before : m.after) = std::string(s->text());
  }
  return m;
}

}  // namespace

bool read_diff_facts(const std::string& repo_path, const std::string& base_rev,
                     const std::string& head_rev, const policy::ruleset& rs,
                     uint64_t max_file_bytes, diff_facts& out, std::string& error) {
  namespace fs = std::filesystem;
  out = diff_facts{};
  const std::string name = quoted(repo_path);
  std::error_code ec;
  if (repo_path.empty()) {
    error = "no repository path was given";
    return false;
  }
  if (!fs::exists(repo_path, ec)) {
    error = "repository path " + name + " does not exist";
    return false;
  }
  if (!fs::is_directory(repo_path, ec)) {
    error = "repository path " + name + " is not a directory";
    return false;
  }
  repo_ptr repo;
  if (git_repository_open_ext(repo.out(), repo_path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                              nullptr) != 0) {
    const std::string why = git_error_text();
    if (fs::exists(fs::path(repo_path) / ".git", ec))
      error = "repository " + name + " cannot be opened: " + why;
    else
      error = name + " is not a git repository (no .git directory or bare repository there)";
    return false;
  }
  out.repo_path = git_repository_is_bare(repo.get()) ? git_repository_path(repo.get())
                                                     : git_repository_workdir(repo.get());
  if (git_repository_is_empty(repo.get()) == 1 || !has_any_reference(repo.get())) {
    error = "repository " + name + " is empty (it has no commits)";
    return false;
  }

  commit_ptr head, base;
  if (!resolve_commit(repo.get(), head_rev.empty() ? "HEAD" : head_rev, name, head, error))
    return false;
  out.head_commit = oid_hex(git_commit_id(head.get()));
  out.head_time = static_cast<int64_t>(git_commit_time(head.get()));
  out.base_commit = empty_tree_oid;
  if (!base_rev.empty()) {
    if (!resolve_commit(repo.get(), base_rev, name, base, error)) return false;
    out.base_commit = oid_hex(git_commit_id(base.get()));
  }

  tree_ptr head_tree, base_tree;
  if (git_commit_tree(head_tree.out(), head.get()) != 0 ||
      (base && git_commit_tree(base_tree.out(), base.get()) != 0)) {
    error = "cannot read the trees of " + (base ? out.base_commit + ".." : std::string()) +
            out.head_commit + " in repository " + name + ": " + git_error_text();
    return false;
  }
  git_ptr<git_odb, git_odb_free> odb;
  if (git_repository_odb(odb.out(), repo.get()) != 0) {
    error = "cannot open the object database of repository " + name + ": " + git_error_text();
    return false;
  }

  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.context_lines = 0;
  diff_ptr diff;
  auto make_diff = [&] {
    if (diff) git_diff_free(diff.p);
    diff.p = nullptr;
    return git_diff_tree_to_tree(diff.out(), repo.get(), base_tree.get(), head_tree.get(),
                                 &opts) == 0;
  };
  if (!make_diff()) {
    error = "cannot diff " + out.base_commit + ".." + out.head_commit + " in repository " + name +
            ": " + git_error_text();
    return false;
  }
  // Rename detection reads blobs; on a corrupt one it fails, and the diff is
  // then taken without renames (each side is still read and judged below).
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  if (git_diff_find_similar(diff.get(), &find) != 0 && !make_diff()) {
    error = "cannot diff " + out.base_commit + ".." + out.head_commit + " in repository " + name +
            ": " + git_error_text();
    return false;
  }

  std::optional<policy::glob_set> dependency_files;
  if (rs.dependency) dependency_files = policy::glob_set::compile(rs.dependency->files, nullptr);
  const size_t n = git_diff_num_deltas(diff.get());
  for (size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    policy::changed_file c;
    c.status = status_of(d->status);
    const bool deleted = d->status == GIT_DELTA_DELETED;
    c.path = deleted || !d->new_file.path ? d->old_file.path : d->new_file.path;
    if (d->status == GIT_DELTA_RENAMED && d->old_file.path) c.old_path = d->old_file.path;

    const bool dependency = is_dependency(dependency_files, c);
    const bool is_blob_old = d->old_file.mode != GIT_FILEMODE_COMMIT;
    const bool is_blob_new = d->new_file.mode != GIT_FILEMODE_COMMIT;
    const bool need_old = is_blob_old && d->status != GIT_DELTA_ADDED && (!deleted || dependency);
    const bool need_new = is_blob_new && !deleted;
    side old_side = need_old ? read_side(repo.get(), odb.get(), d->old_file, max_file_bytes)
                             : side{};
    side new_side = need_new ? read_side(repo.get(), odb.get(), d->new_file, max_file_bytes)
                             : side{};

    read_content(*d, old_side, new_side, c);
    if (dependency && is_blob_old && is_blob_new)
      if (auto m = manifest_of(c, old_side, new_side)) out.manifests.push_back(std::move(*m));
    out.files.push_back(std::move(c));
  }
  return true;
}

}  // namespace casm::agents
