// The content scanner: a rule pack compiled once into a Hyperscan block-mode
// database, run over bytes the caller has read (policy/ does no I/O).
//
// How a scan works (DESIGN.md, Scanning speed facts):
//  1. one hs_scan over the whole buffer, without SOM (3x faster). A match
//     event gives only the END offset, recorded as (rule, end) - at most one
//     per rule per line, so the hot path does no per-byte work of its own;
//  2. line numbers are counted only up to matched offsets, in order;
//  3. for each matched line, each rule that hit it is re-run on that line
//     alone, with a per-rule database compiled lazily WITH
//     HS_FLAG_SOM_LEFTMOST. That gives the exact span. Then the entropy gate,
//     stopwords, `casm:allow` comments and masking are applied.
//
// Lines are split on '\n'. A line's bytes exclude its '\n'; a '\r' before it
// stays part of the line. Columns are 1-based byte offsets into the line;
// `end_column` is exclusive (SARIF's endColumn): a match of the first 20
// bytes of a line has column 1, end_column 21.
//
// Errors: compile() and deserialize() return them as values. scan() throws
// std::runtime_error only when Hyperscan itself fails (no memory for
// scratch space).
//
// Thread-safety: a scanner is immutable after construction, cheap to copy
// (copies share the compiled databases) and safe to use from many threads at
// once. Each thread keeps its own Hyperscan scratch (thread_local), grown to
// fit every database it has scanned with.
#pragma once

#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/data/finding.h"
#include "policy/rule_pack.h"

namespace casm::policy {

struct scan_options {
  // A file over this size gets one `oversized.file` finding and its content
  // is not scanned. 0 means no limit. The manifest's analyze.max_file_bytes.
  uint64_t max_file_bytes = 1 << 20;
  // The file's real size when the caller did not read all of it (it may pass
  // an empty `content`). Unset: content.size().
  std::optional<uint64_t> file_size;
  // Binary content (looks_binary) yields no findings.
  bool skip_binary = true;
  // When set, incremented once for each finding that a `casm:allow` comment
  // silenced (after the rule's gates passed), so a report can say how many
  // findings inline comments hid (audit_scope.suppressed_inline). The caller
  // owns the counter; one per thread.
  uint64_t* suppressed_inline = nullptr;
};

// git's heuristic: a NUL byte in the first 8000 bytes.
bool looks_binary(std::string_view content);

// Lines as an editor counts them: one per '\n', plus a last line that has
// none. Eight bytes at a time (this runs over every scanned byte).
uint64_t count_lines(std::string_view content);

// The rule a `casm:allow` comment on `line` silences:
//  - `casm:allow` alone (or followed by words without a '.') allows every rule;
//  - `casm:allow rule.id` or `casm:allow(rule.id)` allows that rule only.
// True when some comment on the line allows `rule_id`.
bool allowed_by_comment(std::string_view line, std::string_view rule_id);

class scanner {
public:
  // Compiles `rules`. On a bad pattern returns nullopt and sets `error` to
  // one sentence naming the rule id and Hyperscan's reason.
  static std::optional<scanner> compile(std::vector<rule> rules, std::string* error);

  // The process-wide scanner for `rules`, keyed by rule_pack_hash(): compiled
  // (or deserialized from `serialized`, when it is a serialize() blob of the
  // same pack and this Hyperscan) on first use, shared afterwards.
  static std::optional<scanner> for_pack(const std::vector<rule>& rules, std::string* error,
                                         std::string_view serialized = {});

  // Where compiled packs persist between processes. policy/ does no I/O:
  // the runtime installs these (runtime/scanner_cache.cc keeps one file per
  // pack hash). for_pack() asks `load` before compiling, and hands `save`
  // every pack it had to compile. Either may be empty. `load` returns ""
  // when it has nothing; a blob that fails to deserialize is compiled over.
  struct pack_store {
    std::function<std::string(const std::string& pack_hash)> load;
    std::function<void(const std::string& pack_hash, const std::string& serialized)> save;
  };
  static void set_pack_store(pack_store store);

  // for_pack(builtin_rules()). The built-in pack always compiles (tested).
  static const scanner& builtin();

  // The compiled multi-pattern database, prefixed with the pack hash, for a
  // cache the caller stores keyed by pack_hash(). Hyperscan blobs are
  // specific to its version and the CPU features it was compiled for.
  std::string serialize() const;

  // Rebuilds a scanner from serialize() output. Fails (nullopt, `error` set)
  // when the blob is for another pack or Hyperscan rejects it; the caller
  // then compiles.
  static std::optional<scanner> deserialize(std::vector<rule> rules, std::string_view blob,
                                            std::string* error);

  const std::vector<rule>& rules() const;
  const std::string& pack_hash() const;

  // Findings in `content` (the bytes of `path`), sorted by (line, column,
  // rule_id), at most one per (rule, line): the leftmost match that passes
  // the rule's gates. Whole-file findings (oversized) have line 0.
  std::vector<messages::finding> scan(std::string_view path, std::string_view content,
                                      const scan_options& options = {}) const;

  // Diff mode: scans only `added_lines` ({line number, bytes without '\n'})
  // and reports their real line numbers. No final_newline or oversized
  // findings: those are properties of a whole file. Duplicate line numbers
  // are not merged.
  std::vector<messages::finding> scan_added_lines(
      std::string_view path, const std::vector<std::pair<uint32_t, std::string>>& added_lines,
      const scan_options& options = {}) const;

private:
  struct impl;
  explicit scanner(std::shared_ptr<const impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const impl> impl_;
};

}  // namespace casm::policy
