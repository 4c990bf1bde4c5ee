#include "runtime/config_drift.h"

#include <cstring>
#include <optional>

#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "policy/rule_pack.h"
#include "policy/ruleset.h"
#include "runtime/embedded_config.h"

namespace casm::runtime {

using nlohmann::json;

namespace {

constexpr const char* embedded_prefix = "embedded:";

std::string field(const json& pinned, const char* key) {
  auto it = pinned.find(key);
  return it != pinned.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The current bytes of a pinned config file: embedded in this build
// ("embedded:<path under config/>") or a file. Sets `why` when there are none.
std::optional<std::string> current_text(const std::string& source, std::string& why) {
  if (source.rfind(embedded_prefix, 0) == 0) {
    if (const auto* f = find_embedded(source.substr(std::strlen(embedded_prefix)))) return f->content;
    why = "this build does not ship it";
    return std::nullopt;
  }
  // Paths were recorded as display text (json_text.h); this is the inverse.
  auto text = supervisor::read_file(codec::unescape_bytes(source));
  if (!text) why = "the file cannot be read";
  return text;
}

void compare(std::vector<config_difference>& out, config_difference d, const std::string& label) {
  if (d.message.empty()) {
    if (d.current == d.pinned) return;
    d.message = label + ": pinned " + (d.what == "casm_version" ? "" : "sha256 ") + d.pinned +
                ", current " + d.current;
  }
  out.push_back(std::move(d));
}

}  // namespace

std::vector<config_difference> config_drift(const json& pinned, const std::string& casm_version) {
  std::vector<config_difference> out;
  if (!pinned.is_object()) {
    out.push_back({"config_pinned", "", "", "", "",
                   "the log has no config.pinned record, so its config cannot be compared"});
    return out;
  }

  compare(out, {"casm_version", "", "", field(pinned, "casm_version"), casm_version, ""},
          "casm version");

  {
    config_difference d{"template", field(pinned, "template_id"), field(pinned, "template_source"),
                        field(pinned, "template_hash"), "", ""};
    const std::string label = "template " + d.name + " (" + d.source + ")";
    std::string why;
    if (d.source.empty())
      d.message = label + ": the log does not record where the template was loaded from";
    else if (auto text = current_text(d.source, why))
      d.current = codec::sha256_hex(*text);
    else
      d.message = label + ": pinned sha256 " + d.pinned + ", but " + why;
    compare(out, std::move(d), label);
  }

  // Only audits pin a rule pack and a ruleset.
  if (pinned.contains("rule_pack_hash"))
    compare(out, {"rule_pack", "", "", field(pinned, "rule_pack_hash"), policy::rule_pack_hash(), ""},
            "rule pack");

  if (pinned.contains("ruleset_id")) {
    config_difference d{"ruleset", field(pinned, "ruleset_id"), "", field(pinned, "ruleset_hash"),
                        "", ""};
    std::string label = "ruleset " + d.name;
    std::string why;
    if (field(pinned, "ruleset_source") == "bundled") {
      d.source = embedded_prefix + std::string("rulesets/") + d.name + ".yaml";
    } else {
      // An override file: its path is pinned as ruleset_file.
      d.source = field(pinned, "ruleset_file");
      label += " (" + d.source + ")";
    }
    if (d.source.empty())
      d.message = label + ": pinned sha256 " + d.pinned +
                  ", but the log does not record the file it was loaded from "
                  "(config.pinned has no ruleset_file)";
    else if (auto text = current_text(d.source, why))
      d.current = policy::ruleset_hash(*text);
    else
      d.message = label + ": pinned sha256 " + d.pinned + ", but " + why;
    compare(out, std::move(d), label);
  }
  return out;
}

json to_json(const config_difference& d) {
  json j{{"what", d.what}, {"pinned", d.pinned}, {"message", d.message}};
  j["current"] = d.current.empty() ? json(nullptr) : json(d.current);
  if (!d.name.empty()) j["name"] = d.name;
  if (!d.source.empty()) j["source"] = d.source;
  return j;
}

}  // namespace casm::runtime
