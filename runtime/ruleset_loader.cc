#include "runtime/ruleset_loader.h"

#include <filesystem>

#include "actors/supervisor/run_store.h"
#include "runtime/embedded_config.h"
#include "runtime/home.h"

namespace casm::runtime {

bool load_ruleset(const std::string& id_or_path, loaded_ruleset& out,
                  std::vector<codec::config_error>& errors) {
  if (names_a_file(id_or_path)) {
    auto text = supervisor::read_file(id_or_path);
    if (!text) {
      codec::config_error e;
      e.message = "ruleset file '" + id_or_path + "' cannot be read (does it exist?)";
      errors.push_back(e);
      return false;
    }
    out.text = *text;
    out.source = "override";
    out.file = id_or_path;
  } else {
    const auto* f = find_embedded("rulesets/" + id_or_path + ".yaml");
    if (!f) {
      std::string known;
      for (const auto& e : embedded_files())
        if (e.path.rfind("rulesets/", 0) == 0)
          known += (known.empty() ? "" : ", ") + e.path.substr(9, e.path.size() - 14);
      codec::config_error e;
      e.message = "unknown ruleset '" + id_or_path + "' (shipped rulesets: " + known +
                  "; or give a path to a ruleset file)";
      errors.push_back(e);
      return false;
    }
    out.text = f->content;
    out.source = "bundled";
    out.file = f->path;
  }
  if (!policy::parse_ruleset(out.file, out.text, out.rules, errors)) return false;
  out.id = out.rules.id;
  out.hash = policy::ruleset_hash(out.text);
  return true;
}

}  // namespace casm::runtime
