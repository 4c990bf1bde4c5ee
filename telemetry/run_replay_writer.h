// run_replay.sh, the fourth proof-mode artifact (DESIGN.md, Conventions:
// run_replay.sh; the seed's script contract). A POSIX sh script that pins
// the run's configuration and does one of two things:
//
//   run_replay.sh           `casm replay --run-id <id>` against the CASM_HOME
//                           the script sits in (runs/<id>/artifacts/):
//                           offline, it proves the recorded run identical;
//   run_replay.sh --rerun   `casm run` again, live, with every pinned setting
//                           (template, repo, base, head, history, ruleset,
//                           routing strategy, providers, budget, fail-on,
//                           baseline, --proof-mode), then compares the new
//                           run's outcome digest with the recorded one.
//
// The outcome digest (outcome_digest()) names the template and ruleset
// hashes, the policy decision and the findings, and nothing that differs
// from run to run (ids, times): two runs of the same inputs have the same
// digest. Every proof-mode run's script carries its own digest, so the rerun
// reads the new one from the new run's script.
//
// No secret is in the script: no key (providers read theirs from the
// environment), no matched text (only rule ids, paths, lines and sha256
// fingerprints feed the digest). Pure: the same inputs give the same bytes.
#pragma once

#include <string>
#include <vector>

#include "messages/data/finding.h"
#include "messages/data/risk.h"

namespace casm::telemetry {

struct run_replay_info {
  std::string run_id;
  std::string started_at;  // "Generated at" (the run's recorded start)
  std::string template_id;
  std::string template_hash;
  std::string repo;         // the resolved repository path
  std::string head_commit;  // pinned commits, not the revisions given
  std::string base_commit;  // "" when the run had no --base
  bool history = false;
  std::string ruleset_id;
  std::string ruleset_hash;
  std::string ruleset_source;  // bundled | override
  std::string ruleset_text;    // embedded for an override (it has no id to look up)
  std::string routing_strategy;
  std::vector<std::string> providers;  // empty: the offline provider
  double budget_usd = 0;               // 0: no run cap
  std::string fail_on;
  std::vector<std::string> baseline_fingerprints;
  std::string outcome;  // outcome_digest() of this run
};

// "template=<sha256> ruleset=<sha256> policy=<status>:<16 hex> findings=<n>:<16 hex>".
// policy: the assessment's status, and a digest of its status, reason codes,
// score and signals (type, severity, file, lines); "none:-" when the run
// never assessed a change. findings: their count, and a digest of the sorted
// (rule, path, line, column, commit, fingerprint) lines.
std::string outcome_digest(const std::string& template_hash, const std::string& ruleset_hash,
                           const messages::risk_assessment* assessment,
                           const std::vector<messages::finding>& findings);

std::string render_run_replay_sh(const run_replay_info& info);

}  // namespace casm::telemetry
