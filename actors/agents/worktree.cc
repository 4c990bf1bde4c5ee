#include "actors/agents/worktree.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "messages/codec/json_text.h"

namespace casm::agents {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view dir_prefix = "casm-wt-";
constexpr const char* owner_file = "owner";
constexpr const char* tree_dir = "tree";
constexpr std::string_view owner_magic = "casm-worktree 1";
// A casm-wt-* directory without an owner file is left alone this long: its
// creator may be between mkdtemp and writing the owner file.
constexpr time_t ownerless_grace_s = 3600;
// Each level holds one directory descriptor while its children are written.
constexpr int max_tree_depth = 200;

std::string display_quote(std::string_view bytes) { return "'" + codec::display_text(bytes) + "'"; }

std::string read_small_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string boot_id() {
  static const std::string id = [] {
    std::string s = read_small_file("/proc/sys/kernel/random/boot_id");
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }();
  return id;
}

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or ""
// when unreadable. The command name (field 2) may hold spaces and ')'.
std::string process_start_time(pid_t pid) {
  std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream in(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i)
    if (!(in >> field)) return "";
  return field;
}

struct owner_record {
  pid_t pid = 0;
  std::string start;
  std::string boot;
};

std::optional<owner_record> read_owner(const fs::path& root) {
  int fd = ::open((root / owner_file).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  std::istringstream in(std::string(buf, static_cast<size_t>(n)));
  std::string line;
  if (!std::getline(in, line) || line != owner_magic) return std::nullopt;
  owner_record r;
  std::string key, value;
  while (in >> key >> value) {
    if (key == "pid")
      r.pid = static_cast<pid_t>(std::strtol(value.c_str(), nullptr, 10));
    else if (key == "start")
      r.start = value;
    else if (key == "boot")
      r.boot = value;
  }
  if (r.pid <= 0) return std::nullopt;
  return r;
}

bool owner_alive(const owner_record& r) {
  if (!r.boot.empty() && !boot_id().empty() && r.boot != boot_id()) return false;
  if (::kill(r.pid, 0) != 0 && errno == ESRCH) return false;
  // The pid exists; it is the owner only if it started when the owner did.
  if (!r.start.empty()) {
    std::string now = process_start_time(r.pid);
    if (!now.empty() && now != r.start) return false;
  }
  return true;
}

// Gives the owner back rwx on every directory below `dir` (a command may
// leave read-only directories, which remove_all cannot empty). Never follows
// a symlink.
void make_removable(const fs::path& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  ::chmod(dir.c_str(), 0700);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->symlink_status(ec).type() == fs::file_type::directory) make_removable(it->path());
}

bool remove_directory(const fs::path& root, std::string* error) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(root, ec))) return true;
  fs::remove_all(root, ec);
  if (ec) {
    make_removable(root);
    ec.clear();
    fs::remove_all(root, ec);
  }
  if (ec) {
    if (error)
      *error = "cannot remove the worktree " + display_quote(root.string()) + ": " + ec.message();
    return false;
  }
  return true;
}

bool valid_run_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

// --- export ------------------------------------------------------------------

template <class T, void (*Free)(T*)>
struct git_ptr {
  T* p = nullptr;
  git_ptr() = default;
  git_ptr(const git_ptr&) = delete;
  git_ptr& operator=(const git_ptr&) = delete;
  ~git_ptr() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};

struct libgit2_session {
  libgit2_session() { git_libgit2_init(); }
  ~libgit2_session() { git_libgit2_shutdown(); }
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

struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f) : fd(f) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Splits a repository-relative override path; false when a component is
// not a valid entry name (this also rejects "", leading, doubled and
// trailing '/').
bool split_path(const std::string& path, std::vector<std::string>& parts) {
  parts.clear();
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!valid_entry_name(part)) return false;
    parts.push_back(std::move(part));
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

class tree_exporter {
public:
  tree_exporter(git_repository* repo, const tree_overrides& overrides, export_stats& stats,
                std::string& error)
      : repo_(repo), overrides_(overrides), stats_(stats), error_(error) {}

  bool write_tree(const git_tree* tree, int dirfd, const std::string& prefix, int depth) {
    if (depth > max_tree_depth)
      return fail("the tree at " + display_quote(prefix) + " is nested deeper than " +
                  std::to_string(max_tree_depth) + " directories, so the export stopped");
    const size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree, i);
      const std::string name = git_tree_entry_name(e);
      const std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (!valid_entry_name(name))
        return fail("the tree entry " + display_quote(path) +
                    " is not a safe path (empty, '.', '..', '.git' or holding '/'), so the "
                    "export stopped");
      const git_filemode_t mode = git_tree_entry_filemode(e);
      auto ov = overrides_.find(path);
      if (mode == GIT_FILEMODE_TREE) {
        if (ov != overrides_.end())
          return fail("the override " + display_quote(path) + " names a directory of the tree");
        git_ptr<git_tree, git_tree_free> sub;
        if (git_tree_lookup(sub.out(), repo_, git_tree_entry_id(e)) != 0)
          return fail("cannot read the tree " + oid_hex(git_tree_entry_id(e)) + " at " +
                      display_quote(path) + ": " + git_error_text());
        if (::mkdirat(dirfd, name.c_str(), 0777) != 0)
          return fail_errno("cannot create the directory", path);
        fd_guard child(
            ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (child.fd < 0) return fail_errno("cannot open the directory", path);
        ++stats_.directories;
        if (!write_tree(sub.get(), child.fd, path, depth + 1)) return false;
        continue;
      }
      if (ov != overrides_.end()) {
        consumed_.insert(path);
        if (!ov->second) {
          ++stats_.deleted;
          continue;
        }
        if (!write_file(dirfd, name, path, ov->second->bytes, ov->second->executable)) return false;
        ++stats_.overridden;
        continue;
      }
      switch (mode) {
        case GIT_FILEMODE_BLOB:
        case GIT_FILEMODE_BLOB_EXECUTABLE: {
          git_ptr<git_blob, git_blob_free> blob;
          if (!read_blob(e, path, blob)) return false;
          std::string_view bytes(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                 static_cast<size_t>(git_blob_rawsize(blob.get())));
          if (!write_file(dirfd, name, path, bytes, mode == GIT_FILEMODE_BLOB_EXECUTABLE))
            return false;
          break;
        }
        case GIT_FILEMODE_LINK: {
          git_ptr<git_blob, git_blob_free> blob;
          if (!read_blob(e, path, blob)) return false;
          std::string target(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                             static_cast<size_t>(git_blob_rawsize(blob.get())));
          if (!symlink_stays_inside(path, target)) {
            ++stats_.symlinks_skipped;
            stats_.skipped_paths.push_back(path);
            break;
          }
          if (::symlinkat(target.c_str(), dirfd, name.c_str()) != 0)
            return fail_errno("cannot create the symlink", path);
          ++stats_.symlinks;
          break;
        }
        case GIT_FILEMODE_COMMIT:
          if (::mkdirat(dirfd, name.c_str(), 0777) != 0)
            return fail_errno("cannot create the submodule directory", path);
          ++stats_.submodules_skipped;
          stats_.skipped_paths.push_back(path);
          break;
        default:
          return fail("the tree entry " + display_quote(path) + " has the unknown mode " +
                      std::to_string(static_cast<int>(mode)) + ", so the export stopped");
      }
    }
    return true;
  }

  // Overrides the walk did not meet: new files.
  bool write_new_files(int destfd) {
    std::vector<std::string> parts;
    for (const auto& [path, content] : overrides_) {
      if (consumed_.count(path)) continue;
      if (!content)
        return fail("the override deletes " + display_quote(path) +
                    ", which the tree does not have");
      split_path(path, parts);  // validated up front
      int dirfd = destfd;
      std::vector<std::unique_ptr<fd_guard>> opened;
      std::string sofar;
      for (size_t k = 0; k + 1 < parts.size(); ++k) {
        sofar += (k ? "/" : "") + parts[k];
        int fd = ::openat(dirfd, parts[k].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
          if (::mkdirat(dirfd, parts[k].c_str(), 0777) != 0)
            return fail_errno("cannot create the directory", sofar);
          ++stats_.directories;
          fd = ::openat(dirfd, parts[k].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0)
          return fail("the override " + display_quote(path) + " crosses " + display_quote(sofar) +
                      ", which is not a directory of the tree");
        opened.push_back(std::make_unique<fd_guard>(fd));
        dirfd = fd;
      }
      if (!write_file(dirfd, parts.back(), path, content->bytes, content->executable)) return false;
      ++stats_.overridden;
    }
    return true;
  }

private:
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  bool fail_errno(const std::string& what, const std::string& path) {
    return fail(what + " " + display_quote(path) + ": " + std::strerror(errno));
  }

  bool read_blob(const git_tree_entry* e, const std::string& path,
                 git_ptr<git_blob, git_blob_free>& blob) {
    if (git_blob_lookup(blob.out(), repo_, git_tree_entry_id(e)) == 0) return true;
    return fail("cannot read the blob " + oid_hex(git_tree_entry_id(e)) + " of " +
                display_quote(path) + " (corrupt or missing object): " + git_error_text());
  }

  bool write_file(int dirfd, const std::string& name, const std::string& path,
                  std::string_view bytes, bool executable) {
    fd_guard fd(::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         executable ? 0777 : 0666));
    if (fd.fd < 0) return fail_errno("cannot create the file", path);
    if (!write_all(fd.fd, bytes.data(), bytes.size()))
      return fail_errno("cannot write the file", path);
    const int rc = ::close(fd.fd);
    fd.fd = -1;
    if (rc != 0) return fail_errno("cannot write the file", path);
    ++stats_.files;
    if (executable) ++stats_.executables;
    stats_.bytes += bytes.size();
    return true;
  }

  git_repository* repo_;
  const tree_overrides& overrides_;
  export_stats& stats_;
  std::string& error_;
  std::set<std::string> consumed_;
};

bool is_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace

// --- worktree ----------------------------------------------------------------

std::optional<worktree> worktree::create(const std::string& run_id, std::string* error) {
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec) {
    if (error) *error = "there is no usable temp directory for the worktree: " + ec.message();
    return std::nullopt;
  }
  return create(run_id, tmp, error);
}

std::optional<worktree> worktree::create(const std::string& run_id, const fs::path& temp_dir,
                                         std::string* error) {
  auto fail = [&](std::string why) -> std::optional<worktree> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (!valid_run_id(run_id))
    return fail("the run id " + display_quote(run_id) +
                " cannot name a worktree (it must be 1-128 letters, digits, '_' or '-')");
  std::string tmpl = (temp_dir / (std::string(dir_prefix) + run_id + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    return fail("cannot create a worktree in " + display_quote(temp_dir.string()) + ": " +
                std::strerror(errno));
  worktree wt(tmpl, fs::path(tmpl) / tree_dir);  // removes itself if what follows fails

  const std::string record = std::string(owner_magic) + "\npid " + std::to_string(::getpid()) +
                             "\nstart " + process_start_time(::getpid()) + "\nboot " + boot_id() +
                             "\n";
  {
    fd_guard fd(::open((wt.root_ / owner_file).c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    bool ok = fd.fd >= 0 && write_all(fd.fd, record.data(), record.size());
    if (ok) {
      ok = ::close(fd.fd) == 0;
      fd.fd = -1;
    }
    if (!ok)
      return fail("cannot write the owner file of the worktree " + display_quote(tmpl) + ": " +
                  std::strerror(errno));
  }
  if (::mkdir(wt.tree_.c_str(), 0777) != 0)
    return fail("cannot create " + display_quote(wt.tree_.string()) + ": " + std::strerror(errno));
  return std::optional<worktree>(std::move(wt));
}

worktree::worktree(worktree&& other) noexcept
    : root_(std::move(other.root_)), tree_(std::move(other.tree_)) {
  other.root_.clear();
  other.tree_.clear();
}

worktree& worktree::operator=(worktree&& other) noexcept {
  if (this != &other) {
    remove();
    root_ = std::move(other.root_);
    tree_ = std::move(other.tree_);
    other.root_.clear();
    other.tree_.clear();
  }
  return *this;
}

worktree::~worktree() { remove(); }

bool worktree::remove(std::string* error) {
  if (root_.empty()) return true;
  if (!remove_directory(root_, error)) return false;
  root_.clear();
  return true;
}

size_t remove_stale_worktrees() {
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  return ec ? 0 : remove_stale_worktrees(tmp);
}

size_t remove_stale_worktrees(const fs::path& temp_dir) {
  size_t removed = 0;
  std::error_code ec;
  const time_t now = std::time(nullptr);
  for (fs::directory_iterator it(temp_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, dir_prefix.size(), dir_prefix) != 0) continue;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
      continue;
    std::optional<owner_record> owner = read_owner(it->path());
    const bool stale = owner ? !owner_alive(*owner) : now - st.st_mtime > ownerless_grace_s;
    if (stale && remove_directory(it->path(), nullptr)) ++removed;
  }
  return removed;
}

// --- export ------------------------------------------------------------------

bool valid_entry_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return false;
  if (name.size() == 4) {
    std::string lower(name);
    for (auto& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower == ".git") return false;
  }
  return true;
}

bool symlink_stays_inside(std::string_view link_path, std::string_view target) {
  if (target.empty() || target.front() == '/' || target.find('\0') != std::string_view::npos)
    return false;
  const auto depth = static_cast<size_t>(std::count(link_path.begin(), link_path.end(), '/'));
  size_t ups = 0;
  bool named = false;  // a normal component was seen: no ".." may follow
  size_t start = 0;
  while (start <= target.size()) {
    size_t slash = target.find('/', start);
    if (slash == std::string_view::npos) slash = target.size();
    std::string_view part = target.substr(start, slash - start);
    if (part == "..") {
      if (named) return false;
      ++ups;
    } else if (!part.empty() && part != ".") {
      named = true;
    }
    start = slash + 1;
  }
  return ups <= depth;
}

bool export_tree_with_overrides(const std::string& repo_path, const std::string& tree_oid_hex,
                                const tree_overrides& overrides, const fs::path& dest,
                                export_stats* stats, std::string* error) {
  std::string local_error;
  std::string& err = error ? *error : local_error;
  export_stats local_stats;
  export_stats& st = stats ? *stats : local_stats;
  auto fail = [&](std::string why) {
    err = std::move(why);
    return false;
  };

  std::vector<std::string> parts;
  for (const auto& [path, content] : overrides)
    if (!split_path(path, parts))
      return fail("the override path " + display_quote(path) +
                  " is not a safe relative path (an empty, '.', '..' or '.git' component)");
  if (tree_oid_hex.size() != GIT_OID_HEXSZ || !is_hex(tree_oid_hex))
    return fail("the tree id " + display_quote(tree_oid_hex) + " is not 40 hex digits");

  libgit2_session session;
  git_ptr<git_repository, git_repository_free> repo;
  if (git_repository_open_ext(repo.out(), repo_path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                              nullptr) != 0)
    return fail("cannot open the repository " + display_quote(repo_path) + ": " + git_error_text());
  git_oid oid;
  if (git_oid_fromstr(&oid, tree_oid_hex.c_str()) != 0)
    return fail("the tree id " + display_quote(tree_oid_hex) + " is not 40 hex digits");
  git_ptr<git_object, git_object_free> obj;
  if (git_object_lookup(obj.out(), repo.get(), &oid, GIT_OBJECT_ANY) != 0)
    return fail("the object " + tree_oid_hex + " is not in the repository " +
                display_quote(repo_path) + ": " + git_error_text());
  git_ptr<git_object, git_object_free> tree;
  if (git_object_peel(tree.out(), obj.get(), GIT_OBJECT_TREE) != 0)
    return fail("the object " + tree_oid_hex + " in " + display_quote(repo_path) +
                " is not a tree or a commit: " + git_error_text());

  std::error_code ec;
  fs::create_directories(dest, ec);
  fd_guard destfd(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (destfd.fd < 0)
    return fail("cannot open the export directory " + display_quote(dest.string()) + ": " +
                std::strerror(errno));
  {
    int probe = ::dup(destfd.fd);
    DIR* d = probe >= 0 ? ::fdopendir(probe) : nullptr;
    if (!d) {
      if (probe >= 0) ::close(probe);
      return fail("cannot list the export directory " + display_quote(dest.string()));
    }
    bool empty = true;
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
    ::closedir(d);
    if (!empty)
      return fail("the export directory " + display_quote(dest.string()) + " is not empty");
  }

  tree_exporter exporter(repo.get(), overrides, st, err);
  return exporter.write_tree(reinterpret_cast<const git_tree*>(tree.get()), destfd.fd, "", 0) &&
         exporter.write_new_files(destfd.fd);
}

bool export_tree(const std::string& repo_path, const std::string& tree_oid_hex,
                 const fs::path& dest, export_stats* stats, std::string* error) {
  return export_tree_with_overrides(repo_path, tree_oid_hex, {}, dest, stats, error);
}

}  // namespace casm::agents
