// What a finding may say about the bytes it points at (DESIGN.md, Errors and
// bad input): a masked preview, an entropy figure and a fingerprint, never a
// secret in clear. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace casm::policy {

// A half-open byte range [begin, end) inside one line.
struct byte_span {
  size_t begin = 0;
  size_t end = 0;
};

// "AKIA****(20 chars)": at most the first 4 bytes (cut back to a UTF-8
// boundary, escaped by codec::display_text), then the length in bytes. A value
// shorter than 8 bytes shows nothing but "****".
std::string mask_secret(std::string_view value);

// Shannon entropy in bits per byte (0 for an empty value; at most 8).
double shannon_entropy(std::string_view bytes);

// A one-line preview of `line` (without its '\n') for a finding at
// [match_start, match_end):
//  - leading and trailing whitespace are trimmed;
//  - at most 120 source bytes are kept, a window that shows the match, with
//    "..." where the line was cut;
//  - every span in `secret_spans`, and the match itself when `secret`, is
//    replaced by mask_secret() of the whole span, even when the window cuts it;
//  - the result is valid UTF-8 (codec::display_text for other bytes).
// Callers pass the spans of every secret on the line, so a TODO that shares a
// line with a token never shows it.
std::string masked_preview(std::string_view line, size_t match_start, size_t match_end,
                           bool secret, const std::vector<byte_span>& secret_spans = {});

// sha256_hex(rule_id \0 path \0 matched \0 line), with the line's leading and
// trailing whitespace trimmed. It has no line number, so it is stable when
// the line moves; allowlists and caches key on it.
std::string finding_fingerprint(std::string_view rule_id, std::string_view path,
                                std::string_view matched, std::string_view line);

// The value of an assignment match such as `password = "s3cr3t"` or
// `"api_key": "x"`, relative to `matched`: after the first ':' or '=', inside
// the quotes if quoted, else up to whitespace or a delimiter. The whole match
// when there is no operator.
byte_span assigned_value_span(std::string_view matched);

// `text` (free text such as a command's output) with every match of a secret
// rule of the built-in pack replaced by mask_secret() of the match (of the
// value, for `name = value` rules), everything else kept. Unlike a scan it
// masks every match, not the leftmost per line, ignores the entropy gates,
// stopwords and `casm:allow` comments (output must not be able to unmask
// itself), and masks the body of a private key that follows its header.
// The result is valid UTF-8 (codec::display_text).
std::string redact_text(std::string_view text);

// `s` without leading and trailing ASCII whitespace (' ', \t, \r, \n, \v, \f).
std::string_view trim_whitespace(std::string_view s);

}  // namespace casm::policy
