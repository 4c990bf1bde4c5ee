// Findings: what a reviewer reports about repository content. Plain data.
// A finding never holds the matched text of a secret: only its location, a
// fingerprint and a masked preview (DESIGN.md, Errors and bad input).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/vocabulary.h"

namespace casm::messages {

struct finding {
  std::string rule_id;   // stable, e.g. "secret.aws_access_key_id"
  std::string family;    // secret | risky_call | permission | conflict_marker |
                         // todo | debug | whitespace | final_newline | oversized
  severity level = severity::info;
  std::string path;      // repository-relative, bytes (may not be UTF-8)
  uint32_t line = 0;     // 1-based; 0 for whole-file findings
  uint32_t column = 0;   // 1-based byte column; 0 for whole-file findings
  uint32_t end_column = 0;
  std::string fingerprint;  // sha256 hex, stable across line moves (see scanner.h)
  std::string preview;      // masked; never a secret in clear
  std::string message;      // one sentence
  std::string commit;       // set in --history scans: the commit that added it
  bool secret = false;      // true for the secret family: extra masking applies
  bool fixable = false;     // the fixer can fix it mechanically
};

}  // namespace casm::messages

namespace casm::messages {

// What a report says about a rule (SARIF's tool.driver.rules): the part of a
// policy::rule that writers need, so that telemetry/ never includes policy/.
struct rule_info {
  std::string id;
  std::string family;
  severity level = severity::info;
  std::string message;
};

// A file the audit did not scan, or could not read, and why.
struct skipped_file {
  std::string path;    // bytes
  std::string reason;  // binary | oversized | allowlisted | unreadable | corrupt
  uint64_t bytes = 0;
  std::string detail;  // one sentence (e.g. libgit2's error for a corrupt object)
};

// What an audit covered; written beside the findings (issues.json, SARIF,
// report.md) so a reader knows what "no findings" means.
struct audit_scope {
  std::string tool_version;
  std::string rule_pack_hash;
  std::string run_id;        // empty for `casm scan`
  std::string mode;          // full | diff | history | files
  std::string repo;          // bytes; empty for `casm scan`
  std::string head_commit;   // empty for `casm scan`
  std::string base_commit;   // git's empty tree for a full audit
  uint64_t files_scanned = 0;
  uint64_t bytes_scanned = 0;
  uint64_t commits_scanned = 0;  // history mode
  std::vector<skipped_file> skipped;
  uint64_t suppressed_inline = 0;      // casm:allow comments
  uint64_t suppressed_allowlist = 0;   // fingerprints from the manifest / flags
  uint64_t suppressed_baseline = 0;    // fingerprints from --baseline
};

}  // namespace casm::messages
