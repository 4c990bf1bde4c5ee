// The `casm` commands. Each returns the process exit code (DESIGN.md, Exit
// codes) and writes results to stdout, errors to stderr as one sentence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace casm::runtime {

struct global_options {
  std::string home;  // --home
  std::string log_level = "warn";
};

struct run_options {
  std::string template_id = "repo-auditor";
  std::string repo;
  std::string head = "HEAD";
  std::string base;
  bool history = false;
  std::string baseline;        // fingerprints that stay quiet
  std::string write_baseline;  // write this run's fingerprints here
  bool write_branch = false;
  bool proof_mode = false;        // --proof-mode [true|false]; else telemetry.proof_mode
  bool proof_mode_given = false;  // the flag was on the command line
  std::string fail_on;
  std::string ruleset;         // id or path; default: the manifest's policy.ruleset
  int reviewers = 0;           // 0: one per core
  std::vector<std::string> providers;  // --provider openai[,anthropic]: opt-in model use
  double budget_usd = -1;      // --budget-usd; < 0: the template's max_usd_per_run
  std::string routing;         // --routing STRATEGY; "": the template's
  int64_t call_timeout_ms = 0; // --call-timeout-ms; 0: 60000
  bool json = false;
  // A fleet (docs/fleet.md): --repos FILE|DIR instead of --repo.
  std::string repos;
  int parallel = 0;            // 0: one per core
  double fleet_budget_usd = -1;
  bool fleet_budget_usd_set = false;
  // Distributed: scan shards, fixes and validations go to these `casm
  // node` pools (host:port), for a fleet or one run.
  std::vector<std::string> nodes;
  std::string tls_cert, tls_key, tls_ca;  // the origin's client certificate
};

struct cost_options {
  std::string run_id;
  bool last_run = false;
  bool json = false;
};

struct node_options {
  std::string listen = "127.0.0.1:7411";
  std::string tls_cert, tls_key, tls_ca;
  bool insecure = false;
  int workers = 0;  // 0: one per core
  std::string clone_cache;  // default $CASM_HOME/cache/clones
  bool clone_only = false;  // never open an origin's path: fetch by URL
};

struct run_ref_options {
  std::string run_id;
  std::string fleet_id;
  bool json = false;
};

struct scan_options {
  std::vector<std::string> paths;
  bool json = false;
  bool sarif = false;
  std::string fail_on;  // "" or a severity
  uint64_t max_file_bytes = 1 << 20;
  std::vector<std::string> allow_paths;         // globs, gitignore rules
  std::vector<std::string> allow_fingerprints;
  std::string baseline;                         // file of fingerprints that stay quiet
  std::string write_baseline;                   // write the findings' fingerprints here
  int threads = 0;                              // 0: one per core
};

struct policy_score_options {
  std::string repo;
  std::string base;
  std::string head = "HEAD";
  std::string ruleset = "default.devtools";
  bool json = false;
};

struct replay_options {
  std::string run_id;
  bool allow_config_drift = false;
  bool json = false;
};

struct decision_options {
  std::string run_id;
  bool approve = true;
  std::string reason;
  std::string by;
  std::vector<std::string> allow_files;
  std::vector<std::string> deny_files;
};

struct resume_options {
  std::string run_id;
  std::string fleet_id;
  bool json = false;
};

struct prune_options {
  int keep = -1;               // keep the newest N of the selection
  double older_than_days = -1;
  std::string status;
  bool include_pending = false;
  bool include_locked = false;
  bool dry_run = false;
  bool json = false;
};

int cmd_run(const global_options& g, const run_options& o);
int cmd_fleet_run(const global_options& g, const run_options& o);
int cmd_fleet_resume(const global_options& g, const std::string& fleet_id);
int cmd_node(const global_options& g, const node_options& o);
int cmd_fleet_explain(const global_options& g, const std::string& fleet_id, bool json);
int cmd_prune(const global_options& g, const prune_options& o);
int cmd_decide(const global_options& g, const decision_options& o);
int cmd_resume(const global_options& g, const resume_options& o);
int cmd_policy_validate(const global_options& g, const std::string& file, bool json);
int cmd_policy_score(const global_options& g, const policy_score_options& o);
int cmd_replay(const global_options& g, const replay_options& o);
int cmd_scan(const global_options& g, const scan_options& o);
int cmd_explain(const global_options& g, const run_ref_options& o);
int cmd_verify_log(const global_options& g, const run_ref_options& o);
int cmd_runs(const global_options& g, bool json);
int cmd_doctor(const global_options& g, bool json);
int cmd_models(const global_options& g, bool json);
int cmd_cost(const global_options& g, const cost_options& o);

struct net_options;
// Mutual TLS needs all three files, each readable; prints why not.
bool check_tls_files(const net_options& net, const char* who);

// "casm: error: <sentence>" on stderr.
void print_error(const std::string& sentence);

}  // namespace casm::runtime
