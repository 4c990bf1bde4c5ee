#include "actors/agents/git_access.h"

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
