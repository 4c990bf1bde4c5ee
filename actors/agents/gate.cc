#include "actors/agents/gate.h"

#include <caf/typed_event_based_actor.hpp>

#include "actors/agents/blob_cache.h"
#include "actors/agents/diff_reader.h"
#include "actors/agents/git_access.h"
#include "policy/mechanical_fix.h"
#include "policy/risk.h"

namespace casm::agents {

using messages::gate_request;
using messages::gate_result;

namespace {

// The planned fixes as a diff: each changed line's old and new text.
bool patch_facts(const gate_request& req, const gate_config& config,
                 std::vector<policy::changed_file>& files,
                 std::vector<policy::dependency_manifest>& manifests, std::string& error) {
  // Opened only for a file the reviewer's blob cache does not hold.
  repo_lease repo;
  for (const auto& f : req.files) {
    policy::changed_file c;
    c.path = f.path;
    c.status = policy::change_status::modified;
    git_oid oid;
    blob_bytes blob;
    std::string read_error = "bad object id";
    const bool id_ok = parse_oid(f.oid, oid);
    bool loaded = id_ok && blob.load_cached(oid);
    if (id_ok && !loaded) {
      if (!repo && !open_repository(req.repo_path, repo, error)) return false;
      loaded = blob.load(repo.get(), oid, read_error);
    }
    if (!loaded) {
      c.readable = false;
      c.unreadable_reason = "corrupt object " + f.oid + ": " + read_error;
      files.push_back(std::move(c));
      continue;
    }
    const std::string_view before = blob.view();
    const std::string after = policy::apply_mechanical_fix(
      before, policy::mechanical_fix{f.strip_lines, f.add_final_newline});
    // Line by line: the fix never adds or removes lines.
    size_t pa = 0, pb = 0;
    uint32_t line = 1;
    while (pa < before.size() || pb < after.size()) {
      size_t ea = before.find('\n', pa), eb = after.find('\n', pb);
      if (ea == std::string_view::npos) ea = before.size();
      if (eb == std::string::npos) eb = after.size();
      std::string_view la = before.substr(pa, ea - pa), lb = std::string_view(after).substr(pb, eb - pb);
      const bool nl_a = ea < before.size(), nl_b = eb < after.size();
      if (la != lb || nl_a != nl_b) {
        c.added_lines.push_back({line, std::string(lb)});
        c.removed_lines.emplace_back(la);
      }
      pa = ea + 1;
      pb = eb + 1;
      ++line;
    }
    if (policy::is_dependency_file(config.rules, f.path))
      manifests.push_back({f.path, std::string(before), after});
    files.push_back(std::move(c));
  }
  return true;
}

}  // namespace

gate_result collect_gate_evidence(const gate_request& req, const gate_config& config) {
  gate_result r;
  r.call_id = req.call_id;
  if (req.ruleset_hash != config.ruleset_hash) {
    r.error = "the gate was asked to score with ruleset " + req.ruleset_hash +
              " but holds " + config.ruleset_hash;
    return r;
  }
  std::string error;
  auto heuristics = policy::build_heuristics_scanner(config.rules, &error);
  if (!heuristics) {
    r.error = "the ruleset's patterns do not compile: " + error;
    return r;
  }
  std::vector<policy::changed_file> files;
  std::vector<policy::dependency_manifest> manifests;
  if (req.mode == "incoming") {
    diff_facts facts;
    if (!read_diff_facts(req.repo_path, req.base_commit, req.head_commit, config.rules,
                         req.max_file_bytes, facts, error)) {
      r.error = error;
      return r;
    }
    files = std::move(facts.files);
    manifests = std::move(facts.manifests);
  } else if (!patch_facts(req, config, files, manifests, error)) {
    r.error = error;
    return r;
  }
  r.evidence = policy::collect_evidence(*heuristics, files, manifests);
  r.ok = true;
  return r;
}

protocol::gate_actor::behavior_type gate_agent(protocol::gate_actor::pointer, gate_config config) {
  return {
    [config](const gate_request& req) { return collect_gate_evidence(req, config); },
  };
}

}  // namespace casm::agents
