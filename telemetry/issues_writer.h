// Writers for the findings artifacts every command shares: issues.json (the
// stable document, schema in docs/issues-json.md and
// docs/schemas/issues.schema.json) and SARIF 2.1.0 for GitHub code scanning.
//
// Pure: they return text, read no clock and no environment, so the same
// findings and scope give the same bytes. Paths are bytes; a path that is
// not UTF-8 is written losslessly (codec::put_bytes in JSON, percent-encoding
// in SARIF URIs). Findings already hold masked previews: no writer ever sees
// a secret in clear.
#pragma once

#include <string>
#include <vector>

#include "messages/data/finding.h"

namespace casm::telemetry {

// The document order: (path, line, column, rule_id), then commit and
// fingerprint so that equal locations still order the same on every run.
bool finding_before(const messages::finding& a, const messages::finding& b);
void sort_findings(std::vector<messages::finding>& findings);

// issues.json, schema_version "1": pretty-printed, keys sorted, ends in '\n'.
std::string render_issues_json(const std::vector<messages::finding>& findings,
                               const messages::audit_scope& scope);

// SARIF 2.1.0 with one run. `rules` is the pack that produced the findings:
// it becomes tool.driver.rules, and a result's ruleIndex is its rule's index
// there (omitted for a rule_id the pack does not hold). Ends in '\n'.
std::string render_sarif(const std::vector<messages::finding>& findings,
                         const messages::audit_scope& scope,
                         const std::vector<messages::rule_info>& rules);

// A repository-relative path as a URI reference: every byte other than
// RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) and '/' is
// percent-encoded ("%HH", upper-case hex).
std::string path_to_uri(const std::string& path);

}  // namespace casm::telemetry
