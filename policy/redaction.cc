#include "policy/redaction.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"

namespace casm::policy {
namespace {

constexpr size_t preview_bytes = 120;
// Context kept before the match when a long line is cut.
constexpr size_t preview_lead = 40;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Moves `i` back to the first byte of the UTF-8 sequence it falls in (at most
// 3 steps, so invalid input cannot make it walk far).
size_t utf8_floor(std::string_view s, size_t i, size_t lo) {
  for (int k = 0; k < 3 && i > lo && i < s.size() && is_continuation(s[i]); ++k) --i;
  return i;
}

// Sorted, merged, clipped to the line.
std::vector<byte_span> normalize(std::vector<byte_span> spans, size_t size) {
  std::vector<byte_span> out;
  for (auto& s : spans) {
    s.end = std::min(s.end, size);
    if (s.begin < s.end) out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const byte_span& a, const byte_span& b) { return a.begin < b.begin; });
  std::vector<byte_span> merged;
  for (const auto& s : out) {
    if (!merged.empty() && s.begin < merged.back().end)
      merged.back().end = std::max(merged.back().end, s.end);
    else
      merged.push_back(s);
  }
  return merged;
}

}  // namespace

std::string_view trim_whitespace(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string mask_secret(std::string_view value) {
  if (value.size() < 8) return "****";
  size_t keep = utf8_floor(value, 4, 0);
  return codec::display_text(value.substr(0, keep)) + "****(" + std::to_string(value.size()) +
         " chars)";
}

double shannon_entropy(std::string_view bytes) {
  if (bytes.empty()) return 0;
  std::array<uint32_t, 256> counts{};
  for (unsigned char c : bytes) ++counts[c];
  const double n = static_cast<double>(bytes.size());
  double h = 0;
  for (uint32_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

std::string masked_preview(std::string_view line, size_t match_start, size_t match_end,
                           bool secret, const std::vector<byte_span>& secret_spans) {
  std::vector<byte_span> spans = secret_spans;
  if (secret) spans.push_back({match_start, match_end});
  spans = normalize(std::move(spans), line.size());

  size_t lo = 0, hi = line.size();
  while (lo < hi && is_space(line[lo])) ++lo;
  while (hi > lo && is_space(line[hi - 1])) --hi;

  size_t ws = lo, we = hi;
  if (hi - lo > preview_bytes) {
    size_t want = match_start > lo + preview_lead ? match_start - preview_lead : lo;
    ws = std::min(want, hi - preview_bytes);
    ws = utf8_floor(line, ws, lo);
    we = utf8_floor(line, std::min(hi, ws + preview_bytes), ws);
  }

  std::string out;
  out.reserve(we - ws + 32);
  if (ws > lo) out += "...";
  size_t i = ws;
  auto span_it = spans.begin();
  while (i < we) {
    while (span_it != spans.end() && span_it->end <= i) ++span_it;
    if (span_it != spans.end() && span_it->begin <= i) {
      // Mask the whole span, even the part outside the window: a cut must
      // never turn the tail of a secret into clear text.
      out += mask_secret(line.substr(span_it->begin, span_it->end - span_it->begin));
      i = span_it->end;
      continue;
    }
    size_t stop = span_it != spans.end() ? std::min(we, span_it->begin) : we;
    out += codec::display_text(line.substr(i, stop - i));
    i = stop;
  }
  if (std::max(i, we) < hi) out += "...";
  return out;
}

std::string finding_fingerprint(std::string_view rule_id, std::string_view path,
                                std::string_view matched, std::string_view line) {
  std::string buf;
  std::string_view trimmed = trim_whitespace(line);
  buf.reserve(rule_id.size() + path.size() + matched.size() + trimmed.size() + 3);
  buf.append(rule_id);
  buf += '\0';
  buf.append(path);
  buf += '\0';
  buf.append(matched);
  buf += '\0';
  buf.append(trimmed);
  return codec::sha256_hex(buf);
}

byte_span assigned_value_span(std::string_view matched) {
  size_t op = matched.find_first_of(":=");
  if (op == std::string_view::npos) return {0, matched.size()};
  size_t i = op;
  while (i < matched.size() && (matched[i] == ':' || matched[i] == '=' || matched[i] == '>' ||
                                matched[i] == ' ' || matched[i] == '\t'))
    ++i;
  if (i < matched.size() && (matched[i] == '"' || matched[i] == '\'')) {
    size_t close = matched.find(matched[i], i + 1);
    return {i + 1, close == std::string_view::npos ? matched.size() : close};
  }
  size_t end = matched.find_first_of(" \t\r\"',;)]}>", i);
  return {i, end == std::string_view::npos ? matched.size() : end};
}

}  // namespace casm::policy
