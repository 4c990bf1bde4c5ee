// Structural checks for YAML config (manifests, rulesets, price registries).
//
// A schema is a tree of fields. check() walks a parsed document against it and
// reports every unknown key, wrong type, missing required field, value out of
// range or outside its enumeration, each with file:line:column (1-based) and
// the dotted key path. Semantic checks (thresholds ordered, patterns compile)
// belong to the owner of the config and use the same error type.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace casm::codec {

struct config_error {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string key; // dotted path, e.g. "routing.budget.max_usd_per_run"
  std::string message;

  // "file:line:column: message"
  std::string to_string() const;
};

enum class yaml_kind {
  string,
  number,
  integer,
  boolean,
  string_list,
  map,           // fixed keys, described by `children`
  list_of_maps,  // each item a map described by `children`
  string_map,    // free keys, string values (e.g. price overrides by name)
};

struct yaml_field {
  std::string key;
  yaml_kind kind = yaml_kind::string;
  bool required = false;
  std::vector<std::string> allowed;  // for string / string_list: enumeration
  std::optional<double> min;         // for number / integer
  std::optional<double> max;
  std::vector<yaml_field> children;  // for map / list_of_maps
};

using yaml_schema = std::vector<yaml_field>;

config_error make_config_error(const std::string& file, const YAML::Mark& mark,
                               std::string key, std::string message);

// Parses `text`; on malformed YAML returns the parser's position and message.
std::optional<config_error> parse_yaml(const std::string& file, const std::string& text,
                                       YAML::Node& out);

// Checks `root` (a map) against `schema`. Appends every problem to `errors`.
void check_yaml(const std::string& file, const YAML::Node& root, const yaml_schema& schema,
                std::vector<config_error>& errors, const std::string& prefix = "");

}  // namespace casm::codec
