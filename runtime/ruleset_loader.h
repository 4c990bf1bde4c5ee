// Finds, reads and validates a policy ruleset: a shipped id
// (config/rulesets/<id>.yaml, compiled in) or a path. Its sha256 is the
// ruleset hash.
#pragma once

#include <string>
#include <vector>

#include "messages/codec/yaml_schema.h"
#include "policy/ruleset.h"

namespace casm::runtime {

struct loaded_ruleset {
  std::string id;
  std::string source;  // bundled | override (a path)
  std::string file;    // for messages
  std::string text;
  std::string hash;
  policy::ruleset rules;
};

bool load_ruleset(const std::string& id_or_path, loaded_ruleset& out,
                  std::vector<codec::config_error>& errors);

}  // namespace casm::runtime
