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

#include "messages/data/audit.h"
#include "messages/data/risk.h"

namespace casm::policy {

// change_status is plain data shared with the run log (messages/data/risk.h).
using messages::change_status;
using messages::parse_change_status;
using messages::to_string;

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
  // The diff's hunks (zero context lines), when the caller has them: a
  // pattern hit on an added line then carries the digest of the hunk that
  // added it (its new_start..new_start+new_lines-1 range) as evidence,
  // rather than the digest of the line alone.
  std::vector<messages::hunk_info> hunks;
};

// A dependency manifest or lockfile the diff touches, with both versions'
// texts. nullopt: the file does not exist on that side.
struct dependency_manifest {
  std::string path;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

}  // namespace casm::policy
