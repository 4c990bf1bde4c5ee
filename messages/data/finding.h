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
