// The disposable worktree (actors/agents/worktree.h): export of a tree
// without checkout machinery, overrides, and stale-worktree cleanup. Real git
// repositories are built with the git CLI in temp dirs.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "actors/agents/sandbox.h"
#include "actors/agents/worktree.h"
#include "tests/unit/test_util.h"

namespace casm::agents {
namespace {

namespace fs = std::filesystem;

const char* git_env =
    "export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=casm "
    "GIT_AUTHOR_EMAIL=casm@example.invalid GIT_COMMITTER_NAME=casm "
    "GIT_COMMITTER_EMAIL=casm@example.invalid GIT_AUTHOR_DATE=2020-01-01T00:00:00Z "
    "GIT_COMMITTER_DATE=2020-01-01T00:00:00Z; ";

// Runs `script` with sh in `dir`; its exit status.
int sh(const fs::path& dir, const std::string& script) {
  std::string cmd = std::string(git_env) + "cd '" + dir.string() + "' && " + script;
  return std::system(cmd.c_str());
}

// The first line of `script`'s stdout.
std::string sh_out(const fs::path& dir, const std::string& script) {
  std::string cmd = std::string(git_env) + "cd '" + dir.string() + "' && " + script;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[256] = {0};
  std::string out = fgets(buf, sizeof buf, p) ? buf : "";
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_executable(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXUSR);
}

// A repository with a file, an executable, binary bytes, symlinks (two that
// leave the tree) and a nested directory; returns HEAD's commit id.
std::string make_sample_repo(const fs::path& repo) {
  fs::create_directories(repo / "bin");
  fs::create_directories(repo / "sub" / "deep");
  test::spit(repo / "a.txt", "hello\n");
  test::spit(repo / "empty", "");
  test::spit(repo / "bin" / "run.sh", "#!/bin/sh\necho run\n");
  test::spit(repo / "sub" / "deep" / "x.bin", std::string("\0\1\2\xff\n", 5));
  EXPECT_EQ(sh(repo,
               "git init -q . && chmod +x bin/run.sh && ln -s a.txt link && "
               "ln -s ../a.txt sub/up && ln -s /etc/passwd abs && "
               "ln -s ../../outside sub/esc && git add -A && git commit -qm init"),
            0);
  return sh_out(repo, "git rev-parse HEAD");
}

TEST(WorktreeTest, ExportWritesBytesModesAndSymlinks) {
  test::temp_dir tmp;
  const std::string head = make_sample_repo(tmp.path() / "repo");
  ASSERT_EQ(head.size(), 40u);
  const fs::path out = tmp.path() / "out";
  export_stats st;
  std::string error;
  ASSERT_TRUE(export_tree((tmp.path() / "repo").string(), head, out, &st, &error)) << error;

  EXPECT_EQ(test::slurp(out / "a.txt"), "hello\n");
  EXPECT_EQ(test::slurp(out / "empty"), "");
  EXPECT_EQ(test::slurp(out / "sub" / "deep" / "x.bin"), std::string("\0\1\2\xff\n", 5));
  EXPECT_TRUE(is_executable(out / "bin" / "run.sh"));
  EXPECT_FALSE(is_executable(out / "a.txt"));
  ASSERT_TRUE(fs::is_symlink(out / "link"));
  EXPECT_EQ(fs::read_symlink(out / "link"), "a.txt");
  ASSERT_TRUE(fs::is_symlink(out / "sub" / "up"));
  EXPECT_EQ(fs::read_symlink(out / "sub" / "up"), "../a.txt");
  EXPECT_FALSE(fs::exists(fs::symlink_status(out / "abs")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(out / "sub" / "esc")));
  EXPECT_FALSE(fs::exists(out / ".git"));

  EXPECT_EQ(st.files, 4u);
  EXPECT_EQ(st.executables, 1u);
  EXPECT_EQ(st.symlinks, 2u);
  EXPECT_EQ(st.symlinks_skipped, 2u);
  EXPECT_EQ(st.directories, 3u);
  EXPECT_EQ(st.bytes, std::string("hello\n#!/bin/sh\necho run\n").size() + 5u);
  EXPECT_EQ(st.skipped_paths, (std::vector<std::string>{"abs", "sub/esc"}));

  // A tree id works as well as a commit id.
  const std::string tree = sh_out(tmp.path() / "repo", "git rev-parse HEAD^{tree}");
  ASSERT_TRUE(
      export_tree((tmp.path() / "repo").string(), tree, tmp.path() / "out2", nullptr, &error))
      << error;
  EXPECT_EQ(test::slurp(tmp.path() / "out2" / "a.txt"), "hello\n");
}

TEST(WorktreeTest, ExportRunsNoFilter) {
  test::temp_dir tmp;
  const fs::path repo = tmp.path() / "repo";
  const fs::path pwned = tmp.path() / ("casm-pwned-" + std::to_string(::getpid()));
  fs::create_directories(repo);
  test::spit(repo / ".gitattributes", "* filter=evil\n");
  test::spit(repo / "f.txt", "raw bytes\n");
  ASSERT_EQ(sh(repo, "git init -q . && git config filter.evil.smudge 'touch " + pwned.string() +
                         "; cat' && git add -A && git commit -qm init"),
            0);
  const std::string head = sh_out(repo, "git rev-parse HEAD");
  std::string error;
  ASSERT_TRUE(export_tree(repo.string(), head, tmp.path() / "out", nullptr, &error)) << error;
  EXPECT_FALSE(fs::exists(pwned));
  EXPECT_EQ(test::slurp(tmp.path() / "out" / "f.txt"), "raw bytes\n");
  EXPECT_EQ(test::slurp(tmp.path() / "out" / ".gitattributes"), "* filter=evil\n");

  // The control: a real checkout does run the filter.
  ASSERT_EQ(sh(repo, "rm f.txt && git checkout -q -- f.txt"), 0);
  EXPECT_TRUE(fs::exists(pwned));
}

TEST(WorktreeTest, EntryNamesAndSymlinkTargetsAreChecked) {
  for (const char* bad : {"", ".", "..", ".git", ".GIT", ".Git", "a/b"})
    EXPECT_FALSE(valid_entry_name(bad)) << bad;
  EXPECT_FALSE(valid_entry_name(std::string("a\0b", 3)));
  for (const char* good : {"a", ".gitignore", ".github", "..a", "git", "...", ".git2"})
    EXPECT_TRUE(valid_entry_name(good)) << good;

  EXPECT_TRUE(symlink_stays_inside("link", "a.txt"));
  EXPECT_TRUE(symlink_stays_inside("link", "./a/b"));
  EXPECT_TRUE(symlink_stays_inside("d/link", "../a.txt"));
  EXPECT_TRUE(symlink_stays_inside("d/e/link", "../../x/y"));
  EXPECT_FALSE(symlink_stays_inside("link", "../x"));
  EXPECT_FALSE(symlink_stays_inside("d/link", "../../x"));
  EXPECT_FALSE(symlink_stays_inside("link", "/etc/passwd"));
  EXPECT_FALSE(symlink_stays_inside("link", ""));
  // ".." after a name could climb out of a directory symlink: refused.
  EXPECT_FALSE(symlink_stays_inside("a/b/link", "q/.."));
  EXPECT_FALSE(symlink_stays_inside("link", std::string("a\0b", 3)));
}

// A tree git itself would refuse, written with `hash-object --literally`.
std::string literal_tree(const fs::path& repo, const std::string& name, const std::string& mode,
                         const std::string& child_hex) {
  std::string raw = mode + " " + name + '\0';
  for (size_t i = 0; i < child_hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(child_hex.substr(i, 2), nullptr, 16));
  test::spit(repo / "raw-tree", raw);
  return sh_out(repo, "git hash-object -t tree --literally -w raw-tree");
}

TEST(WorktreeTest, ExportRejectsUnsafeEntryNames) {
  test::temp_dir tmp;
  const fs::path repo = tmp.path() / "repo";
  fs::create_directories(repo);
  ASSERT_EQ(sh(repo, "git init -q ."), 0);
  const std::string blob = sh_out(repo, "echo pwned | git hash-object -w --stdin");
  const std::string inner = literal_tree(repo, "x", "100644", blob);
  struct bad_case {
    std::string name, mode, child;
  };
  for (const bad_case& c : {bad_case{"..", "40000", inner}, bad_case{".git", "40000", inner},
                            bad_case{".GIT", "40000", inner}, bad_case{"..", "100644", blob},
                            bad_case{"a/b", "100644", blob}}) {
    const std::string tree = literal_tree(repo, c.name, c.mode, c.child);
    ASSERT_EQ(tree.size(), 40u);
    // Nested one level down too: the error names the full path.
    const std::string outer = literal_tree(repo, "top", "40000", tree);
    const fs::path out = tmp.path() / ("out-" + outer);
    std::string error;
    EXPECT_FALSE(export_tree(repo.string(), outer, out, nullptr, &error)) << c.name;
    EXPECT_NE(error.find("'top/" + c.name + "'"), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(out / "x"));
    EXPECT_FALSE(fs::exists(out / "top" / ".git"));
  }
}

TEST(WorktreeTest, CorruptBlobFailsNamingItsPath) {
  test::temp_dir tmp;
  const fs::path repo = tmp.path() / "repo";
  fs::create_directories(repo / "src");
  test::spit(repo / "src" / "ok.txt", "fine\n");
  test::spit(repo / "src" / "bad.txt", "this blob will be corrupted\n");
  ASSERT_EQ(sh(repo, "git init -q . && git add -A && git commit -qm init"), 0);
  const std::string head = sh_out(repo, "git rev-parse HEAD");
  const std::string blob = sh_out(repo, "git rev-parse HEAD:src/bad.txt");
  const fs::path object = repo / ".git" / "objects" / blob.substr(0, 2) / blob.substr(2);
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  test::spit(object, "not zlib at all");
  std::string error;
  EXPECT_FALSE(export_tree(repo.string(), head, tmp.path() / "out", nullptr, &error));
  EXPECT_NE(error.find("'src/bad.txt'"), std::string::npos) << error;
  EXPECT_NE(error.find(blob), std::string::npos) << error;
}

TEST(WorktreeTest, ExportRejectsBadInput) {
  test::temp_dir tmp;
  const std::string head = make_sample_repo(tmp.path() / "repo");
  const std::string repo = (tmp.path() / "repo").string();
  std::string error;
  EXPECT_FALSE(export_tree(repo, "HEAD", tmp.path() / "o1", nullptr, &error));
  EXPECT_NE(error.find("40 hex"), std::string::npos) << error;
  EXPECT_FALSE(export_tree(repo, std::string(40, 'a'), tmp.path() / "o2", nullptr, &error));
  EXPECT_NE(error.find("not in the repository"), std::string::npos) << error;
  EXPECT_FALSE(
      export_tree((tmp.path() / "nope").string(), head, tmp.path() / "o3", nullptr, &error));
  fs::create_directories(tmp.path() / "o4");
  test::spit(tmp.path() / "o4" / "stale", "x");
  EXPECT_FALSE(export_tree(repo, head, tmp.path() / "o4", nullptr, &error));
  EXPECT_NE(error.find("not empty"), std::string::npos) << error;
}

TEST(WorktreeTest, OverridesReplaceAddAndDelete) {
  test::temp_dir tmp;
  const std::string head = make_sample_repo(tmp.path() / "repo");
  const std::string repo = (tmp.path() / "repo").string();
  tree_overrides ov;
  ov["a.txt"] = file_content{"patched\n", false};
  ov["bin/run.sh"] = file_content{"#!/bin/sh\necho patched\n", true};
  ov["empty"] = std::nullopt;
  ov["new/dir/tool.sh"] = file_content{"#!/bin/sh\n", true};
  ov["link"] = file_content{"now a file\n", false};
  export_stats st;
  std::string error;
  const fs::path out = tmp.path() / "out";
  ASSERT_TRUE(export_tree_with_overrides(repo, head, ov, out, &st, &error)) << error;
  EXPECT_EQ(test::slurp(out / "a.txt"), "patched\n");
  EXPECT_EQ(test::slurp(out / "bin" / "run.sh"), "#!/bin/sh\necho patched\n");
  EXPECT_TRUE(is_executable(out / "bin" / "run.sh"));
  EXPECT_FALSE(fs::exists(out / "empty"));
  EXPECT_EQ(test::slurp(out / "new" / "dir" / "tool.sh"), "#!/bin/sh\n");
  EXPECT_TRUE(is_executable(out / "new" / "dir" / "tool.sh"));
  EXPECT_FALSE(fs::is_symlink(out / "link"));
  EXPECT_EQ(test::slurp(out / "link"), "now a file\n");
  EXPECT_EQ(test::slurp(out / "sub" / "deep" / "x.bin"), std::string("\0\1\2\xff\n", 5));
  EXPECT_EQ(st.overridden, 4u);
  EXPECT_EQ(st.deleted, 1u);
  // The user's repository gained no object and its work tree is untouched.
  EXPECT_EQ(test::slurp(tmp.path() / "repo" / "a.txt"), "hello\n");
  EXPECT_EQ(sh_out(tmp.path() / "repo", "git status --porcelain | wc -l"), "0");
}

TEST(WorktreeTest, BadOverridesFail) {
  test::temp_dir tmp;
  const std::string head = make_sample_repo(tmp.path() / "repo");
  const std::string repo = (tmp.path() / "repo").string();
  struct bad_case {
    std::string path;
    std::optional<file_content> content;
    std::string says;
  };
  int n = 0;
  for (const bad_case& c :
       {bad_case{"../x", file_content{"x", false}, "not a safe relative path"},
        bad_case{"/abs", file_content{"x", false}, "not a safe relative path"},
        bad_case{"a//b", file_content{"x", false}, "not a safe relative path"},
        bad_case{".git/config", file_content{"x", false}, "not a safe relative path"},
        bad_case{"sub", file_content{"x", false}, "names a directory"},
        bad_case{"a.txt/x", file_content{"x", false}, "crosses"},
        bad_case{"link/x", file_content{"x", false}, "crosses"},
        bad_case{"missing.txt", std::nullopt, "does not have"}}) {
    tree_overrides ov{{c.path, c.content}};
    std::string error;
    EXPECT_FALSE(export_tree_with_overrides(repo, head, ov, tmp.path() / std::to_string(n++),
                                            nullptr, &error))
        << c.path;
    EXPECT_NE(error.find(c.says), std::string::npos) << c.path << ": " << error;
  }
}

// --- the worktree directory ---------------------------------------------------

TEST(WorktreeTest, CreateAndRemove) {
  test::temp_dir tmp;
  std::string error;
  fs::path root, tree;
  {
    auto wt = worktree::create("01HRUNID", tmp.path(), &error);
    ASSERT_TRUE(wt) << error;
    root = wt->root();
    tree = wt->path();
    EXPECT_EQ(root.parent_path(), tmp.path());
    EXPECT_EQ(root.filename().string().rfind("casm-wt-01HRUNID-", 0), 0u);
    EXPECT_EQ(tree, root / "tree");
    EXPECT_TRUE(fs::is_directory(tree));
    EXPECT_TRUE(fs::is_empty(tree));
    const std::string owner = test::slurp(root / "owner");
    EXPECT_NE(owner.find("pid " + std::to_string(::getpid()) + "\n"), std::string::npos) << owner;
    // What a command leaves behind, read-only directories included, goes too.
    fs::create_directories(tree / "ro" / "inner");
    test::spit(tree / "ro" / "inner" / "f", "x");
    fs::permissions(tree / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    worktree moved = std::move(*wt);
    EXPECT_EQ(moved.root(), root);
  }
  EXPECT_FALSE(fs::exists(root));
}

TEST(WorktreeTest, DefaultLocationIsTheSystemTempDir) {
  std::string error;
  auto wt = worktree::create("casm-unit-default", &error);
  ASSERT_TRUE(wt) << error;
  EXPECT_EQ(wt->root().parent_path(), fs::temp_directory_path());
  EXPECT_TRUE(wt->remove(&error)) << error;
  EXPECT_TRUE(wt->remove(&error));  // idempotent
}

TEST(WorktreeTest, BadRunIdIsRefused) {
  test::temp_dir tmp;
  std::string error;
  for (const char* bad : {"", "../x", "a/b", "a b"}) {
    EXPECT_FALSE(worktree::create(bad, tmp.path(), &error)) << bad;
    EXPECT_NE(error.find("run id"), std::string::npos) << error;
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status;
  ::waitpid(pid, &status, 0);
  return pid;
}

void fake_worktree(const fs::path& dir, const std::string& owner) {
  fs::create_directories(dir / "tree" / "sub");
  test::spit(dir / "tree" / "sub" / "file", "x");
  if (!owner.empty()) test::spit(dir / "owner", owner);
}

TEST(WorktreeTest, RemoveStaleWorktreesRemovesOnlyDeadOwners) {
  test::temp_dir tmp;
  std::string error;
  auto live = worktree::create("live", tmp.path(), &error);
  ASSERT_TRUE(live) << error;
  const std::string boot = test::slurp("/proc/sys/kernel/random/boot_id");
  fake_worktree(tmp.path() / "casm-wt-dead-aaaaaa",
                "casm-worktree 1\npid " + std::to_string(dead_pid()) + "\nstart 1\nboot x\n");
  // Our own pid, but another start time: the pid was reused.
  fake_worktree(tmp.path() / "casm-wt-reused-bbbbbb",
                "casm-worktree 1\npid " + std::to_string(::getpid()) + "\nstart 1\nboot " + boot);
  // Fresh and without an owner file: maybe being created right now.
  fake_worktree(tmp.path() / "casm-wt-fresh-cccccc", "");
  // Not ours by name.
  fake_worktree(tmp.path() / "other-dddddd",
                "casm-worktree 1\npid " + std::to_string(dead_pid()) + "\n");
  // A symlink named like a worktree is never followed or removed.
  fs::create_directories(tmp.path() / "target");
  fs::create_symlink(tmp.path() / "target", tmp.path() / "casm-wt-link-eeeeee");

  EXPECT_EQ(remove_stale_worktrees(tmp.path()), 2u);
  EXPECT_FALSE(fs::exists(tmp.path() / "casm-wt-dead-aaaaaa"));
  EXPECT_FALSE(fs::exists(tmp.path() / "casm-wt-reused-bbbbbb"));
  EXPECT_TRUE(fs::exists(tmp.path() / "casm-wt-fresh-cccccc"));
  EXPECT_TRUE(fs::exists(tmp.path() / "other-dddddd"));
  EXPECT_TRUE(fs::is_symlink(tmp.path() / "casm-wt-link-eeeeee"));
  EXPECT_TRUE(fs::exists(tmp.path() / "target"));
  EXPECT_TRUE(fs::is_directory(live->path()));
  EXPECT_EQ(remove_stale_worktrees(tmp.path()), 0u);
}

TEST(WorktreeTest, ValidationRunsInAnExportedWorktree) {
  if (!bwrap_available()) GTEST_SKIP() << "bubblewrap cannot run here";
  test::temp_dir tmp;
  const std::string head = make_sample_repo(tmp.path() / "repo");
  std::string error;
  auto wt = worktree::create("e2e", tmp.path(), &error);
  ASSERT_TRUE(wt) << error;
  ASSERT_TRUE(export_tree((tmp.path() / "repo").string(), head, wt->path(), nullptr, &error))
      << error;
  sandbox_spec s;
  s.command = "bin/run.sh";
  s.allow_commands = {"bin/run.sh"};
  s.workdir = wt->path();
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "passed") << o.reason << o.output;
  EXPECT_EQ(o.output, "run\n");
  // The owner file is outside the command's reach.
  s.command = s.allow_commands[0] = "rm ../owner";
  o = run_validation_command(s);
  EXPECT_EQ(o.status, "failed");
  EXPECT_TRUE(fs::exists(wt->root() / "owner"));
}

}  // namespace
}  // namespace casm::agents
