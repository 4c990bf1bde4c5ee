#include "runtime/template_loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "actors/workflow/workflows.h"
#include "messages/codec/digest.h"
#include "runtime/embedded_config.h"
#include "runtime/home.h"

namespace casm::runtime {

using codec::config_error;
using codec::yaml_field;
using codec::yaml_kind;
using codec::yaml_schema;

namespace {

yaml_field str(std::string k, bool req = false, std::vector<std::string> allowed = {}) {
  yaml_field f;
  f.key = std::move(k);
  f.kind = yaml_kind::string;
  f.required = req;
  f.allowed = std::move(allowed);
  return f;
}
yaml_field num(std::string k, double min, std::optional<double> max = std::nullopt,
               yaml_kind kind = yaml_kind::number) {
  yaml_field f;
  f.key = std::move(k);
  f.kind = kind;
  f.min = min;
  f.max = max;
  return f;
}
yaml_field integer(std::string k, double min) { return num(std::move(k), min, std::nullopt, yaml_kind::integer); }
yaml_field boolean(std::string k) {
  yaml_field f;
  f.key = std::move(k);
  f.kind = yaml_kind::boolean;
  return f;
}
yaml_field list(std::string k, std::vector<std::string> allowed = {}) {
  yaml_field f;
  f.key = std::move(k);
  f.kind = yaml_kind::string_list;
  f.allowed = std::move(allowed);
  return f;
}
yaml_field map(std::string k, std::vector<yaml_field> children, bool req = false) {
  yaml_field f;
  f.key = std::move(k);
  f.kind = yaml_kind::map;
  f.required = req;
  f.children = std::move(children);
  return f;
}
yaml_field list_of_maps(std::string k, std::vector<yaml_field> children) {
  yaml_field f;
  f.key = std::move(k);
  f.kind = yaml_kind::list_of_maps;
  f.children = std::move(children);
  return f;
}

const std::vector<std::string> profiles = {"cheap", "code_mid", "reasoning_low", "reasoning_high"};

yaml_field agent(std::string k) {
  auto profile = str("model_profile", false, profiles);
  return map(std::move(k), {boolean("enabled"), profile});
}

// The seed's manifest spec v0.1, and v0.2's additions (DESIGN.md).
yaml_schema manifest_schema(bool v02) {
  auto sandbox = std::vector<yaml_field>{boolean("allow_network"), list("allow_commands"),
                                         integer("command_timeout_seconds", 1)};
  if (v02) sandbox.push_back(str("mode", false, {"strict", "permissive"}));

  auto hitl = std::vector<yaml_field>{
    str("mode", false, {"local", "github_label", "github_comment"}),
    map("github", {str("required_label"), list("approvers")})};
  if (v02) hitl.push_back(num("expires_after_hours", 0));

  auto budget = std::vector<yaml_field>{num("max_usd_per_run", 0)};
  if (v02) budget.push_back(num("max_usd_per_task_default", 0));
  auto routing = std::vector<yaml_field>{
    map("budget", budget),
    str("strategy", false, {"cost_aware_quality_floor", "quality_first", "budget_first", "latency_first"}),
    map("quality_floor", {num("min_confidence", 0, 1)}),
    list_of_maps("fallbacks",
                 {str("on", true, {"timeout", "over_budget", "provider_error", "low_quality"}),
                  str("action", true, {"downgrade_model", "switch_provider", "reduce_scope", "stop"})})};
  if (v02) {
    routing.push_back(list("providers", {"openai", "anthropic", "kimi", "other"}));
    routing.push_back(integer("latency_slo_ms", 0));
    routing.push_back(str("prices_override"));
  }

  yaml_schema s = {
    str("version", true, {"0.1", "0.2"}),
    map("template", {str("id", true), str("name", true), str("description"), list("tags")}, true),
    map("entrypoint", {str("workflow", true)}, true),
    map("runtime", {str("language"), str("minimum_node"), map("sandbox", sandbox)}),
    map("policy", {str("ruleset"), map("hitl", hitl)}),
    map("routing", routing),
    map("agents", {agent("reviewer"), agent("fixer"), agent("validator"), agent("docgen")}),
    map("outputs",
        {list_of_maps("artifacts", {str("report_md"), str("cost_report_md"), str("issues_json"),
                                    str("report_sarif"), str("patch_diff")}),
         map("github", {boolean("create_pr"), str("pr_title"), str("pr_body_artifact"),
                        str("comment_artifact")})}),
    map("telemetry",
        {list("emit", {"run_events", "cost_events", "policy_decisions", "routing_decisions"}),
         map("redaction", {boolean("secrets"), integer("code_snippets_max_chars", 0)}),
         boolean("proof_mode")}),
  };
  if (v02) {
    s.push_back(map("analyze", {integer("max_file_bytes", 1),
                                map("allowlist", {list("paths"), list("fingerprints")})}));
    s.push_back(map("validate", {list("commands")}));
  }
  return s;
}

template <class T>
void get(const YAML::Node& n, const char* key, T& out) {
  if (n && n.IsMap() && n[key]) out = n[key].as<T>();
}
void get_list(const YAML::Node& n, const char* key, std::vector<std::string>& out) {
  if (n && n.IsMap() && n[key] && n[key].IsSequence()) {
    out.clear();
    for (const auto& x : n[key]) out.push_back(x.as<std::string>());
  }
}
void get_agent(const YAML::Node& n, messages::agent_config& a) {
  if (!n) return;
  get(n, "enabled", a.enabled);
  get(n, "model_profile", a.model_profile);
}

std::string read_whole(const std::filesystem::path& p, bool& ok) {
  std::ifstream in(p, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool parse_manifest(const std::string& file, const std::string& text,
                    messages::template_manifest& m, std::vector<config_error>& errors) {
  YAML::Node root;
  if (auto err = codec::parse_yaml(file, text, root)) {
    errors.push_back(*err);
    return false;
  }
  // The version decides the schema; an unknown version is reported by the
  // schema check itself.
  bool v02 = root["version"] && root["version"].IsScalar() && root["version"].Scalar() == "0.2";
  const size_t before = errors.size();
  codec::check_yaml(file, root, manifest_schema(v02), errors);
  if (errors.size() != before) return false;

  get(root, "version", m.version);
  auto t = root["template"];
  get(t, "id", m.id);
  get(t, "name", m.name);
  get(t, "description", m.description);
  get_list(t, "tags", m.tags);
  get(root["entrypoint"], "workflow", m.workflow);
  if (!workflow::stages_of(m.workflow)) {
    std::string known;
    for (const auto& w : workflow::known_workflows()) known += (known.empty() ? "" : ", ") + w;
    errors.push_back(codec::make_config_error(
      file, root["entrypoint"]["workflow"].Mark(), "entrypoint.workflow",
      "entrypoint.workflow '" + m.workflow + "' is not a workflow of this build (known: " +
        known + ")"));
    return false;
  }
  auto rt = root["runtime"];
  get(rt, "language", m.language);
  get(rt, "minimum_node", m.minimum_node);
  auto sb = rt ? rt["sandbox"] : YAML::Node();
  get(sb, "allow_network", m.allow_network);
  get_list(sb, "allow_commands", m.allow_commands);
  get(sb, "command_timeout_seconds", m.command_timeout_seconds);
  get(sb, "mode", m.sandbox_mode);
  auto pol = root["policy"];
  get(pol, "ruleset", m.ruleset);
  auto hitl = pol ? pol["hitl"] : YAML::Node();
  get(hitl, "mode", m.hitl_mode);
  get(hitl, "expires_after_hours", m.hitl_expires_after_hours);
  auto gh = hitl ? hitl["github"] : YAML::Node();
  get(gh, "required_label", m.hitl_required_label);
  get_list(gh, "approvers", m.hitl_approvers);
  auto ro = root["routing"];
  auto bu = ro ? ro["budget"] : YAML::Node();
  get(bu, "max_usd_per_run", m.max_usd_per_run);
  get(bu, "max_usd_per_task_default", m.max_usd_per_task_default);
  get(ro, "strategy", m.strategy);
  get(ro ? ro["quality_floor"] : YAML::Node(), "min_confidence", m.min_confidence);
  if (ro && ro["fallbacks"])
    for (const auto& f : ro["fallbacks"])
      m.fallbacks.push_back({f["on"].as<std::string>(), f["action"].as<std::string>()});
  get_list(ro, "providers", m.providers);
  get(ro, "latency_slo_ms", m.latency_slo_ms);
  get(ro, "prices_override", m.prices_override);
  auto ag = root["agents"];
  if (ag) {
    get_agent(ag["reviewer"], m.reviewer);
    get_agent(ag["fixer"], m.fixer);
    get_agent(ag["validator"], m.validator);
    get_agent(ag["docgen"], m.docgen);
  }
  auto an = root["analyze"];
  get(an, "max_file_bytes", m.max_file_bytes);
  auto al = an ? an["allowlist"] : YAML::Node();
  get_list(al, "paths", m.allowlist_paths);
  get_list(al, "fingerprints", m.allowlist_fingerprints);
  get_list(root["validate"], "commands", m.validate_commands);
  auto out = root["outputs"];
  if (out && out["artifacts"])
    for (const auto& a : out["artifacts"])
      for (auto it = a.begin(); it != a.end(); ++it)
        m.artifacts.push_back({it->first.as<std::string>(), it->second.as<std::string>()});
  get(out ? out["github"] : YAML::Node(), "create_pr", m.github_create_pr);
  auto te = root["telemetry"];
  get_list(te, "emit", m.emit);
  auto red = te ? te["redaction"] : YAML::Node();
  get(red, "secrets", m.redact_secrets);
  get(red, "code_snippets_max_chars", m.code_snippets_max_chars);
  get(te, "proof_mode", m.proof_mode);

  // GitHub HITL modes come with a later issue; refuse them clearly now
  // rather than accept a gate nobody can open.
  if (m.hitl_mode != "local") {
    errors.push_back(codec::make_config_error(
      file, root["policy"]["hitl"]["mode"].Mark(), "policy.hitl.mode",
      "policy.hitl.mode '" + m.hitl_mode +
        "' is not supported yet; only 'local' approvals (casm approve) work in this version"));
    return false;
  }
  return true;
}

std::vector<std::string> shipped_templates() {
  std::vector<std::string> ids;
  const std::string prefix = "templates/", suffix = "/manifest.yaml";
  for (const auto& f : embedded_files()) {
    if (f.path.rfind(prefix, 0) == 0 && f.path.size() > prefix.size() + suffix.size() &&
        f.path.compare(f.path.size() - suffix.size(), suffix.size(), suffix) == 0)
      ids.push_back(f.path.substr(prefix.size(), f.path.size() - prefix.size() - suffix.size()));
  }
  return ids;
}

bool load_template(const std::string& id_or_path, loaded_template& out,
                   std::vector<config_error>& errors) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(id_or_path);
  if (names_a_file(id_or_path)) {
    if (fs::is_directory(p, ec)) p /= "manifest.yaml";
    bool ok = false;
    out.text = read_whole(p, ok);
    if (!ok) {
      config_error e;
      e.file = p.string();
      e.message = "template manifest " + p.string() + " cannot be read (does it exist?)";
      errors.push_back(e);
      return false;
    }
    out.source = p.string();
  } else {
    const auto* f = find_embedded("templates/" + id_or_path + "/manifest.yaml");
    if (!f) {
      std::string known;
      for (const auto& t : shipped_templates()) known += (known.empty() ? "" : ", ") + t;
      config_error e;
      e.message = "unknown template '" + id_or_path + "' (shipped templates: " + known +
                  "; or give a path to a manifest.yaml)";
      errors.push_back(e);
      return false;
    }
    out.text = f->content;
    out.source = "embedded:" + f->path;
  }
  const std::string file_name =
    out.source.rfind("embedded:", 0) == 0 ? out.source.substr(9) : out.source;
  if (!parse_manifest(file_name, out.text, out.manifest, errors)) return false;
  out.hash = codec::sha256_hex(out.text);
  out.stages = *workflow::stages_of(out.manifest.workflow);
  return true;
}

}  // namespace casm::runtime
