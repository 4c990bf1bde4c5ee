// Mechanical fixes as a pure text transform: strip the trailing whitespace of
// given lines, add a missing final newline. The fixer applies it to make the
// patch, and the validator applies the same function to materialize the
// patched tree, so both see the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace casm::policy {

struct mechanical_fix {
  std::vector<uint32_t> strip_lines;  // 1-based, sorted
  bool add_final_newline = false;
};

// Returns the fixed content and how many lines changed. Lines not listed are
// left byte-for-byte; "\r\n" endings keep their "\r" (only spaces and tabs
// before it go).
std::string apply_mechanical_fix(std::string_view content, const mechanical_fix& fix,
                                 uint32_t* lines_changed = nullptr);

}  // namespace casm::policy

namespace casm::policy {

struct fix_diff {
  std::string text;      // the hunks ("@@ ..." onwards) of a unified diff
  uint32_t masked = 0;   // context lines replaced by the mask marker
};

// The unified diff (3 lines of context) of a mechanical fix: `before` and
// `after` have the same lines, only their trailing blanks and the final
// newline differ, so the hunks are known without a diff algorithm. Context
// lines listed in `mask_lines` (lines holding a secret finding) are replaced
// by a marker, which `patch` then cannot apply: the caller says so.
fix_diff render_fix_diff(std::string_view before, std::string_view after,
                         const std::vector<uint32_t>& mask_lines);

}  // namespace casm::policy
