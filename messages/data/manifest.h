// A template manifest (config/templates/<id>/manifest.yaml), parsed and
// validated by runtime/template_loader. Versions 0.1 (the seed's keys) and 0.2
// (DESIGN.md, Conventions: Manifest versions). Defaults are documented in
// docs/manifest.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace casm::messages {

struct fallback_rule {
  std::string on;      // timeout | over_budget | provider_error | low_quality
  std::string action;  // downgrade_model | switch_provider | reduce_scope | stop
};

struct agent_config {
  bool enabled = false;
  std::string model_profile;  // cheap | code_mid | reasoning_low | reasoning_high
};

struct artifact_output {
  std::string name;  // e.g. report_md
  std::string path;  // e.g. .casm/artifacts/report.md (a file in artifacts/)
};

struct template_manifest {
  std::string version;  // "0.1" | "0.2"

  std::string id;
  std::string name;
  std::string description;
  std::vector<std::string> tags;

  std::string workflow;  // entrypoint.workflow, e.g. noop_v1

  // runtime
  std::string language;
  std::string minimum_node;
  bool allow_network = false;
  std::vector<std::string> allow_commands;
  int64_t command_timeout_seconds = 900;
  std::string sandbox_mode = "strict";  // v0.2

  // policy
  std::string ruleset = "default.devtools";
  std::string hitl_mode = "local";
  std::string hitl_required_label;
  std::vector<std::string> hitl_approvers;
  double hitl_expires_after_hours = 168;  // v0.2

  // routing
  double max_usd_per_run = 0;
  double max_usd_per_task_default = 0;  // v0.2; 0 = no per-task cap
  std::string strategy = "cost_aware_quality_floor";
  double min_confidence = 0.7;
  std::vector<fallback_rule> fallbacks;
  std::vector<std::string> providers;   // v0.2
  int64_t latency_slo_ms = 0;           // v0.2; 0 = none
  std::string prices_override;          // v0.2: path to a price override file

  // agents
  agent_config reviewer, fixer, validator, docgen;

  // analyze (v0.2)
  int64_t max_file_bytes = 1 << 20;
  std::vector<std::string> allowlist_paths;
  std::vector<std::string> allowlist_fingerprints;

  // validate (v0.2)
  std::vector<std::string> validate_commands;

  // outputs
  std::vector<artifact_output> artifacts;
  bool github_create_pr = false;

  // telemetry
  std::vector<std::string> emit;
  bool redact_secrets = true;
  int64_t code_snippets_max_chars = 1200;
  bool proof_mode = false;
};

}  // namespace casm::messages
