// The deterministic core of the workflow coordinator: a state machine from
// recorded inputs to outputs. No CAF, no clock, no I/O, no randomness: given
// the same inputs in the same order it emits the same outputs, which is what
// replay checks. The coordinator actor (coordinator.h) is its shell.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <optional>
#include <set>

#include "actors/workflow/audit_plan.h"
#include "actors/workflow/model_output.h"
#include "messages/data/workflow.h"
#include "policy/ruleset.h"
#include "telemetry/router.h"
#include <map>

namespace casm::workflow {

using messages::fix_request;
using messages::fix_result;
using messages::ingest_request;
using messages::ingest_result;
using messages::report_request;
using messages::report_result;
using messages::review_request;
using messages::review_result;
using messages::run_outcome;
using messages::run_start;
using messages::stage_event;
using messages::validate_request;
using messages::validate_result;
using messages::approval_decision;
using messages::gate_request;
using messages::gate_result;
using messages::hitl_request;
using messages::run_pause;
using messages::security_alert;

// Everything the coordinator can emit. Requests expect exactly one reply.
using messages::fallback_note;
using messages::model_call;
using messages::model_reply;
using messages::output_check;
using messages::route_request;
using messages::route_result;
using messages::settle_request;
using messages::settle_result;

using output = std::variant<stage_event, ingest_request, review_request, fix_request,
                            validate_request, gate_request, hitl_request, run_pause,
                            security_alert, report_request, run_outcome, route_request,
                            model_call, settle_request, fallback_note, output_check>;

// A test seam: a named bug the engine will commit, so that tests can prove
// replay catches a coordinator that changed behaviour. Set only by the
// runtime from $CASM_TEST_ENGINE_FAULT; never recorded. Faults:
//   "plan_drops_fixes": the plan stage plans no fixes.
void set_engine_fault(std::string fault);

// The model profile of every review task after a human approved the gated
// change (the template's reviewer profile applies before).
constexpr const char* approved_review_profile = "reasoning_high";

class workflow_engine {
public:
  std::vector<output> start(const run_start& start);
  std::vector<output> on_reply(const ingest_result& r);
  std::vector<output> on_reply(const review_result& r);
  // The same, taking the reply's contents (replay decodes each reply once
  // and needs it no more: a listing of every file is not copied).
  std::vector<output> on_reply(ingest_result&& r);
  std::vector<output> on_reply(review_result&& r);
  std::vector<output> on_reply(const fix_result& r);
  std::vector<output> on_reply(const validate_result& r);
  std::vector<output> on_reply(const report_result& r);
  std::vector<output> on_reply(const gate_result& r);
  std::vector<output> on_reply(const route_result& r);
  std::vector<output> on_reply(const model_reply& r);
  std::vector<output> on_reply(const settle_result& r);
  // A human's decision on the pending HITL request (delivered by resume).
  std::vector<output> on_decision(const approval_decision& d);

  bool finished() const { return finished_; }

private:
  const std::string& stage() const { return start_.stages[index_]; }
  bool at(const char* stage) const;
  // Begins stage `index_`, or finishes the run after the last one.
  void begin_stage(std::vector<output>& out);
  void complete_stage(std::vector<output>& out, const std::string& detail);
  void skip_stage(std::vector<output>& out, const std::string& why);
  // Records a failure and skips ahead to the report stage.
  void fail_stage(std::vector<output>& out, std::string kind, std::string reason, int exit_code,
                  const std::string& status = "failed");
  std::string next_call_id();
  report_request make_report_request();
  void finish_analyze(std::vector<output>& out);
  // Ends the run early with `status` (blocked, denied): the current stage
  // fails, later ones are skipped, the report still runs.
  void end_early(std::vector<output>& out, const std::string& status, int exit_code,
                 std::string kind, std::string reason);
  void ask_gate(std::vector<output>& out, const std::string& mode);
  void record_decision(const std::string& action, const std::string& status,
                       const messages::risk_assessment& a, bool with_scope);
  std::string render_policy_decisions() const;
  messages::policy_run_info policy_info() const;
  // Proof mode: run_replay.sh, and a policy_decisions.json in every case.
  void add_proof(report_request& q) const;
  void begin_apply(std::vector<output>& out);

  // Routed model tasks (a reviewer per shard, the fixer): route -> (reserve)
  // -> call -> settle, with the template's fallbacks.
  struct model_task {
    std::string task_id;
    std::string task_type;  // review | fix
    std::string stage;
    uint32_t shard = 0;
    std::string profile;
    uint64_t scope = 0;  // review: excerpt bytes; fix: findings sent
    prompt text;
    std::vector<std::string> tried;
    std::vector<telemetry::fallback_step> taken;
    messages::routing_task asked;
    messages::routing_decision decision;
    messages::reservation held;
    model_reply reply;
    uint32_t routes = 0;
    bool done = false;
    std::string outcome;
  };
  void start_review_task(std::vector<output>& out, uint32_t shard);
  prompt build_prompt(const model_task& t) const;
  std::set<std::string> task_paths(const model_task& t) const;
  // The findings the mechanical fixer leaves to a human: the fixer's model task.
  std::vector<messages::finding> fix_work() const;
  void route_task(std::vector<output>& out, model_task& t);
  void fall_back(std::vector<output>& out, model_task& t, telemetry::failure_kind kind,
                 const std::string& detail);
  void finish_task(std::vector<output>& out, model_task& t, const std::string& outcome);
  void shard_done(std::vector<output>& out);
  model_task* task_of_call(const std::string& call_id);
  bool task_stage_live(const model_task& t) const;
  messages::routing_report make_routing_report(const report_request& q) const;

  run_start start_;
  size_t index_ = 0;
  uint64_t calls_ = 0;
  bool finished_ = false;
  ingest_result ingest_;
  std::vector<stage_event> outcomes_;
  std::string failure_kind_;
  std::string reason_;
  int exit_code_ = 0;
  std::string final_status_;  // set when the run ends otherwise than succeeded/failed
  std::vector<messages::artifact_ref> artifacts_;

  // analyze
  // The review requests as emitted; their files, changes and commits only
  // when review tasks are routed (task_paths reads them), else empty.
  std::vector<review_request> shards_;
  std::vector<review_result> reviews_;
  size_t reviews_pending_ = 0;
  std::vector<messages::skipped_file> allowlisted_;
  merged_review merged_;
  std::vector<messages::model_usage> usage_;
  // plan / apply / validate
  fix_plan plan_;
  bool fix_attempted_ = false;
  fix_result fix_;
  bool validation_attempted_ = false;
  validate_result validation_;
  // policy gate and HITL
  policy::ruleset ruleset_;
  bool ruleset_ok_ = false;
  std::string gate_mode_;  // incoming | patch
  std::optional<messages::risk_assessment> assessment_;
  std::vector<messages::policy_decision> decisions_;
  std::vector<hitl_request> hitl_requests_;
  hitl_request pending_;
  bool waiting_ = false;
  std::optional<approval_decision> approval_;
  std::string hitl_status_ = "not_required";

  // routing and cost
  std::map<std::string, model_task> tasks_;       // task id -> task
  std::map<std::string, std::string> call_task_;  // call id -> task id
  std::vector<messages::routing_decision> routing_log_;  // every decision, in order
  std::vector<messages::call_record> call_log_;
  std::vector<fallback_note> fallback_log_;
  std::vector<messages::model_issue> model_issues_;
  std::string model_patch_;
  bool budget_stop_ = false;
  std::string budget_reason_;
  bool fix_task_started_ = false;
  uint64_t lines_scanned_ = 0;
};

}  // namespace casm::workflow
