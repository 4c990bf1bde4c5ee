#include "actors/node/clone_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <git2.h>

#include "actors/agents/git_access.h"
#include "messages/codec/digest.h"

namespace casm::node {

namespace fs = std::filesystem;

bool is_git_url(const std::string& t) {
  for (const char* scheme : {"https://", "http://", "ssh://", "git://", "file://"})
    if (t.rfind(scheme, 0) == 0) return true;
  // scp-like: user@host:path (no slash before the colon)
  auto at = t.find('@'), colon = t.find(':');
  return at != std::string::npos && colon != std::string::npos && at < colon &&
         t.find('/') > colon;
}

namespace {

bool has_all(git_repository* repo, const std::vector<std::string>& oids) {
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo) != 0) return false;
  bool ok = true;
  for (const auto& hex : oids) {
    git_oid oid;
    if (!agents::parse_oid(hex, oid) || !git_odb_exists(odb, &oid)) {
      ok = false;
      break;
    }
  }
  git_odb_free(odb);
  return ok;
}

struct file_lock {
  int fd = -1;
  explicit file_lock(const fs::path& p) {
    fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::flock(fd, LOCK_EX);
  }
  ~file_lock() {
    if (fd >= 0) ::close(fd);  // releases the flock
  }
};

}  // namespace

std::string ensure_clone(const fs::path& cache, const std::string& url,
                         const std::vector<std::string>& oids, std::string& error, bool* fetched) {
  std::error_code e;
  fs::create_directories(cache, e);
  if (e) {
    error = "cannot create the clone cache " + cache.string() + ": " + e.message();
    return "";
  }
  const std::string key = codec::sha256_hex(url).substr(0, 32);
  const fs::path dir = cache / (key + ".git");
  file_lock lock(cache / (key + ".lock"));
  agents::repo_ptr repo;
  if (fs::exists(dir / "HEAD", e)) {
    if (git_repository_open_bare(repo.out(), dir.c_str()) != 0) {
      error = "the cached clone " + dir.string() + " cannot be opened: " + agents::git_error_text();
      return "";
    }
    if (!oids.empty() && has_all(repo.get(), oids)) return dir.string();
    git_remote* remote = nullptr;
    if (git_remote_lookup(&remote, repo.get(), "origin") != 0 ||
        git_remote_fetch(remote, nullptr, nullptr, "casm fetch") != 0) {
      error = "cannot fetch " + url + ": " + agents::git_error_text();
      if (remote) git_remote_free(remote);
      return "";
    }
    git_remote_free(remote);
    if (fetched) *fetched = true;
  } else {
    fs::remove_all(dir, e);  // a clone cut short before
    git_clone_options opts;
    git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
    opts.bare = 1;
    if (git_clone(repo.out(), url.c_str(), dir.c_str(), &opts) != 0) {
      error = "cannot clone " + url + ": " + agents::git_error_text();
      fs::remove_all(dir, e);
      return "";
    }
    if (fetched) *fetched = true;
  }
  if (!oids.empty() && !has_all(repo.get(), oids)) {
    error = url + " does not hold the pinned objects (was its history rewritten?)";
    return "";
  }
  return dir.string();
}

}  // namespace casm::node
