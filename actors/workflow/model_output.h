// Prompts for the model tasks of an audit and the checks on what a model
// answers. Pure (no CAF, no I/O): the coordinator builds prompts and judges
// replies with these, so replay derives the same verdicts.
//
// Every prompt is passed through policy::redact_text after it is built (the
// findings' previews are masked already, and the reviewer masks the code
// excerpt), and the connector masks it once more before it leaves.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "messages/data/audit.h"
#include "messages/data/routing_flow.h"

namespace casm::workflow {

struct prompt {
  std::string system;
  std::string user;
  // Tokens are at least one byte each: the prompt's bytes plus a per-message
  // allowance bound its input tokens, so a reservation made on this bound
  // holds whatever the tokenizer does.
  uint64_t input_token_bound() const { return system.size() + user.size() + 64; }
};

prompt review_prompt(const std::vector<messages::finding>& findings,
                     const std::vector<std::string>& paths, const std::string& excerpt,
                     uint64_t excerpt_cap);
// `findings`: what the mechanical fixer leaves to a human.
prompt fix_prompt(const std::vector<messages::finding>& findings, size_t max_items);

struct review_verdict {
  bool accepted = false;
  std::string reason;  // why not, one sentence
  std::vector<messages::model_issue> issues;
};
// The reply must be JSON (a ```json fence is tolerated):
// {"issues": [{"path", "line" >= 1, "severity" in info|low|medium|high, "message"}]},
// every path one of `paths`, at most 200 issues.
review_verdict check_review_output(const std::string& content, const std::set<std::string>& paths);

struct diff_verdict {
  bool accepted = false;
  std::string reason;
  std::vector<std::string> files;  // the paths it changes
  std::string diff;                // normalised: fences stripped, ends in '\n', secrets masked
};
// The reply must be a unified diff: `--- a/P` / `+++ b/P` headers for paths
// among `paths`, hunks `@@ -a,b +c,d @@` whose line counts match.
diff_verdict check_fix_output(const std::string& content, const std::set<std::string>& paths);

}  // namespace casm::workflow
