// Reads what the policy gate scores from a repository: the changed files of
// base..head with their added and removed lines and hunk digests, and the
// before/after texts of the dependency files the diff touches
// (policy/diff_facts.h, policy/risk.h).
//
// BLOCKING libgit2 work: call it from a detached actor or the CLI's main
// thread, never from an event-based actor. It reads the object database
// only (no checkout, no work tree, no attributes), so no hook, filter,
// smudge or diff driver can run. One repository handle per call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/diff_facts.h"
#include "policy/ruleset.h"

namespace casm::agents {

struct diff_facts {
  std::string repo_path;    // the resolved repository (work tree or bare dir)
  std::string base_commit;  // git's empty tree when no base was given
  std::string head_commit;
  int64_t head_time = 0;    // head's commit time, seconds since the epoch
  // Every changed file, in the diff's order (by path), renames detected.
  // A file whose content could not be scored has readable = false and an
  // unreadable_reason: "binary", "oversized (N bytes, over max_file_bytes M)",
  // "corrupt object <oid>: ..." or "submodule". Its hunks hold a sha256 of
  // each hunk's text (zero context lines), computed as ingest does.
  std::vector<policy::changed_file> files;
  // One per changed file that policy::is_dependency_file() names (by its new
  // or old path), with the texts of the sides where it exists. Left out when
  // a side exists but cannot be read: its changes are then unknown, and the
  // file is unreadable above.
  std::vector<policy::dependency_manifest> manifests;
};

// Fills `out` with the facts of base_rev..head_rev in the repository at
// exactly `repo_path` (no search upwards). An empty base_rev means git's
// empty tree (everything at head is added). A blob larger than
// max_file_bytes is not read (0: no limit). Precondition: `rs` came from
// policy::parse_ruleset() (its globs compile).
//
// On failure returns false and sets `error` to one sentence naming the
// repository and revision: "unknown revision 'X' in repository 'Y'",
// "'Y' is not a git repository (...)", "repository 'Y' is empty ...".
// Content problems (binary, oversized, corrupt blobs) are not failures: they
// mark the file unreadable, which the gate treats as UNREADABLE_CHANGE.
bool read_diff_facts(const std::string& repo_path, const std::string& base_rev,
                     const std::string& head_rev, const policy::ruleset& rs,
                     uint64_t max_file_bytes, diff_facts& out, std::string& error);

}  // namespace casm::agents
