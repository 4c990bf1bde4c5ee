#include "telemetry/fleet_report.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

using nlohmann::json;

namespace {

const char* const severities[] = {"high", "medium", "low", "info"};

json row_json(const messages::fleet_row& r) {
  json j = json::object();
  codec::put_bytes(j, "repo", r.repo);
  j["run_id"] = r.run_id.empty() ? json(nullptr) : json(r.run_id);
  j["status"] = r.status;
  json f = json::object();
  for (const char* s : severities) {
    auto it = r.findings.find(s);
    f[s] = it == r.findings.end() ? 0 : it->second;
  }
  j["findings"] = f;
  j["cost_usd"] = r.cost_usd;
  j["duration_s"] = std::round(r.duration_s * 1000) / 1000;
  j["exit_code"] = r.has_exit_code ? json(r.exit_code) : json(nullptr);
  if (r.error.empty()) j["error"] = nullptr;
  else codec::put_bytes(j, "error", r.error);
  j["node"] = r.node.empty() ? json(nullptr) : json(r.node);
  j["redispatched"] = r.redispatched;
  return j;
}

bool row_from(const json& j, messages::fleet_row& r) {
  if (!j.is_object()) return false;
  r.repo = codec::get_bytes(j, "repo");
  r.run_id = j.value("run_id", json(nullptr)).is_string() ? j["run_id"].get<std::string>() : "";
  r.status = j.value("status", "pending");
  if (j.contains("findings") && j["findings"].is_object())
    for (auto it = j["findings"].begin(); it != j["findings"].end(); ++it)
      r.findings[it.key()] = it.value().get<uint64_t>();
  r.cost_usd = j.value("cost_usd", 0.0);
  r.duration_s = j.value("duration_s", 0.0);
  r.has_exit_code = j.contains("exit_code") && j["exit_code"].is_number_integer();
  r.exit_code = r.has_exit_code ? j["exit_code"].get<int>() : 0;
  r.error = j.contains("error") && !j["error"].is_null() ? codec::get_bytes(j, "error") : "";
  r.node = j.value("node", json(nullptr)).is_string() ? j["node"].get<std::string>() : "";
  r.redispatched = j.value("redispatched", uint64_t{0});
  return true;
}

struct totals {
  uint64_t done = 0, pending = 0, succeeded = 0, failed = 0, redispatched = 0;
  std::map<std::string, uint64_t> findings{{"info", 0}, {"low", 0}, {"medium", 0}, {"high", 0}};
  double cost = 0, run_s = 0;
};

totals total(const fleet_doc& d) {
  totals t;
  for (const auto& r : d.runs) {
    if (!r.has_exit_code) {
      ++t.pending;
      continue;
    }
    ++t.done;
    if (r.exit_code == 0) ++t.succeeded;
    else ++t.failed;
    for (const auto& [k, v] : r.findings) t.findings[k] += v;
    t.cost += r.cost_usd;
    t.run_s += r.duration_s;
    t.redispatched += r.redispatched;
  }
  return t;
}

std::string money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4f", usd);
  return buf;
}

std::string cell(const std::string& s) {
  std::string out;
  for (char c : codec::display_text(s)) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

int fleet_exit_code(const fleet_doc& d) {
  for (const auto& r : d.runs)
    if (!r.has_exit_code || r.exit_code != 0) return 1;
  return 0;
}

std::string render_fleet_json(const fleet_doc& d) {
  const totals t = total(d);
  json j;
  j["schema_version"] = "1.0";
  j["fleet_id"] = d.fleet_id;
  j["created_at"] = d.created_at;
  j["updated_at"] = d.updated_at;
  j["status"] = d.status;
  j["template_id"] = d.template_id;
  codec::put_bytes(j, "repos_source", d.repos_source);
  j["parallel"] = d.parallel;
  j["fleet_budget_usd"] = d.fleet_budget_usd < 0 ? json(nullptr) : json(d.fleet_budget_usd);
  j["nodes"] = d.nodes;
  j["options"] = d.options;
  json ignored = json::array();
  for (const auto& s : d.ignored) ignored.push_back(codec::display_text(s));
  j["ignored"] = ignored;
  j["exit_code"] = d.exit_code < 0 ? json(nullptr) : json(d.exit_code);
  j["totals"] = {{"repos", d.runs.size()},   {"done", t.done},
                 {"pending", t.pending},     {"succeeded", t.succeeded},
                 {"failed", t.failed},       {"findings", t.findings},
                 {"cost_usd", t.cost},       {"run_seconds", std::round(t.run_s * 1000) / 1000},
                 {"wall_seconds", std::round(d.wall_s * 1000) / 1000},
                 {"redispatched", t.redispatched}};
  json runs = json::array();
  for (const auto& r : d.runs) runs.push_back(row_json(r));
  j["runs"] = std::move(runs);
  return j.dump(2) + "\n";
}

bool parse_fleet_json(const std::string& text, fleet_doc& d, std::string& error) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("runs") || !j["runs"].is_array() || !j.contains("fleet_id")) {
    error = "not a fleet.json document";
    return false;
  }
  try {
    d.fleet_id = j.value("fleet_id", "");
    d.created_at = j.value("created_at", "");
    d.updated_at = j.value("updated_at", "");
    d.status = j.value("status", "running");
    d.template_id = j.value("template_id", "");
    d.repos_source = codec::get_bytes(j, "repos_source");
    d.parallel = j.value("parallel", 1u);
    d.fleet_budget_usd =
      j.contains("fleet_budget_usd") && j["fleet_budget_usd"].is_number() ? j["fleet_budget_usd"].get<double>() : -1;
    d.nodes = j.value("nodes", std::vector<std::string>{});
    d.options = j.value("options", json::object());
    d.ignored = j.value("ignored", std::vector<std::string>{});
    d.exit_code = j.contains("exit_code") && j["exit_code"].is_number_integer() ? j["exit_code"].get<int>() : -1;
    d.wall_s = j.contains("totals") ? j["totals"].value("wall_seconds", 0.0) : 0.0;
    d.runs.clear();
    for (const auto& r : j["runs"]) {
      messages::fleet_row row;
      if (!row_from(r, row)) {
        error = "a row of runs is not an object";
        return false;
      }
      d.runs.push_back(std::move(row));
    }
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  return true;
}

std::string render_fleet_md(const fleet_doc& d) {
  const totals t = total(d);
  std::ostringstream o;
  o << "# Fleet " << d.fleet_id << "\n\n";
  o << "- status: **" << d.status << "**"
    << (d.exit_code >= 0 ? " (exit " + std::to_string(d.exit_code) + ")" : std::string()) << "\n";
  o << "- template: " << d.template_id << ", repos from `" << cell(d.repos_source) << "`, parallel "
    << d.parallel << "\n";
  if (!d.nodes.empty()) {
    o << "- nodes:";
    for (const auto& n : d.nodes) o << " " << n;
    o << "\n";
  }
  o << "- fleet budget: " << (d.fleet_budget_usd < 0 ? std::string("none") : money(d.fleet_budget_usd))
    << ", spent " << money(t.cost) << "\n";
  o << "- repos: " << d.runs.size() << " (" << t.succeeded << " succeeded, " << t.failed
    << " failed, " << t.pending << " not run)\n";
  o << "- findings:";
  for (const char* s : severities) o << " " << s << " " << t.findings.at(s);
  o << "\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f s wall, %.1f s of runs", d.wall_s, t.run_s);
  o << "- time: " << buf << "\n";
  if (t.redispatched) o << "- tasks (shards, fixes, validations) re-dispatched after a node loss: " << t.redispatched << "\n";
  if (!d.ignored.empty()) {
    o << "- ignored (not a repository):";
    for (const auto& s : d.ignored) o << " `" << cell(s) << "`";
    o << "\n";
  }
  if (t.pending) o << "\nResume the rest: `casm resume --fleet-id " << d.fleet_id << "`\n";
  o << "\n| repo | run | status | exit | high | medium | low | info | cost | seconds | error |\n"
    << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : d.runs) {
    std::snprintf(buf, sizeof buf, "%.2f", r.duration_s);
    o << "| " << cell(r.repo) << " | " << (r.run_id.empty() ? "-" : r.run_id) << " | " << r.status
      << " | " << (r.has_exit_code ? std::to_string(r.exit_code) : "-");
    for (const char* s : severities) {
      auto it = r.findings.find(s);
      o << " | " << (it == r.findings.end() ? 0 : it->second);
    }
    o << " | " << money(r.cost_usd) << " | " << buf << " | " << (r.error.empty() ? "" : cell(r.error))
      << " |\n";
  }
  return o.str();
}

}  // namespace casm::telemetry
