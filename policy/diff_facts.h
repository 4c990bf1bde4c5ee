// What the risk scorer is given: the facts of one diff (base..head, or the
// swarm's own patch), as plain data. policy/ reads no files: the caller
// (ingest, the fixer) fills these from git.
//
// Paths are repository-relative with '/' separators, as raw bytes (they may
// not be UTF-8). Line texts exclude their '\n'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace casm::policy {

enum class change_status { added, modified, deleted, renamed };

inline std::string_view to_string(change_status s) {
  switch (s) {
    case change_status::added: return "added";
    case change_status::modified: return "modified";
    case change_status::deleted: return "deleted";
    case change_status::renamed: return "renamed";
  }
  return "modified";
}

struct added_line {
  uint32_t line = 0;  // 1-based, in the new version of the file
  std::string text;
};

struct changed_file {
  std::string path;      // the new path (the old one for a deletion)
  change_status status = change_status::modified;
  std::string old_path;  // set for renames
  // False when ingest could not read the change (corrupt object, over the
  // size limit, binary): its content was not scored, which gates
  // (UNREADABLE_CHANGE).
  bool readable = true;
  std::string unreadable_reason;  // one phrase: "binary", "oversized", ...
  std::vector<added_line> added_lines;
  // The removed side's lines, used only to recognise a line the patch just
  // re-whitespaces (DESIGN.md, What the gate scores).
  std::vector<std::string> removed_lines;
};

// A dependency manifest or lockfile the diff touches, with both versions'
// texts. nullopt: the file does not exist on that side.
struct dependency_manifest {
  std::string path;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

}  // namespace casm::policy
