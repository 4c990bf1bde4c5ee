#include "runtime/cli.h"

#include <git2.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/agents/git_access.h"
#include "actors/workflow/workflow_engine.h"
#include "messages/data/vocabulary.h"
#include "runtime/commands.h"
#include "runtime/scanner_cache.h"

namespace casm::runtime {

void print_error(const std::string& sentence) { std::cerr << "casm: error: " << sentence << "\n"; }

int run_cli(int argc, char** argv) {
  CLI::App app{"casm: a governed swarm runtime for developer tooling (C++/CAF).\n"
               "Runs template workflows on git repositories and records every message\n"
               "in a hash-chained log, so any run can be explained and replayed.",
               "casm"};
  app.set_version_flag("--version",
                       std::string("casm ") + CASM_VERSION + " (CAF " + CASM_CAF_VERSION +
                         ", libgit2 " + LIBGIT2_VERSION + ")");
  app.require_subcommand(1);
  app.fallthrough();

  global_options g;
  app.add_option("--home", g.home, "Run store directory (default: $CASM_HOME, else ./.casm)");
  app.add_option("--log-level", g.log_level, "Diagnostics on stderr")
    ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
    ->capture_default_str();

  run_options run;
  auto* run_cmd = app.add_subcommand("run", "Run a template workflow on a git repository");
  run_cmd->add_option("--template", run.template_id, "Template id (e.g. noop) or path to a manifest")
    ->capture_default_str();
  auto* repo_opt =
    run_cmd->add_option("--repo", run.repo, "Path to the git repository (work tree or bare)");
  auto* repos_opt = run_cmd->add_option(
    "--repos", run.repos,
    "A fleet: FILE listing one repository per line, or DIR (every repository directly below)");
  repo_opt->excludes(repos_opt);
  run_cmd->add_option("--parallel", run.parallel, "Fleet: at most N runs at once (default: cores)")
    ->check(CLI::Range(1, 1024))
    ->needs(repos_opt);
  auto* budget_opt = run_cmd->add_option("--fleet-budget-usd", run.fleet_budget_usd,
                                         "Fleet: stop admitting runs once the fleet spent this much")
    ->needs(repos_opt);
  auto* nodes_opt = run_cmd->add_option("--nodes", run.nodes,
                      "Farm scan shards, fixes and validations to these casm nodes (host:port,host:port)")
    ->delimiter(',');
  run_cmd->add_option("--tls-cert", run.tls_cert, "With --nodes: this origin's certificate (PEM)")
    ->needs(nodes_opt);
  run_cmd->add_option("--tls-key", run.tls_key, "With --nodes: its private key (PEM)")->needs(nodes_opt);
  run_cmd->add_option("--tls-ca", run.tls_ca, "With --nodes: the CA that signed the nodes' certificates")
    ->needs(nodes_opt);
  run_cmd->add_option("--head", run.head, "Revision to audit")->capture_default_str();
  run_cmd->add_option("--base", run.base, "Base revision: audit only what base..head adds");
  run_cmd->add_flag("--history", run.history,
                    "Scan every commit reachable from head (each finding names its commit)");
  run_cmd->add_option("--baseline", run.baseline, "File of fingerprints that stay quiet");
  run_cmd->add_option("--write-baseline", run.write_baseline,
                      "Write this run's finding fingerprints to FILE (a baseline)");
  run_cmd->add_flag("--write-branch", run.write_branch,
                    "Commit the patch to branch casm/<run_id> (HEAD, index and work tree untouched)");
  // `--proof-mode`, `--proof-mode=false` and the seed's `--proof-mode true`.
  std::string proof_mode_value;
  auto* proof_mode_opt =
    run_cmd->add_option("--proof-mode", proof_mode_value,
                        "Also write run_replay.sh, and policy_decisions.json on every run (the "
                        "four proof artifacts); `--proof-mode false` turns the template's off")
      ->expected(0, 1)
      ->check(CLI::IsMember({"", "true", "false", "1", "0", "yes", "no", "on", "off"}));
  run_cmd->add_option("--fail-on", run.fail_on, "Exit 4 if a finding at or above this severity exists")
    ->check(CLI::IsMember({"info", "low", "medium", "high"}));
  run_cmd->add_option("--ruleset", run.ruleset, "Policy ruleset id or path (default: the template's)");
  run_cmd->add_option("--reviewers", run.reviewers, "Reviewer shards (default: one per core)")
    ->check(CLI::Range(1, 64));
  run_cmd->add_option("--provider", run.providers,
                      "Use these providers' models (opt-in; default: offline, no spend)")
    ->delimiter(',');
  run_cmd->add_option("--budget-usd", run.budget_usd,
                      "Run budget in USD (default: the template's max_usd_per_run)")
    ->check(CLI::Range(1e-9, 1e9));
  run_cmd->add_option("--routing", run.routing, "Routing strategy (default: the template's)")
    ->check(CLI::IsMember({"cost_aware_quality_floor", "quality_first", "budget_first", "latency_first"}));
  run_cmd->add_option("--call-timeout-ms", run.call_timeout_ms, "Timeout of one model call attempt")
    ->check(CLI::Range(int64_t{1}, int64_t{3600000}));
  run_cmd->add_flag("--json", run.json, "Print the result as JSON");
  run_cmd->get_option("--history")->excludes("--base");

  run_ref_options explain;
  auto* explain_cmd = app.add_subcommand("explain", "Tell a run's story from its log alone");
  auto* explain_run = explain_cmd->add_option("--run-id", explain.run_id, "The run");
  auto* explain_fleet = explain_cmd->add_option("--fleet-id", explain.fleet_id, "A fleet: its summary");
  explain_run->excludes(explain_fleet);
  explain_cmd->add_flag("--json", explain.json, "Print a stable JSON document");

  run_ref_options verify;
  auto* verify_cmd = app.add_subcommand("verify-log", "Check a run log's hash chain");
  verify_cmd->add_option("--run-id", verify.run_id, "The run")->required();
  verify_cmd->add_flag("--json", verify.json, "Print the result as JSON");

  scan_options scan;
  auto* scan_cmd = app.add_subcommand(
    "scan", "Scan files and directories with the rule pack (no git needed; for pre-commit and CI)");
  scan_cmd->add_option("paths", scan.paths, "Files or directories")->required();
  scan_cmd->add_flag("--json", scan.json, "Print findings as issues.json");
  scan_cmd->add_flag("--sarif", scan.sarif, "Print findings as SARIF 2.1.0");
  scan_cmd->add_option("--fail-on", scan.fail_on, "Exit 4 if a finding at or above this severity exists")
    ->check(CLI::IsMember({"info", "low", "medium", "high"}));
  scan_cmd->add_option("--max-file-bytes", scan.max_file_bytes, "Skip (and report) larger files")
    ->capture_default_str();
  scan_cmd->add_option("--allow-path", scan.allow_paths, "Glob of paths to skip (repeatable)");
  scan_cmd->add_option("--allow-fingerprint", scan.allow_fingerprints,
                       "Fingerprint that stays quiet (repeatable)");
  scan_cmd->add_option("--baseline", scan.baseline, "Baseline file: its fingerprints stay quiet");
  scan_cmd->add_option("--write-baseline", scan.write_baseline,
                       "Write the fingerprints of every finding to this file");
  scan_cmd->add_option("--threads", scan.threads, "Reader threads (default: one per core)");
  scan_cmd->get_option("--json")->excludes("--sarif");

  auto* policy_cmd = app.add_subcommand("policy", "Validate a ruleset, or score a diff (CI, pre-commit)");
  policy_cmd->require_subcommand(1);
  std::string policy_file;
  bool policy_validate_json = false;
  auto* policy_validate_cmd = policy_cmd->add_subcommand("validate", "Check a ruleset file");
  policy_validate_cmd->add_option("file", policy_file, "The ruleset YAML")->required();
  policy_validate_cmd->add_flag("--json", policy_validate_json, "Print as JSON");
  policy_score_options score;
  auto* policy_score_cmd = policy_cmd->add_subcommand(
    "score", "Risk-score base..head: exit 0 pass/warn, 3 gate, 4 block");
  policy_score_cmd->add_option("--repo", score.repo, "The git repository")->required();
  policy_score_cmd->add_option("--base", score.base, "Base revision")->required();
  policy_score_cmd->add_option("--head", score.head, "Head revision")->capture_default_str();
  policy_score_cmd->add_option("--ruleset", score.ruleset, "Ruleset id or path")->capture_default_str();
  policy_score_cmd->add_flag("--json", score.json, "Print as JSON (policy_decisions-shaped)");

  decision_options approve;
  auto* approve_cmd = app.add_subcommand("approve", "Approve a gated run (single-use, bound to its diff)");
  approve_cmd->add_option("--run-id", approve.run_id, "The gated run")->required();
  approve_cmd->add_option("--reason", approve.reason, "Why (recorded)")->required();
  approve_cmd->add_option("--by", approve.by, "Who approves (default: the OS user)");
  approve_cmd->add_option("--allow-files", approve.allow_files,
                          "Only these changed files may be touched")->delimiter(',');
  approve_cmd->add_option("--deny-files", approve.deny_files, "These changed files may not be touched")
    ->delimiter(',');
  decision_options deny;
  deny.approve = false;
  auto* deny_cmd = app.add_subcommand("deny", "Deny a gated run: it ends `denied`, with its report");
  deny_cmd->add_option("--run-id", deny.run_id, "The gated run")->required();
  deny_cmd->add_option("--reason", deny.reason, "Why (recorded)")->required();
  deny_cmd->add_option("--by", deny.by, "Who denies (default: the OS user)");
  resume_options resume;
  auto* resume_cmd = app.add_subcommand(
    "resume", "Continue a run after a decision or a crash, redoing no recorded side effect");
  auto* resume_run = resume_cmd->add_option("--run-id", resume.run_id, "The run");
  auto* resume_fleet =
    resume_cmd->add_option("--fleet-id", resume.fleet_id, "A fleet: run every repository not yet run");
  resume_run->excludes(resume_fleet);
  resume_cmd->add_flag("--json", resume.json, "Print the result as JSON");

  replay_options replay;
  auto* replay_cmd = app.add_subcommand(
    "replay", "Re-execute a run from its log and prove it identical (no network, no process)");
  replay_cmd->add_option("--run-id", replay.run_id, "The run")->required();
  replay_cmd->add_flag("--allow-config-drift", replay.allow_config_drift,
                       "Compare even if the pinned config differs from the current one");
  replay_cmd->add_flag("--json", replay.json, "Print the result as JSON");

  bool runs_json = false;
  auto* runs_cmd = app.add_subcommand("runs", "List runs and their status");
  runs_cmd->add_flag("--json", runs_json, "Print as JSON");
  prune_options prune;
  auto* prune_cmd = runs_cmd->add_subcommand("prune", "Delete whole run dirs (retention)");
  prune_cmd->add_option("--keep", prune.keep, "Keep the newest N runs");
  prune_cmd->add_option("--older-than", prune.older_than_days, "Only runs older than DAYS");
  prune_cmd->add_option("--status", prune.status, "Only runs with this status");
  prune_cmd->add_flag("--include-pending", prune.include_pending,
                      "Also delete runs waiting for a human decision");
  prune_cmd->add_flag("--include-locked", prune.include_locked,
                      "Also delete runs a live process holds (dangerous)");
  prune_cmd->add_flag("--dry-run", prune.dry_run, "Say what would go, delete nothing");
  prune_cmd->add_flag("--json", prune.json, "Print as JSON");

  bool models_json = false;
  auto* models_cmd = app.add_subcommand("models", "List the price registry and the model profiles");
  models_cmd->add_flag("--json", models_json, "Print as JSON");

  cost_options cost;
  auto* cost_cmd = app.add_subcommand("cost", "A run's cost: total, per stage, per call, unit economics");
  cost_cmd->add_option("--run-id", cost.run_id, "The run");
  cost_cmd->add_flag("--last-run", cost.last_run, "The newest run");
  cost_cmd->add_flag("--json", cost.json, "Print as JSON");
  cost_cmd->get_option("--run-id")->excludes("--last-run");
  node_options node;
  auto* node_cmd = app.add_subcommand(
    "node", "Serve scan shards, fixes and validations to origins (casm run --nodes) over CAF's middleman");
  node_cmd->add_option("--listen", node.listen, "HOST:PORT (port 0: any free port)")->capture_default_str();
  node_cmd->add_option("--tls-cert", node.tls_cert, "Certificate (PEM): with --tls-key and --tls-ca, mutual TLS");
  node_cmd->add_option("--tls-key", node.tls_key, "Private key (PEM)");
  node_cmd->add_option("--tls-ca", node.tls_ca, "CA (PEM) that origins' certificates must chain to");
  node_cmd->add_flag("--insecure", node.insecure, "Allow a non-loopback address without TLS");
  node_cmd->add_option("--workers", node.workers, "Reviewer agents (default: one per core)")
    ->check(CLI::Range(1, 256));
  node_cmd->add_option("--clone-cache", node.clone_cache,
                       "Bare clones of repositories named by URL (default: $CASM_HOME/cache/clones)");
  node_cmd->add_flag("--clone-only", node.clone_only,
                     "Never open an origin's path; fetch repositories by URL (nodes on other hosts)");

  bool doctor_json = false;
  auto* doctor_cmd = app.add_subcommand("doctor", "Preflight: check this machine can run casm");
  doctor_cmd->add_flag("--json", doctor_json, "Print as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints CLI11's message and the usage hint
    return messages::exit_code::bad_input;
  }

  if (proof_mode_opt->count() > 0) {
    run.proof_mode_given = true;
    run.proof_mode = proof_mode_value.empty() || proof_mode_value == "true" ||
                     proof_mode_value == "1" || proof_mode_value == "yes" || proof_mode_value == "on";
  }

  auto logger = spdlog::stderr_color_mt("casm");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(g.log_level));
  spdlog::set_pattern("casm: %l: %v");

  git_libgit2_init();
  // casm only reads repositories and never runs their hooks or filters, so
  // it may audit a repository owned by another user (as CI checkouts often
  // are) without trusting its config.
  git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
  install_scanner_cache(g);

  if (const char* fault = std::getenv("CASM_TEST_ENGINE_FAULT"); fault && *fault)
    workflow::set_engine_fault(fault);

  run.fleet_budget_usd_set = budget_opt->count() > 0;
  const auto one_of = [&](CLI::App* cmd, const char* a, const char* b, bool given) {
    if (*cmd && !given) {
      print_error(std::string("casm ") + cmd->get_name() + " needs " + a + " or " + b);
      return false;
    }
    return true;
  };
  if (!one_of(run_cmd, "--repo PATH", "--repos FILE|DIR", !run.repo.empty() || !run.repos.empty()) ||
      !one_of(explain_cmd, "--run-id ID", "--fleet-id ID", !explain.run_id.empty() || !explain.fleet_id.empty()) ||
      !one_of(resume_cmd, "--run-id ID", "--fleet-id ID", !resume.run_id.empty() || !resume.fleet_id.empty()))
    return messages::exit_code::bad_input;

  int rc = messages::exit_code::runtime_failure;
  if (*run_cmd) rc = cmd_run(g, run);
  else if (*explain_cmd && !explain.fleet_id.empty()) rc = cmd_fleet_explain(g, explain.fleet_id, explain.json);
  else if (*explain_cmd) rc = cmd_explain(g, explain);
  else if (*resume_cmd && !resume.fleet_id.empty()) rc = cmd_fleet_resume(g, resume.fleet_id);
  else if (*verify_cmd) rc = cmd_verify_log(g, verify);
  else if (*scan_cmd) rc = cmd_scan(g, scan);
  else if (*policy_validate_cmd) rc = cmd_policy_validate(g, policy_file, policy_validate_json);
  else if (*policy_score_cmd) rc = cmd_policy_score(g, score);
  else if (*replay_cmd) rc = cmd_replay(g, replay);
  else if (*approve_cmd) rc = cmd_decide(g, approve);
  else if (*deny_cmd) rc = cmd_decide(g, deny);
  else if (*resume_cmd) rc = cmd_resume(g, resume);
  else if (*prune_cmd) rc = cmd_prune(g, prune);
  else if (*runs_cmd) rc = cmd_runs(g, runs_json);
  else if (*doctor_cmd) rc = cmd_doctor(g, doctor_json);
  else if (*models_cmd) rc = cmd_models(g, models_json);
  else if (*cost_cmd) rc = cmd_cost(g, cost);
  else if (*node_cmd) rc = cmd_node(g, node);
  agents::repo_pool_drain();
  git_libgit2_shutdown();
  return rc;
}

}  // namespace casm::runtime
