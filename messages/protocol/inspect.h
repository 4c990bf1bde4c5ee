// CAF inspect() overloads for every message of the protocol, so that CAF can
// serialize them (to_string, remoting). Each uses the same field list as the
// message's JSON form (messages/data/), except fix_result's and
// validate_result's `node` and `redispatches`: the origin's dispatcher sets
// them after the reply crossed the wire, so they never travel.
#pragma once

#include <caf/meta/type_name.hpp>

#include "messages/data/fleet.h"
#include "messages/data/gate.h"
#include "messages/data/node.h"
#include "messages/data/workflow.h"

#define CASM_INSPECT_FIELD(field) x.field
#define CASM_INSPECT(Type, ...)                                                        \
  template <class Inspector>                                                           \
  typename Inspector::result_type inspect(Inspector& f, Type& x) {                     \
    return f(caf::meta::type_name("casm." #Type),                                      \
             CASM_FOR_EACH_LIST(CASM_INSPECT_FIELD, __VA_ARGS__));                     \
  }

namespace casm::messages {

CASM_INSPECT(fallback_rule, on, action)
CASM_INSPECT(provider_entry, name, api, base_url, base_url_env, api_key_env, max_tokens_field)
CASM_INSPECT(price_entry, provider, endpoint, model, price_known, price_in_per_1m, price_out_per_1m, price_cache_read_per_1m, price_cache_write_per_1m, context_tokens, max_output_tokens, source, verified, truth)
CASM_INSPECT(profile_candidate, model, provider, quality, latency_ms)
CASM_INSPECT(model_profile, name, candidates)
CASM_INSPECT(price_registry, registry_version, currency, prices_as_of, providers, models, profiles)
CASM_INSPECT(usage, input_tokens, cached_input_tokens, cache_creation_tokens, output_tokens)
CASM_INSPECT(cost_figure, usd, truth, basis)
CASM_INSPECT(routing_task, task_id, task_type, stage, profile, estimated_input_tokens, estimated_cached_input_tokens, estimated_output_tokens, max_output_tokens, exclude_models)
CASM_INSPECT(routing_constraints, max_usd_per_run, max_usd_per_task_default, latency_slo_ms, min_confidence, providers, offline, fallbacks)
CASM_INSPECT(endpoint_budget, endpoint, remaining_usd)
CASM_INSPECT(budget_view, run_remaining_usd, fleet_remaining_usd, provider_day)
CASM_INSPECT(breaker_view, open_endpoints)
CASM_INSPECT(candidate, provider, endpoint, model, profile, score, price_known, estimated_cost_usd, worst_case_usd, estimated_latency_ms, estimated_quality, cost_truth, reject_reasons)
CASM_INSPECT(constraints_applied, budget, latency, quality)
CASM_INSPECT(routing_decision, task_id, task_type, stage, profile, strategy, has_selection, selected, estimated_input_tokens, estimated_output_tokens, max_output_tokens, candidates, reason_codes, constraints, fallbacks)
CASM_INSPECT(reservation, id, run_id, task_id, endpoint, model, day, amount_usd)
CASM_INSPECT(reservation_reply, granted, held, refused_level, reason_code, available_usd)
CASM_INSPECT(chat_message, role, content)
CASM_INSPECT(model_request, call_id, task_id, model, system, messages, max_output_tokens, temperature)
CASM_INSPECT(model_reply, call_id, ok, error_kind, error, http_status, retry_after_ms, endpoint, model, content, finish_reason, usage_present, tokens, attempts, latency_ms, attempt_log)
CASM_INSPECT(routing_setup, enabled, strategy, constraints, prices, day, reviewer_profile, fixer_profile, reviewer_enabled, fixer_enabled, review_excerpt_bytes, review_max_output_tokens, fix_max_output_tokens, call_timeout_ms, max_attempts)
CASM_INSPECT(route_request, call_id, run_id, day, strategy, task, constraints)
CASM_INSPECT(route_result, call_id, ok, error, decision, budget, breakers, reservation_asked, reservation)
CASM_INSPECT(model_call, call_id, task_id, endpoint, reservation_id, timeout_ms, max_attempts, request)
CASM_INSPECT(settle_request, call_id, run_id, task_id, reservation_id, endpoint, model, answered_model, ok, error_kind, usage_present, tokens)
CASM_INSPECT(settle_result, call_id, ok, error, reserved_usd, actual, released_usd, overrun_usd, breaker_state)
CASM_INSPECT(fallback_note, task_id, on, action, reason_code, failed_model, failed_endpoint, next_model, next_profile, detail)
CASM_INSPECT(output_check, call_id, task_id, model, accepted, reason, items)
CASM_INSPECT(routing_report, routing_decisions, cost_forecast, cost_report, run_summary, model_patch)
CASM_INSPECT(budget_open, run_id, cap_usd)
CASM_INSPECT(budget_query, run_id, day)
CASM_INSPECT(budget_snapshot, budget, breakers)
CASM_INSPECT(reserve_ask, run_id, task_id, endpoint, model, day, price_known, worst_case_usd, task_cap_usd)
CASM_INSPECT(reconcile_ask, reservation_id, endpoint, actual_usd, call_ok, trips_breaker)
CASM_INSPECT(reconcile_answer, ok, reserved_usd, actual_usd, released_usd, overrun_usd, breaker_state)
CASM_INSPECT(budget_levels, fleet_cap_usd, fleet_reserved_usd, fleet_spent_usd, run_cap_usd, run_reserved_usd, run_spent_usd, outstanding, invariant_holds)
CASM_INSPECT(skipped_file, path, reason, bytes, detail)
CASM_INSPECT(finding, rule_id, family, level, path, line, column, end_column, fingerprint, preview, message, commit, secret, fixable)
CASM_INSPECT(audit_scope, tool_version, rule_pack_hash, run_id, mode, repo, head_commit, base_commit, files_scanned, bytes_scanned, commits_scanned, skipped, suppressed_inline, suppressed_allowlist, suppressed_baseline)
CASM_INSPECT(file_entry, path, oid, size, mode)
CASM_INSPECT(line_range, first, last)
CASM_INSPECT(hunk_info, old_start, old_lines, new_start, new_lines, sha256)
CASM_INSPECT(changed_file, path, old_path, status, old_oid, new_oid, size, binary, added, hunks)
CASM_INSPECT(audit_options, enabled, history, write_branch, fail_on, max_file_bytes, reviewers, preview_chars, allow_paths, allow_fingerprints, baseline_fingerprints, sensitive_paths, dependency_files, manifest_version, allow_commands, validate_commands, allow_network, sandbox_mode, command_timeout_seconds, validator_enabled, fixer_enabled, tool_version, rule_pack_hash, ruleset_id, ruleset_hash, ruleset_source, ruleset_text, hitl_expires_after_hours)
CASM_INSPECT(review_request, call_id, shard, repo_path, mode, files, changes, commits, max_file_bytes, preview_chars, excerpt_bytes)
CASM_INSPECT(review_result, call_id, shard, ok, error, findings, skipped, files_scanned, bytes_scanned, commits_scanned, suppressed_inline, lines_scanned, excerpt, node, redispatches)
CASM_INSPECT(fix_file, path, oid, mode, strip_lines, add_final_newline, secret_lines)
CASM_INSPECT(suggestion, path, rule_id, line, reason)
CASM_INSPECT(fix_request, call_id, run_id, repo_path, head_commit, files, write_branch, branch)
CASM_INSPECT(fix_result, call_id, ok, failure_kind, error, files_changed, lines_changed, masked_lines, patch_sha256, patch_bytes, new_tree, new_commit, branch)
CASM_INSPECT(command_report, command, status, exit_code, duration_s, sandboxed, network, output, truncated, reason, failure_kind)
CASM_INSPECT(validate_request, call_id, run_id, repo_path, head_commit, files, commands, allow_commands, allow_network, sandbox_mode, timeout_seconds)
CASM_INSPECT(validate_result, call_id, ok, status, failure_kind, error, worktree_created, commands)
CASM_INSPECT(model_usage, task_id, task_type, provider, model, input_tokens, output_tokens, cost_usd, truth)
CASM_INSPECT(audit_report, scope, findings, suggestions, fix_attempted, fix, validation_attempted, validation, outcome, usage)
CASM_INSPECT(run_start, run_id, started_at, template_id, template_hash, workflow, stages, repo, head_rev, base_rev, audit, routing, proof_mode)
CASM_INSPECT(ingest_result, call_id, ok, error_kind, error, repo_path, bare, shallow, head_rev, head_commit, head_tree, head_time, base_commit, file_count, total_bytes, mode, files, changes, commits, package_scripts, has_package_json, has_pnpm_lock)
CASM_INSPECT(artifact_ref, name, sha256, bytes)
CASM_INSPECT(report_result, call_id, ok, error, artifacts)
CASM_INSPECT(ingest_request, call_id, repo, head_rev, base_rev, list_files, history)
CASM_INSPECT(stage_event, stage, status, detail)
CASM_INSPECT(report_request, call_id, run_id, template_id, started_at, repo, head_rev, head_commit, base_commit, bare, shallow, file_count, total_bytes, stages, status, exit_code, reason, failure_kind, audit_enabled, audit, policy_decisions, hitl_requests, routing, run_replay_sh)
CASM_INSPECT(run_outcome, status, exit_code, reason, failure_kind, artifacts)
CASM_INSPECT(security_alert, stage, score, reason_codes, summary)
CASM_INSPECT(hitl_signal, file, line_start, line_end, type, severity, message)
CASM_INSPECT(hitl_request, request_id, run_id, mode, diff_hash, ruleset_hash, score, status, reason_codes, signals, changed_files, allow_files, deny_files, human_summary, expires_after_hours)
CASM_INSPECT(run_pause, status, exit_code, request_id, reason)
CASM_INSPECT(approval_decision, approval_id, request_id, run_id, decision, diff_hash, ruleset_hash, by, os_user, reason, decided_at, allow_files, deny_files)
CASM_INSPECT(file_fact, path, old_path, status, readable, unreadable_reason)
CASM_INSPECT(pattern_hit, rule_id, heuristic, path, line, column, line_sha256, hunk_sha256)
CASM_INSPECT(dependency_change, file, name, kind, from, to, detail)
CASM_INSPECT(diff_evidence, files, hits, dependency_changes)
CASM_INSPECT(gate_request, call_id, mode, repo_path, base_commit, head_commit, files, max_file_bytes, ruleset_hash)
CASM_INSPECT(gate_result, call_id, ok, error, evidence)
CASM_INSPECT(fleet_progress, event, index, run_id, status, exit_code, done, running, findings, cost_usd)
CASM_INSPECT(fleet_done, stopped, budget_stopped, admitted)
CASM_INSPECT(node_hello, protocol, casm_version, origin)
CASM_INSPECT(node_welcome, protocol, casm_version, node, workers)
CASM_INSPECT(node_task, req, source_url)
CASM_INSPECT(node_source, repo_path, url)
CASM_INSPECT(node_fix_task, req, source_url)
CASM_INSPECT(node_fix_reply, result, patch, declined)
CASM_INSPECT(node_validate_task, req, source_url)
CASM_INSPECT(node_validate_reply, result, declined)

}  // namespace casm::messages
