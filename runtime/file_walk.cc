#include "runtime/file_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace casm::runtime {

void file_list::add_root(const std::string& root, bool root_is_dir) {
  if (!root_is_dir) {
    push(root, 0);
    return;
  }
  std::string path = root;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  // Names below the root start after its '/'; a root of "/" already ends in one.
  const size_t rel_start = path == "/" ? 1 : path.size() + 1;
  walk(path, rel_start);
}

void file_list::push(const std::string& path, size_t rel_start) {
  entries_.push_back({arena_.size(), static_cast<uint32_t>(rel_start),
                      static_cast<uint32_t>(path.size())});
  arena_.append(path);
  arena_.push_back('\0');
}

// Reads the whole directory before descending, so the walk holds one
// directory handle at a time whatever the depth.
void file_list::walk(std::string& path, size_t rel_start) {
  DIR* dir = ::opendir(path.c_str());
  if (!dir) {
    const size_t from = std::min(rel_start, path.size());
    unreadable_.push_back({from < path.size() ? path.substr(from) : path, std::strerror(errno)});
    return;
  }
  const size_t base = path.size();
  std::vector<std::string> subdirs;
  while (dirent* e = ::readdir(dir)) {
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(::dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
    }
    if (type == DT_DIR) {
      if (std::strcmp(name, ".git") != 0) subdirs.emplace_back(name);
    } else if (type == DT_REG) {
      path.resize(base);
      if (base > 0 && path.back() != '/') path += '/';
      path += name;
      push(path, rel_start);
    }
    // Symlinks, sockets, FIFOs and devices are not content: skipped.
  }
  ::closedir(dir);
  for (const auto& name : subdirs) {
    path.resize(base);
    if (base > 0 && path.back() != '/') path += '/';
    path += name;
    walk(path, rel_start);
  }
  path.resize(base);
}

}  // namespace casm::runtime
