// The messages of one run's workflow: what the supervisor delivers into the
// coordinator (inputs) and what the coordinator emits (outputs). Plain data;
// the CAF side (inspect, interfaces) is in messages/protocol/.
//
// Every message has a JSON form (to_json/from_json) that is what the run log
// records. Byte strings that may not be UTF-8 (paths, revisions, errors) are
// written with codec::put_bytes, so they survive exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace casm::messages {

// --- inputs -----------------------------------------------------------------

// The first input of every run. Everything the coordinator may not compute
// itself (the clock, the random run id) arrives here and is recorded.
struct run_start {
  std::string run_id;
  std::string started_at;  // RFC 3339, UTC, milliseconds
  std::string template_id;
  std::string template_hash;
  std::string workflow;            // entrypoint.workflow
  std::vector<std::string> stages; // the stage order the coordinator executes
  std::string repo;                // the path as the user gave it
  std::string head_rev = "HEAD";
  std::string base_rev;            // empty: audit everything at head
};

// What ingest learned about the repository. Pins the commits of the run.
struct ingest_result {
  std::string call_id;
  bool ok = false;
  std::string error_kind;  // "" | bad_input | io
  std::string error;       // one sentence, names what and where
  std::string repo_path;   // the resolved repository path
  bool bare = false;
  bool shallow = false;
  std::string head_rev;
  std::string head_commit;
  std::string head_tree;
  int64_t head_time = 0;   // commit time, seconds since epoch
  std::string base_commit; // git's empty tree when there is no base
  uint64_t file_count = 0;
  uint64_t total_bytes = 0;
};

struct artifact_ref {
  std::string name;  // file name under artifacts/
  std::string sha256;
  uint64_t bytes = 0;
};

struct report_result {
  std::string call_id;
  bool ok = false;
  std::string error;
  std::vector<artifact_ref> artifacts;
};

// --- outputs ----------------------------------------------------------------

struct ingest_request {
  std::string call_id;
  std::string repo;
  std::string head_rev;
  std::string base_rev;
};

// A stage transition. status: started | completed | failed | skipped.
struct stage_event {
  std::string stage;
  std::string status;
  std::string detail;
};

// Everything the reporter needs to write report.md: it renders, it decides
// nothing.
struct report_request {
  std::string call_id;
  std::string run_id;
  std::string template_id;
  std::string started_at;
  std::string repo;
  std::string head_rev;
  std::string head_commit;
  std::string base_commit;
  bool bare = false;
  bool shallow = false;
  uint64_t file_count = 0;
  uint64_t total_bytes = 0;
  std::vector<stage_event> stages;
  std::string status;     // the run status this report states
  int exit_code = 0;
  std::string reason;     // why it ended so (empty on success)
  std::string failure_kind;
};

// The coordinator's last word: how the run ended.
struct run_outcome {
  std::string status;  // a run_status name
  int exit_code = 0;
  std::string reason;
  std::string failure_kind;  // "" | bad_input | patch_apply | validation_command | ...
  std::vector<artifact_ref> artifacts;
};

// --- JSON forms (the run log) ----------------------------------------------

void to_json(nlohmann::json& j, const run_start& x);
void from_json(const nlohmann::json& j, run_start& x);
void to_json(nlohmann::json& j, const ingest_request& x);
void from_json(const nlohmann::json& j, ingest_request& x);
void to_json(nlohmann::json& j, const ingest_result& x);
void from_json(const nlohmann::json& j, ingest_result& x);
void to_json(nlohmann::json& j, const artifact_ref& x);
void from_json(const nlohmann::json& j, artifact_ref& x);
void to_json(nlohmann::json& j, const report_request& x);
void from_json(const nlohmann::json& j, report_request& x);
void to_json(nlohmann::json& j, const report_result& x);
void from_json(const nlohmann::json& j, report_result& x);
void to_json(nlohmann::json& j, const stage_event& x);
void from_json(const nlohmann::json& j, stage_event& x);
void to_json(nlohmann::json& j, const run_outcome& x);
void from_json(const nlohmann::json& j, run_outcome& x);

// The event `type` under which each message is recorded. The complete table
// is docs/events.md; tests check every emitted type is listed there.
template <class T> struct event_type;
template <> struct event_type<run_start> { static constexpr const char* value = "run.started"; };
template <> struct event_type<ingest_request> { static constexpr const char* value = "ingest.requested"; };
template <> struct event_type<ingest_result> { static constexpr const char* value = "ingest.completed"; };
template <> struct event_type<report_request> { static constexpr const char* value = "report.requested"; };
template <> struct event_type<report_result> { static constexpr const char* value = "report.completed"; };
template <> struct event_type<stage_event> { static constexpr const char* value = "stage.transition"; };
template <> struct event_type<run_outcome> { static constexpr const char* value = "run.completed"; };

}  // namespace casm::messages
