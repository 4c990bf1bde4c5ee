#include "telemetry/run_story.h"

#include "telemetry/cost.h"

#include <cstdio>
#include <map>
#include <sstream>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

using nlohmann::json;

namespace {

// Every type add() reads a payload of; one list, so the two cannot drift.
constexpr std::string_view payload_types[] = {
  "config.pinned", "run.started", "ingest.completed", "stage.transition", "hitl.requested",
  "approval.granted", "approval.denied", "approval.consumed", "security.alert",
  "route.requested", "route.decided", "route.fallback", "model.completed", "cost.reconciled",
  "model.output_checked", "report.requested", "task.redispatched", "run.completed",
  "run.aborted"};

}  // namespace

bool run_story::reads_payload(std::string_view type) {
  for (auto t : payload_types)
    if (t == type) return true;
  return false;
}

void run_story::add(const json& rec) {
  const std::string type = rec.value("type", "");
  if (run_id_.empty()) run_id_ = rec.value("run_id", "");
  if (!reads_payload(type)) return;
  const json& p = rec.contains("payload") ? rec["payload"] : json::object();
  if (type == "config.pinned") {
    pinned_ = p;
  } else if (type == "run.started") {
    template_id_ = p.value("template_id", "");
    workflow_ = p.value("workflow", "");
    started_at_ = p.value("started_at", "");
    repo_ = json::object();
    repo_["path"] = p.value("repo", "");
    if (p.contains("repo_b64")) repo_["path_b64"] = p["repo_b64"];
    head_rev_ = p.value("head_rev", "HEAD");
  } else if (type == "ingest.completed") {
    if (p.value("ok", false)) {
      head_commit_ = p.value("head_commit", "");
      base_commit_ = p.value("base_commit", "");
      head_rev_ = p.value("head_rev", head_rev_);
      bare_ = p.value("bare", false);
      shallow_ = p.value("shallow", false);
      file_count_ = p.value("file_count", uint64_t{0});
      total_bytes_ = p.value("total_bytes", uint64_t{0});
    }
  } else if (type == "stage.transition") {
    const std::string stage = p.value("stage", "");
    const std::string status = p.value("status", "");
    if (status == "started") {
      stages_.push_back({stage, "started", ""});
    } else {
      stage_row* row = nullptr;
      for (auto& s : stages_)
        if (s.stage == stage) row = &s;
      if (!row) {
        stages_.push_back({stage, status, ""});
        row = &stages_.back();
      }
      row->status = status;
      row->detail = p.value("detail", "");
    }
  } else if (type == "hitl.requested") {
    hitl_.push_back({{"request", p}, {"requested_at", rec.value("ts", "")}, {"decision", nullptr}});
  } else if (type == "approval.granted" || type == "approval.denied") {
    for (auto& h : hitl_)
      if (h["request"].value("request_id", "") == p.value("request_id", "")) h["decision"] = p;
  } else if (type == "approval.consumed") {
    for (auto& h : hitl_)
      if (h["request"].value("request_id", "") == p.value("request_id", "")) h["consumed_at"] = rec.value("ts", "");
  } else if (type == "security.alert") {
    alerts_.push_back(p);
  } else if (type == "route.requested") {
    route_tasks_[p.value("call_id", "")] = p.contains("task") ? p["task"] : json::object();
  } else if (type == "route.decided") {
    const json& d = p.contains("decision") ? p["decision"] : json::object();
    json cands = json::array();
    if (d.contains("candidates"))
      for (const auto& c : d["candidates"])
        cands.push_back({{"provider", c.value("provider", "")},
                         {"model", c.value("model", "")},
                         {"score", c.value("score", 0.0)},
                         {"estimated_cost_usd", c.value("estimated_cost_usd", 0.0)},
                         {"worst_case_usd", c.value("worst_case_usd", 0.0)},
                         {"price_known", c.value("price_known", false)},
                         {"reject_reasons", c.value("reject_reasons", json::array())}});
    const json& sel = d.value("has_selection", false) && d.contains("selected") ? d["selected"] : json(nullptr);
    const json& res = p.contains("reservation") ? p["reservation"] : json::object();
    json reservation = nullptr;
    if (p.value("reservation_asked", false))
      reservation = {{"granted", res.value("granted", false)},
                     {"amount_usd", res.contains("held") ? res["held"].value("amount_usd", 0.0) : 0.0},
                     {"id", res.contains("held") ? res["held"].value("id", uint64_t{0}) : uint64_t{0}},
                     {"reason_code", res.value("reason_code", "")},
                     {"refused_level", res.value("refused_level", "")}};
    const json& task = route_tasks_.contains(p.value("call_id", "")) ? route_tasks_[p.value("call_id", "")] : json::object();
    decisions_.push_back({{"task_id", d.value("task_id", "")},
                          {"stage", d.value("stage", "")},
                          {"profile", d.value("profile", "")},
                          {"strategy", d.value("strategy", "")},
                          {"estimated_input_tokens", task.value("estimated_input_tokens", uint64_t{0})},
                          {"selected", sel.is_object() ? json{{"provider", sel.value("provider", "")},
                                                              {"model", sel.value("model", "")},
                                                              {"estimated_cost_usd", sel.value("estimated_cost_usd", 0.0)},
                                                              {"worst_case_usd", sel.value("worst_case_usd", 0.0)}}
                                                       : json(nullptr)},
                          {"reason_codes", d.value("reason_codes", json::array())},
                          {"candidates", cands},
                          {"budget", p.value("budget", json::object())},
                          {"reservation", reservation}});
  } else if (type == "route.fallback") {
    fallbacks_.push_back(p);
  } else if (type == "model.completed") {
    const json& t = p.contains("tokens") ? p["tokens"] : json::object();
    calls_.push_back({{"call_id", p.value("call_id", "")},
                      {"endpoint", p.value("endpoint", "")},
                      {"model", p.value("model", "")},
                      {"ok", p.value("ok", false)},
                      {"error_kind", p.value("error_kind", "")},
                      {"http_status", p.value("http_status", 0)},
                      {"attempts", p.value("attempts", 0)},
                      {"latency_ms", p.value("latency_ms", 0)},
                      {"input_tokens", t.value("input_tokens", uint64_t{0})},
                      {"cached_input_tokens", t.value("cached_input_tokens", uint64_t{0})},
                      {"output_tokens", t.value("output_tokens", uint64_t{0})},
                      {"cost", nullptr},
                      {"output", nullptr}});
  } else if (type == "cost.reconciled") {
    for (auto it = calls_.rbegin(); it != calls_.rend(); ++it)
      if ((*it)["cost"].is_null()) {
        (*it)["cost"] = {{"usd", p.contains("actual") ? p["actual"].value("usd", 0.0) : 0.0},
                         {"truth", p.contains("actual") ? p["actual"].value("truth", "") : ""},
                         {"reserved_usd", p.value("reserved_usd", 0.0)},
                         {"released_usd", p.value("released_usd", 0.0)}};
        break;
      }
  } else if (type == "model.output_checked") {
    for (auto& c : calls_)
      if (c.value("call_id", "") == p.value("call_id", ""))
        c["output"] = {{"accepted", p.value("accepted", false)}, {"reason", p.value("reason", "")},
                       {"items", p.value("items", 0)}};
  } else if (type == "report.requested" && p.contains("routing") &&
             !p["routing"].value("run_summary", "").empty()) {
    auto summary = json::parse(p["routing"].value("run_summary", ""), nullptr, false);
    if (summary.is_object() && summary.contains("cost"))
      cost_summary_ = {{"actual", summary["cost"]["actual"]},
                       {"forecast", summary["cost"]["forecast"]},
                       {"unit_economics", summary.value("unit_economics", json::object())}};
  } else if (type == "task.redispatched") {
    redispatches_.push_back(p);
  }
  if (type == "report.requested" && p.value("audit_enabled", false)) {
    if (const auto text = p.value("policy_decisions", ""); !text.empty())
      policy_ = json::parse(text, nullptr, false);
    audit_ = true;
    const json& a = p.contains("audit") ? p["audit"] : json::object();
    json by_sev = {{"high", 0}, {"medium", 0}, {"low", 0}, {"info", 0}};
    std::map<std::string, int> by_rule;
    if (a.contains("findings"))
      for (const auto& f : a["findings"]) {
        by_sev[f.value("level", "info")] = by_sev[f.value("level", "info")].get<int>() + 1;
        ++by_rule[f.value("rule_id", "")];
      }
    json rules = json::object();
    for (const auto& [k, v] : by_rule) rules[k] = v;
    const json& sc = a.contains("scope") ? a["scope"] : json::object();
    json skipped = json::object();
    if (sc.contains("skipped"))
      for (const auto& s : sc["skipped"]) {
        const std::string reason = s.value("reason", "");
        skipped[reason] = skipped.value(reason, 0) + 1;
      }
    audit_summary_ = {
      {"mode", sc.value("mode", "")},
      {"files_scanned", sc.value("files_scanned", uint64_t{0})},
      {"bytes_scanned", sc.value("bytes_scanned", uint64_t{0})},
      {"commits_scanned", sc.value("commits_scanned", uint64_t{0})},
      {"rule_pack_hash", sc.value("rule_pack_hash", "")},
      {"findings", a.contains("findings") ? a["findings"].size() : 0},
      {"by_severity", by_sev},
      {"by_rule", rules},
      {"skipped", skipped},
      {"suppressed", {{"inline", sc.value("suppressed_inline", 0)},
                      {"allowlist", sc.value("suppressed_allowlist", 0)},
                      {"baseline", sc.value("suppressed_baseline", 0)}}},
      {"suggestions", a.contains("suggestions") ? a["suggestions"].size() : 0},
      {"fix", a.value("fix_attempted", false) ? a["fix"] : json(nullptr)},
      {"validation", a.value("validation_attempted", false) ? a["validation"] : json(nullptr)},
      {"outcome", a.value("outcome", "")},
    };
    // Command output stays in the report; the story keeps the verdicts.
    if (audit_summary_["validation"].is_object())
      for (auto& c : audit_summary_["validation"]["commands"]) c.erase("output");
    if (a.contains("usage")) usage_ = a["usage"];
  } else if (type == "run.completed" || type == "run.aborted") {
    completed_ = true;
    status_ = p.value("status", "");
    exit_code_ = p.value("exit_code", -1);
    reason_ = p.value("reason", "");
    failure_kind_ = p.value("failure_kind", "");
    if (p.contains("artifacts")) artifacts_ = p["artifacts"];
    finished_at_ = rec.value("ts", "");
  }
}

json run_story::cost_by_stage() const {
  json by = json::object();
  for (const auto& u : usage_) {
    const std::string task = u.value("task_id", "");
    std::string stage;
    for (const auto& d : decisions_)
      if (d.value("task_id", "") == task) stage = d.value("stage", "");
    if (stage.empty()) {
      const std::string type = u.value("task_type", "");
      stage = type == "review" ? "analyze" : type == "fix" ? "apply" : type;
    }
    const double sum = by.value(stage, 0.0) + u.value("cost_usd", 0.0);
    by[stage] = sum;
  }
  return by;
}

json run_story::to_json() const {
  json j = json::object();
  j["run_id"] = run_id_;
  j["template_id"] = template_id_;
  j["workflow"] = workflow_;
  j["started_at"] = started_at_;
  j["finished_at"] = finished_at_.empty() ? json(nullptr) : json(finished_at_);
  j["status"] = status_;
  j["complete"] = completed_;
  j["exit_code"] = exit_code_ < 0 ? json(nullptr) : json(exit_code_);
  j["reason"] = reason_;
  j["failure_kind"] = failure_kind_;
  j["config"] = pinned_;
  j["repo"] = repo_;
  j["commits"] = {{"head_rev", head_rev_}, {"head", head_commit_}, {"base", base_commit_}};
  j["audited"] = {{"files", file_count_}, {"bytes", total_bytes_}, {"bare", bare_},
                  {"shallow", shallow_}};
  json stages = json::array();
  for (const auto& s : stages_)
    stages.push_back({{"stage", s.stage}, {"status", s.status}, {"detail", s.detail}});
  j["stages"] = stages;
  j["audit"] = audit_ ? audit_summary_ : json(nullptr);
  j["policy"] = {{"decisions", policy_.is_object() ? policy_["decisions"] : json::array()},
                 {"summary", policy_.is_object() ? policy_["summary"] : json(nullptr)},
                 {"risk", policy_.is_object() ? policy_["risk"] : json(nullptr)},
                 {"signals", policy_.is_object() ? policy_["signals"] : json::array()},
                 {"hitl", hitl_},
                 {"alerts", alerts_}};
  if (!redispatches_.empty()) j["redispatches"] = redispatches_;
  j["routing"] = {{"tasks", decisions_}, {"fallbacks", fallbacks_}, {"calls", calls_}};
  double total = 0;
  // The total is as strong as its weakest real figure; the offline
  // provider's $0 stand-ins only count when nothing else was called.
  std::string truth;
  bool any_real = false;
  for (const auto& u : usage_) {
    total += u.value("cost_usd", 0.0);
    const std::string t = u.value("truth", "");
    if (t == "simulated") continue;
    truth = any_real ? weakest_truth(truth, t) : t;
    any_real = true;
  }
  if (!any_real) truth = usage_.empty() ? "calculated" : "simulated";
  j["cost"] = {{"total_usd", total},
               {"truth", truth},
               {"by_stage", cost_by_stage()},
               {"calls", usage_},
               {"summary", cost_summary_}};
  j["artifacts"] = artifacts_;
  j["log"] = {{"verified", integrity_.verified}, {"events", integrity_.events},
              {"head", integrity_.head_hash}, {"torn_tail", integrity_.torn_tail}};
  if (!integrity_.problem.empty()) j["log"]["problem"] = integrity_.problem;
  return j;
}

std::string run_story::to_text() const {
  std::ostringstream o;
  o << "run " << run_id_ << "\n";
  o << "  template  " << template_id_ << " (workflow " << workflow_ << ")\n";
  o << "  repo      " << repo_.value("path", "") << "\n";
  if (!head_commit_.empty()) {
    o << "  head      " << head_rev_ << " = " << head_commit_;
    if (bare_) o << " (bare)";
    if (shallow_) o << " (shallow)";
    o << "\n  base      " << base_commit_ << "\n";
    o << "  audited   " << file_count_ << " files, " << total_bytes_ << " bytes\n";
  }
  o << "  started   " << started_at_ << "\n";
  if (completed_) {
    o << "  finished  " << finished_at_ << "\n";
    o << "  status    " << status_ << " (exit " << exit_code_ << ")\n";
  } else {
    o << "  status    " << status_ << " (the log has no run.completed record: "
      << "the run is in progress or its process died)\n";
  }
  if (!reason_.empty()) o << "  reason    " << failure_kind_ << ": " << reason_ << "\n";
  if (!pinned_.empty()) {
    o << "  config    casm " << pinned_.value("casm_version", "?") << ", template sha256 "
      << pinned_.value("template_hash", "?") << "\n";
  }

  o << "\nstages\n";
  if (stages_.empty()) o << "  (none recorded)\n";
  int n = 0;
  for (const auto& s : stages_) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %d. %-10s %-10s ", ++n, s.stage.c_str(), s.status.c_str());
    o << buf << s.detail << "\n";
  }

  if (audit_) {
    const auto& a = audit_summary_;
    const auto& sev = a["by_severity"];
    o << "\nfindings\n  " << a["findings"].get<size_t>() << " (" << sev.value("high", 0)
      << " high, " << sev.value("medium", 0) << " medium, " << sev.value("low", 0) << " low, "
      << sev.value("info", 0) << " info) in " << a.value("files_scanned", 0) << " files, "
      << a.value("bytes_scanned", 0) << " bytes (" << a.value("mode", "") << " audit)\n";
    for (auto it = a["by_rule"].begin(); it != a["by_rule"].end(); ++it)
      o << "  " << it.value().get<int>() << "  " << it.key() << "\n";
    const auto& sup = a["suppressed"];
    o << "  suppressed: " << sup.value("inline", 0) << " inline, " << sup.value("allowlist", 0)
      << " allowlisted, " << sup.value("baseline", 0) << " baselined\n";
    for (auto it = a["skipped"].begin(); it != a["skipped"].end(); ++it)
      o << "  skipped: " << it.value().get<int>() << " " << it.key() << "\n";
    o << "\nfix\n";
    if (a["fix"].is_null()) {
      o << "  none attempted (" << a.value("suggestions", 0) << " suggestions left to a human)\n";
    } else {
      const auto& f = a["fix"];
      o << "  " << (f.value("ok", false) ? "patch.diff: " : "FAILED: ")
        << f.value("lines_changed", 0) << " lines in " << f.value("files_changed", 0)
        << " files, sha256 " << f.value("patch_sha256", "");
      if (!f.value("branch", "").empty()) o << ", branch " << f.value("branch", "");
      if (!f.value("error", "").empty()) o << ", " << f.value("error", "");
      o << "\n  " << a.value("suggestions", 0) << " suggestions left to a human\n";
    }
    o << "\nvalidation\n";
    if (a["validation"].is_null()) o << "  none ran\n";
    else
      for (const auto& c : a["validation"]["commands"])
        o << "  " << c.value("command", "") << ": " << c.value("status", "") << " (exit "
          << c.value("exit_code", -1) << (c.value("sandboxed", false) ? ", sandboxed" : ", NOT sandboxed")
          << ")\n";
    o << "  outcome " << a.value("outcome", "") << "\n";
  }
  o << "\npolicy decisions\n";
  if (!policy_.is_object() && hitl_.empty()) {
    o << "  (none recorded: no gate was reached)\n";
  } else if (policy_.is_object()) {
    const auto& sum = policy_["summary"];
    const auto& risk = policy_["risk"];
    char score[32];
    std::snprintf(score, sizeof score, "%.2f", risk.value("score", 0.0));
    o << "  status " << sum.value("status", "") << ", score " << score << " (warn "
      << risk["thresholds"].value("warn", 0.0) << ", gate " << risk["thresholds"].value("gate", 0.0)
      << ", block " << risk["thresholds"].value("block", 0.0) << ")\n";
    std::string codes;
    for (const auto& c : sum["reason_codes"]) codes += (codes.empty() ? "" : ", ") + c.get<std::string>();
    if (!codes.empty()) o << "  reasons " << codes << "\n";
    for (const auto& c : risk["components"]) {
      char line[160];
      std::snprintf(line, sizeof line, "  component %-24s weight %.2f contribution %.3f evidence %d\n",
                    c.value("name", "").c_str(), c.value("weight", 0.0), c.value("contribution", 0.0),
                    c.value("evidence_count", 0));
      o << line;
    }
    for (const auto& sg : policy_["signals"])
      o << "  signal " << sg.value("type", "") << " " << sg.value("severity", "") << " "
        << sg.value("file", "") << (sg.contains("line_start") ? ":" + std::to_string(sg.value("line_start", 0)) : "")
        << "  " << sg.value("message", "") << "\n";
    for (const auto& d : policy_["decisions"])
      o << "  decision " << d.value("stage", "") << ": " << d.value("action", "") << " ("
        << d.value("status", "") << ")\n";
  }
  for (const auto& h : hitl_) {
    const auto& q = h["request"];
    o << "  hitl request " << q.value("request_id", "") << " at " << h.value("requested_at", "")
      << " (" << q.value("mode", "") << " diff " << q.value("diff_hash", "").substr(0, 12) << ")\n";
    if (h["decision"].is_object()) {
      const auto& d = h["decision"];
      o << "    " << d.value("decision", "") << " by " << d.value("by", "") << " (os user "
        << d.value("os_user", "") << ") at " << d.value("decided_at", "") << ": "
        << d.value("reason", "") << "\n";
      if (h.contains("consumed_at")) o << "    consumed at " << h.value("consumed_at", "") << "\n";
    } else {
      o << "    waiting for a decision\n";
    }
  }
  for (const auto& a : alerts_) o << "  SECURITY ALERT at " << a.value("stage", "") << ": " << a.value("summary", "") << "\n";
  if (!redispatches_.empty()) {
    o << "\nre-dispatched tasks (a node was lost)\n";
    for (const auto& r : redispatches_) {
      // A shard names its number; a fix or a validation its kind.
      const std::string task = r.value("task", "");
      const std::string what = task.empty() ? "shard " + std::to_string(r.value("shard", 0))
                               : task == "validate" ? std::string("validation") : task;
      for (const auto& line : r.value("redispatches", json::array()))
        o << "  " << what << " (call " << r.value("call_id", "") << "): " << line.get<std::string>()
          << "\n";
    }
  }
  o << "\nrouting choices\n";
  if (decisions_.empty()) o << "  (none recorded: no routed model task)\n";
  for (const auto& d : decisions_) {
    const auto& sel = d["selected"];
    char buf[160];
    o << "  " << d.value("task_id", "") << " (" << d.value("stage", "") << ", profile "
      << d.value("profile", "") << ", " << d.value("strategy", "") << "): ";
    if (sel.is_object()) {
      std::snprintf(buf, sizeof buf, " est $%.6f, worst case $%.6f", sel.value("estimated_cost_usd", 0.0),
                    sel.value("worst_case_usd", 0.0));
      o << sel.value("provider", "") << "/" << sel.value("model", "") << buf;
    } else {
      o << "no model";
    }
    std::string codes;
    for (const auto& c : d["reason_codes"]) codes += (codes.empty() ? "" : ", ") + c.get<std::string>();
    o << "  [" << codes << "]\n";
    const auto& r = d["reservation"];
    if (r.is_object()) {
      std::snprintf(buf, sizeof buf, "$%.6f", r.value("amount_usd", 0.0));
      o << "    reservation: " << (r.value("granted", false) ? std::string("granted ") + buf
                                                               : "refused " + r.value("reason_code", "") +
                                                                   " at " + r.value("refused_level", ""))
        << "\n";
    }
    for (const auto& c : d["candidates"]) {
      std::string why;
      for (const auto& x : c["reject_reasons"]) why += (why.empty() ? "" : ",") + x.get<std::string>();
      std::snprintf(buf, sizeof buf, " score %.3f est $%.6f", c.value("score", 0.0), c.value("estimated_cost_usd", 0.0));
      o << "    - " << c.value("provider", "") << "/" << c.value("model", "")
        << (c.value("price_known", false) ? std::string(buf) : std::string(" price unknown"))
        << (why.empty() ? std::string("  eligible") : "  rejected: " + why) << "\n";
    }
  }
  for (const auto& f : fallbacks_)
    o << "  fallback " << f.value("task_id", "") << ": on " << f.value("on", "") << " -> "
      << f.value("action", "") << " (" << f.value("reason_code", "") << "), failed "
      << f.value("failed_model", "") << (f.value("next_model", "").empty() ? "" : ", next " + f.value("next_model", ""))
      << (f.value("next_profile", "").empty() ? "" : ", profile " + f.value("next_profile", "")) << ": "
      << f.value("detail", "") << "\n";
  for (const auto& c : calls_) {
    char buf[200];
    const auto& cost = c["cost"];
    std::snprintf(buf, sizeof buf, " in=%llu (cached %llu) out=%llu",
                  static_cast<unsigned long long>(c.value("input_tokens", uint64_t{0})),
                  static_cast<unsigned long long>(c.value("cached_input_tokens", uint64_t{0})),
                  static_cast<unsigned long long>(c.value("output_tokens", uint64_t{0})));
    o << "  call " << c.value("call_id", "") << " " << c.value("endpoint", "") << "/" << c.value("model", "")
      << ": " << (c.value("ok", false) ? std::string("ok") : c.value("error_kind", "")) << buf;
    if (cost.is_object()) {
      std::snprintf(buf, sizeof buf, " $%.6f (%s), reserved $%.6f", cost.value("usd", 0.0),
                    cost.value("truth", "").c_str(), cost.value("reserved_usd", 0.0));
      o << buf;
    }
    if (c["output"].is_object())
      o << (c["output"].value("accepted", false) ? ", output accepted" : ", output rejected: " + c["output"].value("reason", ""));
    o << "\n";
  }
  o << "\ncost\n";
  if (cost_summary_.is_object()) {
    char buf[200];
    const auto& a = cost_summary_["actual"];
    const auto& f = cost_summary_["forecast"];
    std::snprintf(buf, sizeof buf, "  actual $%.6f (%s), forecast $%.6f (%s, R and S applied)\n",
                  a.value("usd", 0.0), a.value("truth", "").c_str(), f.value("usd", 0.0),
                  f.value("truth", "").c_str());
    o << buf;
  }
  if (usage_.empty()) {
    o << "  total $0.00 (calculated: no model calls, no tool or infra cost lines)\n";
  } else {
    double total = 0;
    for (const auto& u : usage_) {
      char line[256];
      std::snprintf(line, sizeof line, "  %s %-7s %s/%s in=%llu out=%llu $%.4f (%s)\n",
                    u.value("task_id", "").c_str(), u.value("task_type", "").c_str(),
                    u.value("provider", "").c_str(), u.value("model", "").c_str(),
                    static_cast<unsigned long long>(u.value("input_tokens", uint64_t{0})),
                    static_cast<unsigned long long>(u.value("output_tokens", uint64_t{0})),
                    u.value("cost_usd", 0.0), u.value("truth", "").c_str());
      o << line;
      total += u.value("cost_usd", 0.0);
    }
    const json by_stage = cost_by_stage();
    for (const auto& [stage, usd] : by_stage.items()) {
      char line[128];
      std::snprintf(line, sizeof line, "  stage %-8s $%.4f\n", stage.c_str(), usd.get<double>());
      o << line;
    }
    char t[64];
    std::snprintf(t, sizeof t, "  total $%.4f\n", total);
    o << t;
  }

  o << "\nartifacts\n";
  if (artifacts_.empty()) o << "  (none)\n";
  for (const auto& a : artifacts_)
    o << "  " << a.value("name", "") << "  sha256 " << a.value("sha256", "") << "  "
      << a.value("bytes", 0) << " bytes\n";

  o << "\nlog\n  " << integrity_.events << " events, head " << integrity_.head_hash << ", "
    << (integrity_.verified ? "chain verified" : "CHAIN DOES NOT VERIFY") << "\n";
  if (integrity_.torn_tail) o << "  a torn last line follows the last record (a crash mid-append)\n";
  if (!integrity_.problem.empty()) o << "  " << integrity_.problem << "\n";
  return o.str();
}

}  // namespace casm::telemetry
