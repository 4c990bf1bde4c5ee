// casm run: one template workflow on one repository.
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <git2.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/agents/fixer.h"
#include "actors/agents/ingest.h"
#include "actors/agents/reporter.h"
#include "actors/agents/reviewer.h"
#include "actors/agents/validator.h"
#include "actors/supervisor/run_store.h"
#include "actors/supervisor/supervisor.h"
#include "messages/codec/json_text.h"
#include "messages/codec/timestamp.h"
#include "messages/codec/ulid.h"
#include "messages/data/vocabulary.h"
#include "policy/rule_pack.h"
#include "runtime/actor_boot.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "runtime/node_connect.h"
#include "runtime/run_driver.h"
#include "runtime/routing_config.h"
#include "runtime/run_prepare.h"
#include "runtime/ruleset_loader.h"
#include "policy/scanner.h"
#include "runtime/template_loader.h"
#include "telemetry/baseline.h"

namespace casm::runtime {

using nlohmann::json;
namespace ec = messages::exit_code;

namespace {

void print_summary(const messages::run_outcome& o, const std::string& run_id,
                   const supervisor::fs::path& run_dir, const run_options& opt,
                   const loaded_template& t) {
  if (opt.json) {
    json j;
    j["run_id"] = run_id;
    j["status"] = o.status;
    j["exit_code"] = o.exit_code;
    j["reason"] = codec::display_text(o.reason);
    j["failure_kind"] = o.failure_kind;
    j["run_dir"] = codec::display_text(run_dir.string());
    json arts = json::array();
    for (const auto& a : o.artifacts)
      arts.push_back({{"name", a.name},
                      {"path", codec::display_text((supervisor::run_store::artifacts_dir(run_dir) / a.name).string())},
                      {"sha256", a.sha256},
                      {"bytes", a.bytes}});
    j["artifacts"] = arts;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "run_id: " << run_id << "\n";
  std::cout << "status: " << o.status << " (exit " << o.exit_code << ")\n";
  std::cout << "template: " << t.manifest.id << "  repo: " << codec::display_text(opt.repo)
            << "\n";
  if (!o.reason.empty()) std::cout << "reason: " << codec::display_text(o.reason) << "\n";
  for (const auto& a : o.artifacts)
    std::cout << "artifact: "
              << codec::display_text((supervisor::run_store::artifacts_dir(run_dir) / a.name).string())
              << "\n";
  std::cout << "explain: casm explain --run-id " << run_id << "\n";
}

// The audit's configuration: the manifest, the CLI flags, the ruleset's
// fixer scope and the baseline file. All of it is recorded in run_start.
bool fill_audit_options(const loaded_template& t, const run_options& opt,
                        messages::audit_options& a, loaded_ruleset& pinned_ruleset) {
  const auto& m = t.manifest;
  a.enabled = std::find(t.stages.begin(), t.stages.end(), "analyze") != t.stages.end();
  a.history = opt.history;
  a.write_branch = opt.write_branch;
  a.fail_on = opt.fail_on;
  a.max_file_bytes = static_cast<uint64_t>(m.max_file_bytes);
  a.reviewers = static_cast<uint32_t>(
    opt.reviewers > 0 ? opt.reviewers : std::max(1u, std::thread::hardware_concurrency()));
  a.preview_chars = static_cast<uint32_t>(std::min<int64_t>(m.code_snippets_max_chars, 120));
  a.allow_paths = m.allowlist_paths;
  a.allow_fingerprints = m.allowlist_fingerprints;
  a.manifest_version = m.version;
  a.allow_commands = m.allow_commands;
  a.validate_commands = m.validate_commands;
  a.allow_network = m.allow_network;
  a.sandbox_mode = m.sandbox_mode;
  a.command_timeout_seconds = m.command_timeout_seconds;
  a.validator_enabled = m.validator.enabled;
  a.fixer_enabled = m.fixer.enabled;
  a.tool_version = CASM_VERSION;
  if (!a.enabled) return true;
  a.rule_pack_hash = policy::rule_pack_hash();

  loaded_ruleset rs;
  std::vector<codec::config_error> errors;
  if (!load_ruleset(opt.ruleset.empty() ? m.ruleset : opt.ruleset, rs, errors)) {
    for (const auto& e : errors) print_error(e.to_string());
    return false;
  }
  pinned_ruleset = rs;
  a.ruleset_id = rs.id;
  a.ruleset_hash = rs.hash;
  a.ruleset_source = rs.source;
  a.ruleset_text = rs.text;
  a.hitl_expires_after_hours = m.hitl_expires_after_hours;
  a.sensitive_paths = rs.rules.high_paths;
  if (rs.rules.dependency) a.dependency_files = rs.rules.dependency->files;

  if (!opt.baseline.empty()) {
    auto text = supervisor::read_file(opt.baseline);
    if (!text) {
      print_error("baseline file '" + codec::display_text(opt.baseline) + "' cannot be read");
      return false;
    }
    std::string error;
    auto fps = telemetry::parse_baseline(*text, &error);
    if (!error.empty()) {
      print_error("baseline file '" + codec::display_text(opt.baseline) + "': " + error);
      return false;
    }
    a.baseline_fingerprints.assign(fps.begin(), fps.end());
  }
  return true;
}

// --write-baseline: the fingerprints of this run's findings, plus those the
// old baseline already silenced (so a rerun stays quiet).
bool write_baseline(const supervisor::fs::path& run_dir, const run_options& opt,
                    const messages::audit_options& a) {
  auto text = supervisor::read_file(supervisor::run_store::artifacts_dir(run_dir) / "issues.json");
  if (!text) {
    print_error("cannot write the baseline: the run wrote no issues.json");
    return false;
  }
  std::vector<messages::finding> findings;
  auto doc = json::parse(*text, nullptr, false);
  if (doc.is_object() && doc.contains("findings"))
    for (const auto& f : doc["findings"]) findings.push_back(f.get<messages::finding>());
  for (const auto& fp : a.baseline_fingerprints) {
    messages::finding kept;
    kept.fingerprint = fp;
    findings.push_back(kept);
  }
  std::string baseline = telemetry::render_baseline(findings);
  if (auto err = supervisor::write_file_atomic(opt.write_baseline, baseline); !err.empty()) {
    print_error("cannot write the baseline: " + err);
    return false;
  }
  return true;
}

// The actor system of `casm run --repo --nodes`: the middleman, the
// connections to the nodes and the dispatcher, shut down in that order.
struct node_system {
  std::unique_ptr<casm_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  node_link link;
  void shutdown() {
    if (link.dispatcher) caf::anon_send_exit(link.dispatcher, caf::exit_reason::user_shutdown);
    link.dispatcher = nullptr;
    sys.reset();  // waits for every actor
    cfg.reset();
  }
  ~node_system() { shutdown(); }
};

}  // namespace

std::string new_ulid(int64_t now_ms) {
  codec::ulid_entropy entropy{};
  if (RAND_bytes(entropy.data(), static_cast<int>(entropy.size())) != 1)
    throw std::runtime_error("no randomness available for a new id");
  return codec::make_ulid(static_cast<uint64_t>(now_ms), entropy);
}

bool plan_run(const run_options& opt, run_plan& plan) {
  std::vector<codec::config_error> errors;
  if (!load_template(opt.template_id, plan.tmpl, errors)) {
    for (const auto& e : errors) print_error(e.to_string());
    return false;
  }
  if (!fill_audit_options(plan.tmpl, opt, plan.audit, plan.ruleset)) return false;
  std::vector<std::string> routing_errors;
  const std::string today = codec::format_timestamp(codec::wall_clock_ms()).substr(0, 10);
  if (!make_routing_setup(plan.tmpl.manifest, plan.tmpl.source, opt, today, plan.routing,
                          routing_errors)) {
    for (const auto& e : routing_errors) print_error(e);
    return false;
  }
  return true;
}

std::string prepare_run(const supervisor::run_store& store, const run_plan& plan,
                        const run_options& opt, const std::string& repo, prepared_run& out,
                        const std::function<void(const std::string&)>& before_create) {
  const auto& tmpl = plan.tmpl;
  const auto& ruleset = plan.ruleset;
  const int64_t now = codec::wall_clock_ms();
  const std::string run_id = new_ulid(now);
  if (before_create) before_create(run_id);
  if (auto err = store.create_run_dir(run_id); !err.empty())
    return "cannot create the run in " + store.home().string() + ": " + err;
  const auto run_dir = store.run_dir(run_id);
  std::string holder;
  auto lock = supervisor::run_lock::try_acquire(run_dir, &holder);
  if (!lock) return "cannot lock the new run " + run_id + ": " + holder;
  out.lock.emplace(std::move(*lock));
  out.run_id = run_id;
  out.run_dir = run_dir;

  messages::run_start& start = out.start;
  start.audit = plan.audit;
  start.run_id = run_id;
  start.started_at = codec::format_timestamp(now);
  start.template_id = tmpl.manifest.id;
  start.template_hash = tmpl.hash;
  start.workflow = tmpl.manifest.workflow;
  start.stages = tmpl.stages;
  start.repo = repo;
  start.head_rev = opt.head.empty() ? "HEAD" : opt.head;
  start.base_rev = opt.base;
  start.routing = plan.routing;
  start.routing.day = start.started_at.substr(0, 10);  // a fleet may run past midnight
  start.proof_mode = opt.proof_mode_given ? opt.proof_mode : tmpl.manifest.proof_mode;

  supervisor::supervisor_config& scfg = out.scfg;
  scfg.run_dir = run_dir;
  scfg.run_id = run_id;
  scfg.pinned = json{{"casm_version", CASM_VERSION},
                     {"caf_version", CASM_CAF_VERSION},
                     {"libgit2_version", LIBGIT2_VERSION},
                     {"template_id", tmpl.manifest.id},
                     {"template_hash", tmpl.hash},
                     {"template_source", codec::display_text(
                                           tmpl.source.rfind("embedded:", 0) == 0
                                             ? tmpl.source
                                             : std::filesystem::absolute(tmpl.source).string())},
                     {"manifest_version", tmpl.manifest.version},
                     {"workflow", tmpl.manifest.workflow}};
  if (start.audit.enabled) {
    scfg.pinned["rule_pack_hash"] = start.audit.rule_pack_hash;
    scfg.pinned["ruleset_id"] = ruleset.id;
    scfg.pinned["ruleset_hash"] = ruleset.hash;
    scfg.pinned["ruleset_source"] = ruleset.source;
    // A ruleset given by path: replay and resume re-read that file to tell
    // whether it changed since.
    if (ruleset.source == "override")
      scfg.pinned["ruleset_file"] =
        codec::display_text(std::filesystem::absolute(ruleset.file).string());
  }
  scfg.initial_state.run_id = run_id;
  scfg.initial_state.status = "running";
  scfg.initial_state.template_id = tmpl.manifest.id;
  scfg.initial_state.repo = repo;
  scfg.initial_state.created_at = start.started_at;
  scfg.initial_state.updated_at = start.started_at;
  scfg.initial_state.pid = ::getpid();
  // Not synced: the run's first durable point makes it durable with the log.
  if (auto err = supervisor::run_store::write_state(run_dir, scfg.initial_state, false);
      !err.empty())
    return "cannot write the state of run " + run_id + ": " + err;
  return "";
}

int cmd_run(const global_options& g, const run_options& opt) {
  if (!opt.repos.empty()) return cmd_fleet_run(g, opt);
  run_plan plan;
  if (!plan_run(opt, plan)) return ec::bad_input;

  supervisor::run_store store(resolve_home(g.home));
  // --nodes: the middleman is booted and every node reached (and its
  // protocol checked) before the run exists, so a node that cannot be
  // reached refuses the run with exit 2 and nothing is created.
  node_system nodes;
  if (!opt.nodes.empty()) {
    net_options net;
    net.enabled = true;
    net.tls_cert = opt.tls_cert;
    net.tls_key = opt.tls_key;
    net.tls_ca = opt.tls_ca;
    if (!check_tls_files(net, "casm run --nodes")) return ec::bad_input;
    nodes.cfg = std::make_unique<casm_config>(net);
    nodes.sys = std::make_unique<caf::actor_system>(*nodes.cfg);
    if (auto err = connect_nodes(*nodes.sys, opt.nodes, net.tls(), plan.audit.reviewers, store.home(),
                                 nodes.link);
        !err.empty()) {
      print_error(err);
      return ec::bad_input;
    }
  }
  prepared_run run;
  if (auto err = prepare_run(store, plan, opt, opt.repo, run); !err.empty()) {
    print_error(err);
    return ec::runtime_failure;
  }
  // Loaded from the on-disk pack cache when it fits (install_scanner_cache).
  if (run.start.audit.enabled) policy::scanner::builtin();

  messages::run_outcome outcome;
  if (nodes.sys) {
    spawn_options so;
    so.dispatcher = nodes.link.dispatcher;
    auto result = drive_run_in(*nodes.sys, run.scfg, run.start, store.home(), so);
    nodes.shutdown();  // the supervisor has left the run dir
    outcome = result.failure.empty() ? result.outcome : supervisor_failed(run.scfg, result.failure).outcome;
  } else {
    outcome = drive_run(run.scfg, run.start, store.home()).outcome;
  }
  if (outcome.exit_code != ec::ok && !outcome.reason.empty())
    print_error(codec::display_text(outcome.reason));
  if (!opt.write_baseline.empty() && run.start.audit.enabled &&
      !write_baseline(run.run_dir, opt, run.start.audit) && outcome.exit_code == ec::ok)
    outcome.exit_code = ec::runtime_failure;
  print_summary(outcome, run.run_id, run.run_dir, opt, plan.tmpl);
  return outcome.exit_code;
}

}  // namespace casm::runtime
