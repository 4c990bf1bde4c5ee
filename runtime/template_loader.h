// Finds, reads and validates template manifests (config/templates/<id>/
// manifest.yaml), versions 0.1 and 0.2. Every problem is reported with
// file:line:column and the offending key.
#pragma once

#include <string>
#include <vector>

#include "messages/codec/yaml_schema.h"
#include "messages/data/manifest.h"

namespace casm::runtime {

struct loaded_template {
  messages::template_manifest manifest;
  std::string source;  // "embedded:templates/noop/manifest.yaml" or a file path
  std::string text;    // the exact bytes; their sha256 is the template hash
  std::string hash;
  std::vector<std::string> stages;
};

// Parses and validates manifest `text` (named `file` in errors). On failure
// returns false and fills `errors` (all problems found, in document order).
bool parse_manifest(const std::string& file, const std::string& text,
                    messages::template_manifest& out, std::vector<codec::config_error>& errors);

// Resolves `id_or_path`: an existing file or directory (containing
// manifest.yaml) is read from disk; otherwise it is a shipped template id.
// Unknown ids and unreadable files produce one config_error.
bool load_template(const std::string& id_or_path, loaded_template& out,
                   std::vector<codec::config_error>& errors);

// Ids of the shipped templates.
std::vector<std::string> shipped_templates();

}  // namespace casm::runtime
