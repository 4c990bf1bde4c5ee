#include "actors/agents/git_access.h"

#include <unistd.h>

#include <list>
#include <mutex>
#include <utility>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"

namespace casm::agents {

std::string git_error_text() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

std::string oid_hex(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

bool parse_oid(std::string_view hex, git_oid& out) {
  return hex.size() == GIT_OID_HEXSZ && git_oid_fromstrn(&out, hex.data(), hex.size()) == 0;
}

bool open_repository(const std::string& path, repo_ptr& out, std::string& error) {
  if (git_repository_open_ext(out.out(), path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) {
    error = "cannot open repository '" + path + "': " + git_error_text();
    return false;
  }
  return true;
}

namespace {

struct repo_pool {
  std::mutex mu;
  std::list<std::pair<std::string, git_repository*>> idle;  // front: returned last

  static repo_pool& instance() {
    static auto* pool = new repo_pool;  // never destroyed: leases may end at exit
    return *pool;
  }

  git_repository* take(const std::string& path) {
    git_repository* found = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto it = idle.begin(); it != idle.end(); ++it)
        if (it->first == path) {
          found = it->second;
          idle.erase(it);
          break;
        }
    }
    // Removed or replaced since it was returned: open it again.
    if (found && ::access(git_repository_path(found), F_OK) != 0) {
      git_repository_free(found);
      found = nullptr;
    }
    return found;
  }

  // Kept under the path ingest reports as the run's repo_path (the work
  // tree, or the git directory of a bare repository), which every later
  // agent of the run asks for.
  void give(git_repository* repo) {
    const char* where = git_repository_is_bare(repo) ? git_repository_path(repo)
                                                      : git_repository_workdir(repo);
    if (!where) {
      git_repository_free(repo);
      return;
    }
    git_repository* evicted = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      idle.emplace_front(where, repo);
      if (idle.size() > repo_pool_max_idle) {
        evicted = idle.back().second;
        idle.pop_back();
      }
    }
    if (evicted) git_repository_free(evicted);
  }
};

}  // namespace

repo_lease::~repo_lease() { release(); }

repo_lease::repo_lease(repo_lease&& other) noexcept
    : repo_(other.repo_), keep_(other.keep_) {
  other.repo_ = nullptr;
}

repo_lease& repo_lease::operator=(repo_lease&& other) noexcept {
  if (this != &other) {
    release();
    repo_ = other.repo_;
    keep_ = other.keep_;
    other.repo_ = nullptr;
  }
  return *this;
}

void repo_lease::release() {
  if (!repo_) return;
  if (keep_)
    repo_pool::instance().give(repo_);
  else
    git_repository_free(repo_);
  repo_ = nullptr;
  keep_ = true;
}

bool open_repository(const std::string& path, repo_lease& out, std::string& error) {
  out.release();
  if (git_repository* idle = repo_pool::instance().take(path)) {
    out.repo_ = idle;
    return true;
  }
  repo_ptr opened;
  if (!open_repository(path, opened, error)) return false;
  out.repo_ = opened.p;
  opened.p = nullptr;
  return true;
}

size_t repo_pool_idle() {
  auto& pool = repo_pool::instance();
  std::lock_guard<std::mutex> lock(pool.mu);
  return pool.idle.size();
}

void repo_pool_drain() {
  auto& pool = repo_pool::instance();
  std::list<std::pair<std::string, git_repository*>> idle;
  {
    std::lock_guard<std::mutex> lock(pool.mu);
    idle.swap(pool.idle);
  }
  for (auto& entry : idle) git_repository_free(entry.second);
}

std::string quoted(const std::string& bytes) { return "'" + codec::display_text(bytes) + "'"; }

bool resolve_commit(git_repository* repo, const std::string& rev, const std::string& repo_name,
                    commit_ptr& out, std::string& error) {
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

bool has_any_reference(git_repository* repo) {
  git_reference_iterator* it = nullptr;
  if (git_reference_iterator_new(&it, repo) != 0) return true;
  git_reference* ref = nullptr;
  const bool any = git_reference_next(&ref, it) == 0;
  if (ref) git_reference_free(ref);
  git_reference_iterator_free(it);
  return any;
}

bool read_hunk(git_patch* patch, size_t h, messages::hunk_info& info,
               const std::function<void(const git_diff_line&)>& on_line, std::string& error) {
  const git_diff_hunk* hunk = nullptr;
  size_t lines = 0;
  if (git_patch_get_hunk(&hunk, &lines, patch, h) != 0) {
    error = git_error_text();
    return false;
  }
  info.old_start = static_cast<uint32_t>(hunk->old_start);
  info.old_lines = static_cast<uint32_t>(hunk->old_lines);
  info.new_start = static_cast<uint32_t>(hunk->new_start);
  info.new_lines = static_cast<uint32_t>(hunk->new_lines);
  codec::sha256 digest;
  digest.update(std::string_view(hunk->header, hunk->header_len));
  for (size_t l = 0; l < lines; ++l) {
    const git_diff_line* line = nullptr;
    if (git_patch_get_line_in_hunk(&line, patch, h, l) != 0) {
      error = git_error_text();
      return false;
    }
    digest.update(std::string_view(&line->origin, 1));
    digest.update(std::string_view(line->content, line->content_len));
    on_line(*line);
  }
  info.sha256 = digest.finish_hex();
  return true;
}

}  // namespace casm::agents
