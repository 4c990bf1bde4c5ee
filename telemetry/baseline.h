// Baseline files: the fingerprints of findings a team has accepted, so that a
// scan reports only new ones. Pure: text in, text out.
//
// The written form is JSON, one entry per line so that a diff of two
// baselines reads like a list of accepted and fixed findings:
//   {"casm_baseline":1,"fingerprints":[{"fingerprint","path","rule_id"},...]}
// sorted by (path, rule_id, fingerprint), without duplicates. parse_baseline
// also reads a plain text file with one 64-hex-digit fingerprint per line,
// where blank lines and '#' comments are ignored.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "messages/data/finding.h"

namespace casm::telemetry {

std::string render_baseline(const std::vector<messages::finding>& findings);

// The fingerprints in `text` (lower-case hex). On a bad file returns an
// empty set and sets `error` to one sentence that names the line
// ("line 3: ..."); an empty text is a valid, empty baseline.
std::set<std::string> parse_baseline(std::string_view text, std::string* error);

// True for 64 hex digits (either case): the shape of a finding fingerprint.
bool is_fingerprint(std::string_view text);

}  // namespace casm::telemetry
