// The story of a run, folded from its log records: what `casm explain`
// prints. Pure and streaming: add() takes one record at a time and keeps only
// the summary, so a log of any length is told in constant memory. The output
// depends on the records alone, so it is byte-identical on every call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace casm::telemetry {

struct log_integrity {
  bool verified = false;
  uint64_t events = 0;
  std::string head_hash;
  bool torn_tail = false;
  std::string problem;
};

class run_story {
public:
  // One verified record (the parsed line). Blob payloads must already be
  // resolved by the caller, for the types reads_payload() names.
  void add(const nlohmann::json& record);
  // Whether add() looks at the payload of a record of `type`. The others
  // (requests, shard results, fix and validation replies) are in the log
  // for replay; the story takes their outcome from later records, so a
  // caller need not parse their blobs (it still checks their digests).
  static bool reads_payload(std::string_view type);
  void set_integrity(log_integrity i) { integrity_ = std::move(i); }

  nlohmann::json to_json() const;
  std::string to_text() const;

private:
  // Each call's cost summed by the stage its task ran in (a stage name ->
  // USD object, in name order).
  nlohmann::json cost_by_stage() const;

  struct stage_row {
    std::string stage, status, detail;
  };
  std::string run_id_, template_id_, workflow_, started_at_, finished_at_;
  nlohmann::json pinned_ = nlohmann::json::object();
  nlohmann::json repo_ = nlohmann::json::object();
  std::string head_rev_, head_commit_, base_commit_;
  bool bare_ = false, shallow_ = false;
  uint64_t file_count_ = 0, total_bytes_ = 0;
  std::vector<stage_row> stages_;
  bool completed_ = false;
  std::string status_ = "running";
  int exit_code_ = -1;
  std::string reason_, failure_kind_;
  nlohmann::json artifacts_ = nlohmann::json::array();
  // The audit, as the report request stated it (findings summarized, never
  // listed: issues.json has them).
  bool audit_ = false;
  nlohmann::json audit_summary_ = nlohmann::json::object();
  nlohmann::json usage_ = nlohmann::json::array();
  // The policy gate: the decisions document, HITL packets and decisions.
  nlohmann::json policy_ = nullptr;
  nlohmann::json hitl_ = nlohmann::json::array();
  nlohmann::json alerts_ = nlohmann::json::array();
  // Routing: every decision (with its candidates and reservation), fallback
  // and model call (with its reconciled cost and output verdict).
  nlohmann::json route_tasks_ = nlohmann::json::object();  // route call id -> task id
  nlohmann::json decisions_ = nlohmann::json::array();
  nlohmann::json fallbacks_ = nlohmann::json::array();
  nlohmann::json calls_ = nlohmann::json::array();
  nlohmann::json cost_summary_ = nullptr;  // run_summary.json's cost, as the report stated it
  nlohmann::json redispatches_ = nlohmann::json::array();  // task.redispatched payloads
  log_integrity integrity_;
};

}  // namespace casm::telemetry
