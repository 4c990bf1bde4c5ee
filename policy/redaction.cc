#include "policy/redaction.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <stdexcept>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "policy/rule_pack.h"
#include "policy/scanner.h"

namespace casm::policy {
namespace {

using messages::finding;

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

// The built-in secret rules without their gates (entropy, stopwords,
// extensions, fallback): redaction masks what a preview would mask.
const scanner& redaction_scanner() {
  static const scanner s = [] {
    std::vector<rule> rules;
    for (const rule& r : builtin_rules()) {
      if (!r.secret || r.kind != rule_kind::pattern) continue;
      rule g = r;
      g.min_entropy = 0;
      g.stopwords.clear();
      g.extensions.clear();
      g.fallback = false;
      rules.push_back(std::move(g));
    }
    std::string error;
    auto compiled = scanner::compile(std::move(rules), &error);
    if (!compiled) throw std::logic_error("the redaction rules do not compile: " + error);
    return *compiled;
  }();
  return s;
}

constexpr std::string_view private_key_rule = "secret.private_key";
constexpr std::string_view pem_end = "-----END";

// A line of a PEM body after its header: base64, or a `Name: value` header.
bool pem_body_line(std::string_view t) {
  auto b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/' || c == '=';
  };
  if (std::all_of(t.begin(), t.end(), b64)) return true;
  size_t colon = t.find(": ");
  return colon != std::string_view::npos && colon > 0 &&
         std::all_of(t.begin(), t.begin() + colon,
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                         c == '-'; });
}

// Appends `text` to `out` with its secrets masked; `text` is small enough for
// one scan (under 4 GiB).
void redact_chunk(std::string_view text, std::string& out) {
  const scanner& s = redaction_scanner();
  scan_options options;
  options.max_file_bytes = 0;
  options.skip_binary = false;
  // A blanked copy: same offsets, no `casm:allow` directive, and every span
  // found so far overwritten with spaces, which no secret rule matches, so a
  // rescan finds the next match of the same rule on the line.
  std::string work(text);
  for (size_t p = 0; (p = work.find("casm:allow", p)) != std::string::npos; p += 10)
    work[p + 4] = '_';
  std::vector<finding> first = s.scan("", work, options);
  if (first.empty()) {
    out.append(text);
    return;
  }
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < work.size(); ++i)
    if (work[i] == '\n') starts.push_back(i + 1);
  auto line_end = [&](size_t index) {
    return index + 1 < starts.size() ? starts[index + 1] - 1 : work.size();
  };
  std::map<uint32_t, std::vector<finding>> by_line;
  for (auto& f : first)
    if (f.line > 0) by_line[f.line].push_back(std::move(f));

  std::vector<byte_span> masked;
  std::vector<size_t> open_keys;  // line indices of key headers with no END on their line
  for (auto& [line_no, line_findings] : by_line) {
    const size_t index = line_no - 1;
    const size_t ls = starts[index], le = line_end(index);
    std::vector<finding> current = std::move(line_findings);
    while (!current.empty()) {
      bool progress = false;
      for (const finding& f : current) {
        byte_span sp{ls + f.column - 1, ls + f.end_column - 1};
        const int ri = find_rule(s.rules(), f.rule_id);
        if (ri >= 0 && s.rules()[static_cast<size_t>(ri)].assigned_value) {
          byte_span v = assigned_value_span(std::string_view(work).substr(sp.begin, sp.end - sp.begin));
          sp = {sp.begin + v.begin, sp.begin + v.end};
        }
        if (f.rule_id == private_key_rule) {
          // The body may follow on the same line (an escaped "\n" in JSON).
          size_t end = std::string_view(work).substr(0, le).find(pem_end, sp.end);
          if (end == std::string_view::npos) {
            end = le;
            open_keys.push_back(index);
          }
          sp.end = std::max(sp.end, end);
        }
        if (sp.begin >= sp.end) continue;
        for (size_t i = sp.begin; i < sp.end; ++i) {
          if (work[i] != ' ') progress = true;
          work[i] = ' ';
        }
        masked.push_back(sp);
      }
      if (!progress) break;
      current = s.scan("", std::string_view(work).substr(ls, le - ls), options);
    }
  }
  for (size_t index : open_keys) {
    for (size_t k = index + 1; k < starts.size(); ++k) {
      std::string_view line = std::string_view(text).substr(starts[k], line_end(k) - starts[k]);
      std::string_view t = trim_whitespace(line);
      if (t.find(pem_end) != std::string_view::npos || !pem_body_line(t)) break;
      if (t.empty()) continue;
      const size_t b = starts[k] + static_cast<size_t>(t.data() - line.data());
      masked.push_back({b, b + t.size()});
    }
  }

  masked = normalize(std::move(masked), text.size());
  size_t i = 0;
  for (const byte_span& sp : masked) {
    out.append(text.substr(i, sp.begin - i));
    out += mask_secret(text.substr(sp.begin, sp.end - sp.begin));
    i = sp.end;
  }
  out.append(text.substr(i));
}

}  // namespace

std::string redact_text(std::string_view text) {
  // Hyperscan takes 32-bit lengths: very large text is redacted in chunks cut
  // after a '\n' (secret rules never cross a line).
  constexpr size_t chunk_bytes = size_t{1} << 30;
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  while (!text.empty()) {
    size_t n = text.size();
    if (n > chunk_bytes) {
      size_t nl = text.rfind('\n', chunk_bytes - 1);
      n = nl == std::string_view::npos ? chunk_bytes : nl + 1;
    }
    redact_chunk(text.substr(0, n), out);
    text.remove_prefix(n);
  }
  return codec::display_text(out);
}

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
