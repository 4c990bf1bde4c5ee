#include "policy/mechanical_fix.h"

#include <algorithm>

namespace casm::policy {

std::string apply_mechanical_fix(std::string_view content, const mechanical_fix& fix,
                                 uint32_t* lines_changed) {
  std::string out;
  out.reserve(content.size() + 1);
  uint32_t changed = 0;
  uint32_t line = 1;
  size_t next_strip = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    const bool has_nl = nl != std::string_view::npos;
    size_t end = has_nl ? nl : content.size();
    std::string_view body = content.substr(pos, end - pos);
    while (next_strip < fix.strip_lines.size() && fix.strip_lines[next_strip] < line) ++next_strip;
    if (next_strip < fix.strip_lines.size() && fix.strip_lines[next_strip] == line) {
      const bool cr = !body.empty() && body.back() == '\r';
      std::string_view text = cr ? body.substr(0, body.size() - 1) : body;
      size_t keep = text.find_last_not_of(" \t");
      text = keep == std::string_view::npos ? std::string_view{} : text.substr(0, keep + 1);
      if (text.size() + (cr ? 1 : 0) != body.size()) ++changed;
      out.append(text);
      if (cr) out.push_back('\r');
    } else {
      out.append(body);
    }
    if (has_nl) out.push_back('\n');
    pos = has_nl ? nl + 1 : content.size();
    ++line;
  }
  if (fix.add_final_newline && !out.empty() && out.back() != '\n') {
    out.push_back('\n');
    // The last line changed unless it was already counted as stripped.
    const uint32_t last = line - 1;
    if (!std::binary_search(fix.strip_lines.begin(), fix.strip_lines.end(), last)) ++changed;
  }
  if (lines_changed) *lines_changed = changed;
  return out;
}

}  // namespace casm::policy
