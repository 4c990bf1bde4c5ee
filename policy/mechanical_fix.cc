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

namespace casm::policy {
namespace {

struct text_line {
  std::string_view body;  // without '\n'
  bool newline = false;
};

std::vector<text_line> split_lines(std::string_view s) {
  std::vector<text_line> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.push_back({s.substr(pos), false});
      break;
    }
    out.push_back({s.substr(pos, nl - pos), true});
    pos = nl + 1;
  }
  return out;
}

constexpr uint32_t context = 3;
constexpr std::string_view mask_marker = "[casm: this line holds a secret finding and is masked]";

}  // namespace

fix_diff render_fix_diff(std::string_view before, std::string_view after,
                         const std::vector<uint32_t>& mask_lines) {
  fix_diff out;
  const auto a = split_lines(before);
  const auto b = split_lines(after);
  const size_t n = std::min(a.size(), b.size());
  std::vector<size_t> changed;
  for (size_t i = 0; i < n; ++i)
    if (a[i].body != b[i].body || a[i].newline != b[i].newline) changed.push_back(i);
  auto masked = [&](size_t i) {
    return std::binary_search(mask_lines.begin(), mask_lines.end(), static_cast<uint32_t>(i + 1));
  };
  auto emit = [&](char origin, const text_line& l, bool mask) {
    out.text += origin;
    if (mask) {
      out.text += mask_marker;
      ++out.masked;
    } else {
      out.text.append(l.body);
    }
    out.text += '\n';
    if (!l.newline) out.text += "\\ No newline at end of file\n";
  };
  size_t k = 0;
  while (k < changed.size()) {
    // One hunk: changes whose context windows touch or overlap.
    size_t first = changed[k] >= context ? changed[k] - context : 0;
    size_t j = k;
    while (j + 1 < changed.size() && changed[j + 1] <= changed[j] + 2 * context) ++j;
    size_t last = std::min(n - 1, changed[j] + context);
    const size_t len = last - first + 1;
    out.text += "@@ -" + std::to_string(first + 1) + "," + std::to_string(len) + " +" +
                std::to_string(first + 1) + "," + std::to_string(len) + " @@\n";
    for (size_t i = first; i <= last;) {
      if (!std::binary_search(changed.begin() + k, changed.begin() + j + 1, i)) {
        emit(' ', a[i], masked(i));
        ++i;
        continue;
      }
      size_t run_end = i;
      while (run_end + 1 <= last &&
             std::binary_search(changed.begin() + k, changed.begin() + j + 1, run_end + 1))
        ++run_end;
      for (size_t r = i; r <= run_end; ++r) emit('-', a[r], false);
      for (size_t r = i; r <= run_end; ++r) emit('+', b[r], false);
      i = run_end + 1;
    }
    k = j + 1;
  }
  return out;
}

}  // namespace casm::policy
