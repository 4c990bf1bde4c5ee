#include "actors/agents/git_access.h"

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

}  // namespace casm::agents
