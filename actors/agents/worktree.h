// The disposable worktree: where a validation command runs (DESIGN.md,
// Secrets and the worktree). It lives in the system temp dir, never under
// $CASM_HOME; it is removed at the end of the run, and ones left by a dead
// process are removed at the next start. It is only created when a
// validation command will run.
//
// Its files are written straight from the object database: no checkout, so
// no filter, smudge, hook or .gitattributes processing can run, and no
// object is ever written to the user's repository.
//
// Everything here blocks (file system, libgit2): call it from a detached
// actor. Functions are thread-safe; a worktree object is not.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace casm::agents {

// casm-wt-<run_id>-XXXXXX/ holds `owner` (pid, start time and boot id of the
// creating process) and `tree/`, the export target and the sandbox's only
// writable place. The owner file sits outside `tree/`, so neither an
// exported file nor the command can replace it.
class worktree {
public:
  // mkdtemp under `temp_dir` (default: std::filesystem::temp_directory_path()).
  // `run_id` must be non-empty [A-Za-z0-9_-]. On failure: nullopt and one
  // sentence in `error`.
  static std::optional<worktree> create(const std::string& run_id, std::string* error);
  static std::optional<worktree> create(const std::string& run_id,
                                        const std::filesystem::path& temp_dir, std::string* error);

  worktree(worktree&& other) noexcept;
  worktree& operator=(worktree&& other) noexcept;
  worktree(const worktree&) = delete;
  worktree& operator=(const worktree&) = delete;
  ~worktree();  // remove(), errors ignored

  // The tree directory: export target and sandbox workdir.
  const std::filesystem::path& path() const { return tree_; }
  // The casm-wt-* directory.
  const std::filesystem::path& root() const { return root_; }

  // Removes the whole casm-wt-* directory, even where the command left
  // read-only directories. Idempotent. False with one sentence on failure.
  bool remove(std::string* error = nullptr);

private:
  worktree(std::filesystem::path root, std::filesystem::path tree)
      : root_(std::move(root)), tree_(std::move(tree)) {}
  std::filesystem::path root_, tree_;
};

// Removes the casm-wt-* directories in `temp_dir` (default: the system temp
// dir) whose owner process is gone: kill(pid, 0) fails with ESRCH, or the pid
// now names another process (start time or boot id differ). A directory with
// no readable owner file is removed only when over an hour old (a crash
// between mkdtemp and the owner write). Only directories of this user, never
// through a symlink. Returns how many were removed.
size_t remove_stale_worktrees();
size_t remove_stale_worktrees(const std::filesystem::path& temp_dir);

struct export_stats {
  uint64_t files = 0;  // regular files written (executables included)
  uint64_t executables = 0;
  uint64_t symlinks = 0;
  uint64_t directories = 0;         // below the destination
  uint64_t bytes = 0;               // file bytes written
  uint64_t submodules_skipped = 0;  // commit entries: an empty directory is made, as git does
  uint64_t symlinks_skipped = 0;    // targets that could leave the destination
  uint64_t overridden = 0;          // files written from overrides (new ones included)
  uint64_t deleted = 0;             // tree files left out by overrides
  std::vector<std::string> skipped_paths;  // submodules and skipped symlinks (bytes)
};

// New content for one path of an export.
struct file_content {
  std::string bytes;
  bool executable = false;
};
// Repository-relative path -> new content, or nullopt to leave the path out.
using tree_overrides = std::map<std::string, std::optional<file_content>>;

// Writes every blob of `tree_oid_hex` (40 hex digits of a tree, commit or
// tag) of the repository at `repo_path` into `dest` (created if missing; it
// must be empty). Regular files keep their exec bit (under the umask);
// symlinks stay symlinks, unless their target could resolve outside `dest`
// (then they are skipped and counted). A tree entry named "", ".", "..",
// ".git" (any case) or holding '/' fails the export, naming its path; so
// does a blob libgit2 cannot read. Directories are opened with O_NOFOLLOW
// relative to their parent, so nothing is ever written through a symlink.
// On failure `dest` is left partly written (the worktree removes it).
bool export_tree(const std::string& repo_path, const std::string& tree_oid_hex,
                 const std::filesystem::path& dest, export_stats* stats, std::string* error);

// export_tree() with `overrides` applied: an overridden path gets the given
// bytes and mode instead of its blob (a symlink or a new path becomes a
// regular file, parents created as needed); nullopt leaves it out. An
// override that names a directory of the tree, crosses a file, deletes a path
// the tree lacks, or is not a valid relative path fails the export. This is
// how head + a patch is materialized without writing objects.
bool export_tree_with_overrides(const std::string& repo_path, const std::string& tree_oid_hex,
                                const tree_overrides& overrides, const std::filesystem::path& dest,
                                export_stats* stats, std::string* error);

// A single tree entry name that may be written: not empty, ".", "..", ".git"
// (any case), and without '/'.
bool valid_entry_name(std::string_view name);

// Whether a symlink at `link_path` (relative to the destination, '/'
// separated) pointing at `target` resolves inside the destination whatever
// the other symlinks there point at: the target is relative, non-empty, and
// its ".." components all come first and climb no higher than the link's
// directory depth.
bool symlink_stays_inside(std::string_view link_path, std::string_view target);

}  // namespace casm::agents
