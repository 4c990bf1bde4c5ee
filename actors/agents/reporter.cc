#include "actors/agents/reporter.h"

#include <caf/typed_event_based_actor.hpp>

#include <future>

#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"
#include "policy/rule_pack.h"
#include "telemetry/issues_writer.h"
#include "telemetry/report_writer.h"

namespace casm::agents {

using messages::report_request;
using messages::report_result;

protocol::reporter_actor::behavior_type reporter_agent(protocol::reporter_actor::pointer,
                                                       std::filesystem::path artifacts_dir) {
  return {
    [artifacts_dir](const report_request& req) {
      report_result r;
      r.call_id = req.call_id;
      // issues.json and SARIF first, report.md last: the report is the
      // artifact that says the others exist.
      std::vector<std::pair<std::string, std::string>> files;
      if (req.audit_enabled) {
        // The two renderings are independent and each costs tens of ms on a
        // large audit: SARIF on a second thread (this actor is detached, and
        // the reviewers that used the cores are done by now). A small one
        // is rendered here: a thread costs more than it saves, and a
        // fleet's other runs have the cores.
        const auto how = req.audit.findings.size() >= 1000 ? std::launch::async : std::launch::deferred;
        auto sarif = std::async(how, [&req] {
          return telemetry::render_sarif(req.audit.findings, req.audit.scope,
                                         policy::rule_infos(policy::builtin_rules()));
        });
        files.emplace_back("issues.json",
                           telemetry::render_issues_json(req.audit.findings, req.audit.scope));
        files.emplace_back("report.sarif", sarif.get());
      }
      if (!req.policy_decisions.empty()) files.emplace_back("policy_decisions.json", req.policy_decisions);
      const auto& rt = req.routing;
      if (!rt.routing_decisions.empty()) files.emplace_back("routing_decisions.json", rt.routing_decisions);
      if (!rt.cost_forecast.empty()) files.emplace_back("cost_forecast.json", rt.cost_forecast);
      if (!rt.cost_report.empty()) files.emplace_back("cost_report.md", rt.cost_report);
      if (!rt.run_summary.empty()) files.emplace_back("run_summary.json", rt.run_summary);
      if (!rt.model_patch.empty()) files.emplace_back("model_patch.diff", rt.model_patch);
      if (!req.run_replay_sh.empty()) files.emplace_back("run_replay.sh", req.run_replay_sh);
      files.emplace_back("report.md", telemetry::render_report_md(req));
      for (const auto& [name, text] : files) {
        auto err = supervisor::write_file_unsynced(artifacts_dir / name, text);
        if (!err.empty()) {
          r.ok = false;
          r.error = err;
          return r;
        }
        if (name == "run_replay.sh") {
          std::error_code ec;  // a script the owner may run directly (it also runs with sh)
          std::filesystem::permissions(artifacts_dir / name,
                                       std::filesystem::perms::owner_exec |
                                         std::filesystem::perms::group_exec,
                                       std::filesystem::perm_options::add, ec);
        }
        r.artifacts.push_back({name, codec::sha256_hex(text), text.size()});
      }
      // Not synced here: the run's end is its next durable point, and its
      // one group-committed flush covers these with the record that lists
      // them (each with its digest, which a resume checks).
      r.ok = true;
      return r;
    },
  };
}

}  // namespace casm::agents
