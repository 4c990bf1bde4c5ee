// The built-in content rule pack: what the reviewer looks for in file bytes.
//
// A rule pack is plain data. The scanner (scanner.h) compiles the pattern
// rules into one Hyperscan database; the computed rules (final newline,
// oversized) are evaluated by the scanner without a regex. The order of the
// rules is part of the pack: Hyperscan pattern ids are rule indices, and the
// pack hash covers the order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/data/finding.h"
#include "messages/data/vocabulary.h"

namespace casm::policy {

enum class rule_kind {
  pattern,              // a Hyperscan regex, matched within one line
  trailing_whitespace,  // the regex (which may end in '\n') only finds the
                        // lines; the span is found by a byte loop
  final_newline,        // computed: non-empty content not ending in '\n'
  oversized,            // computed: the file size is over max_file_bytes
};

struct rule {
  std::string id;      // stable: "<family>.<name>"
  std::string family;  // see messages/data/finding.h
  messages::severity level = messages::severity::info;
  rule_kind kind = rule_kind::pattern;
  // Hyperscan syntax, compiled with HS_FLAG_MULTILINE (and CASELESS when
  // `caseless`), never DOTALL. A pattern must not need to cross a line: the
  // scanner re-matches it on the single line to find the exact span, and a
  // match that exists only across lines is dropped.
  std::string pattern;
  std::string message;  // one sentence; never holds matched text
  bool secret = false;  // the matched span is masked in every preview
  bool caseless = false;
  bool fixable = false;
  // Shannon entropy (bits per byte) the candidate value must reach; 0 means
  // no gate. The candidate is the assigned value when `assigned_value`, else
  // the whole match.
  double min_entropy = 0;
  // The match is `name = "value"`: the value alone is the secret (masked,
  // entropy-gated, checked against stopwords), so previews keep the name.
  bool assigned_value = false;
  // Yields to the named rules: dropped when another secret rule matches an
  // overlapping span of the same line (a `token = "ghp_..."` line is one
  // github_pat finding, not two).
  bool fallback = false;
  // Lower-case words that mark a candidate value as a placeholder.
  std::vector<std::string> stopwords;
  // File name endings the rule applies to (".py"); empty means every file.
  std::vector<std::string> extensions;
  // Literals every match contains. Informational (Hyperscan already
  // prefilters on literals); shown by `explain` and hashed with the pack.
  std::vector<std::string> keywords;
};

// The built-in pack, in its fixed order.
const std::vector<rule>& builtin_rules();

// sha256 hex of the canonical serialization of `rules` (every field, in
// order, length-prefixed) plus the scanner's compile-mode version, so a cache
// or a log line can pin exactly which rules and semantics produced a result.
std::string rule_pack_hash(const std::vector<rule>& rules);

// What reports say about each rule (SARIF's rule list).
std::vector<messages::rule_info> rule_infos(const std::vector<rule>& rules);

// rule_pack_hash(builtin_rules()), computed once.
const std::string& rule_pack_hash();

// Index of the rule with `id`, or -1.
int find_rule(const std::vector<rule>& rules, std::string_view id);

}  // namespace casm::policy
