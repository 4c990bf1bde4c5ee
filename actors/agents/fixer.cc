#include "actors/agents/fixer.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <caf/typed_event_based_actor.hpp>

#include <cstdio>
#include <vector>

#include "actors/agents/blob_cache.h"
#include "actors/agents/git_access.h"
#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"
#include "policy/mechanical_fix.h"

namespace casm::agents {

using messages::fix_request;
using messages::fix_result;

namespace {

// The git header of one file's patch; the hunks come from
// policy::render_fix_diff.
std::string patch_header(const std::string& path, const git_oid& old_id, const git_oid& new_id,
                         uint32_t mode) {
  char mode_text[16];
  std::snprintf(mode_text, sizeof mode_text, "%o", mode);
  return "diff --git a/" + path + " b/" + path + "\nindex " + oid_hex(&old_id).substr(0, 12) +
         ".." + oid_hex(&new_id).substr(0, 12) + " " + mode_text + "\n--- a/" + path +
         "\n+++ b/" + path + "\n";
}

}  // namespace

fix_result apply_fixes(const fix_request& req, const std::filesystem::path& artifacts_dir) {
  fix_result r;
  r.call_id = req.call_id;
  auto fail = [&](std::string why) {
    r.ok = false;
    r.failure_kind = "patch_apply";
    r.error = std::move(why);
    return r;
  };
  repo_lease repo;
  std::string error;
  if (!open_repository(req.repo_path, repo, error)) return fail(error);
  // Its object database gets an in-memory store below: never lent again.
  repo.discard();

  // Without --write-branch, every object we create lives in memory only.
  git_ptr<git_odb, git_odb_free> odb;
  if (git_repository_odb(odb.out(), repo.get()) != 0) return fail(git_error_text());
  git_odb_backend* mempack = nullptr;
  if (!req.write_branch) {
    if (git_mempack_new(&mempack) != 0 || git_odb_add_backend(odb.get(), mempack, 999) != 0)
      return fail("cannot set up the in-memory object store: " + git_error_text());
  }

  git_oid head_oid;
  commit_ptr head;
  tree_ptr head_tree;
  if (!parse_oid(req.head_commit, head_oid) ||
      git_commit_lookup(head.out(), repo.get(), &head_oid) != 0 ||
      git_commit_tree(head_tree.out(), head.get()) != 0)
    return fail("cannot read head commit " + req.head_commit + ": " + git_error_text());

  // The patched tree: the head tree with each fixed file's blob replaced.
  // Only the trees on the changed paths are rewritten (the same tree id as
  // reading the whole tree into an index and writing it back).
  std::vector<git_tree_update> updates;
  std::string patch_text;
  for (const auto& f : req.files) {
    git_oid old_id;
    blob_bytes blob;
    std::string read_error;
    if (!parse_oid(f.oid, old_id)) return fail("cannot read " + f.path + ": bad object id " + f.oid);
    if (!blob.load(repo.get(), old_id, read_error))
      return fail("cannot read " + f.path + " (" + f.oid + "): " + read_error);
    const std::string_view before = blob.view();
    uint32_t changed = 0;
    const std::string after = policy::apply_mechanical_fix(
      before, policy::mechanical_fix{f.strip_lines, f.add_final_newline}, &changed);
    if (changed == 0 || after == before) continue;
    git_oid new_id;
    if (git_blob_create_from_buffer(&new_id, repo.get(), after.data(), after.size()) != 0)
      return fail("cannot write the fixed " + f.path + ": " + git_error_text());
    git_tree_update update{};
    update.action = GIT_TREE_UPDATE_UPSERT;
    update.id = new_id;
    update.filemode =
      static_cast<git_filemode_t>(f.mode ? f.mode : static_cast<uint32_t>(GIT_FILEMODE_BLOB));
    update.path = f.path.c_str();
    updates.push_back(update);
    auto diff = policy::render_fix_diff(before, after, f.secret_lines);
    patch_text += patch_header(f.path, old_id, new_id, update.filemode);
    patch_text += diff.text;
    r.masked_lines += diff.masked;
    ++r.files_changed;
    r.lines_changed += changed;
  }

  git_oid tree_id;
  if (git_tree_create_updated(&tree_id, repo.get(), head_tree.get(), updates.size(),
                              updates.data()) != 0)
    return fail("cannot build the patched tree: " + git_error_text());
  r.new_tree = oid_hex(&tree_id);

  if (r.masked_lines > 0)
    patch_text = "# casm: " + std::to_string(r.masked_lines) +
                 " context line(s) holding secret findings are masked below, so this file "
                 "may not apply as is;\n# --write-branch carries the real change.\n" +
                 patch_text;
  // Durable with the record that names it, at the run's next durable point
  // (fix_result carries its digest, which a resume checks).
  if (auto err = supervisor::write_file_unsynced(artifacts_dir / "patch.diff", patch_text);
      !err.empty())
    return fail("cannot write patch.diff: " + err);
  r.patch_sha256 = codec::sha256_hex(patch_text);
  r.patch_bytes = patch_text.size();

  if (req.write_branch && r.files_changed > 0) {
    tree_ptr tree;
    git_signature* sig = nullptr;
    if (git_tree_lookup(tree.out(), repo.get(), &tree_id) != 0 ||
        git_signature_now(&sig, "casm", "casm@localhost") != 0)
      return fail("cannot prepare the commit: " + git_error_text());
    const git_commit* parents[] = {head.get()};
    git_oid commit_id;
    const std::string message = "casm: mechanical fixes from run " + req.run_id + "\n\n" +
                                std::to_string(r.lines_changed) + " line(s) in " +
                                std::to_string(r.files_changed) + " file(s).\n";
    int rc = git_commit_create(&commit_id, repo.get(), nullptr, sig, sig, nullptr,
                               message.c_str(), tree.get(), 1, parents);
    git_signature_free(sig);
    if (rc != 0) return fail("cannot create the fix commit: " + git_error_text());
    git_ptr<git_reference, git_reference_free> ref;
    const std::string refname = "refs/heads/" + req.branch;
    if (git_reference_create(ref.out(), repo.get(), refname.c_str(), &commit_id, 0,
                             "casm: write-branch") != 0)
      return fail("cannot create branch " + req.branch + ": " + git_error_text());
    r.new_commit = oid_hex(&commit_id);
    r.branch = req.branch;
  }
  if (mempack) git_mempack_reset(mempack);
  r.ok = true;
  return r;
}

protocol::fixer_actor::behavior_type fixer_agent(protocol::fixer_actor::pointer,
                                                 std::filesystem::path artifacts_dir) {
  return {
    [artifacts_dir](const fix_request& req) { return apply_fixes(req, artifacts_dir); },
  };
}

}  // namespace casm::agents
