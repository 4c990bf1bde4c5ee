// fleet.json and fleet.md: the summary of a fleet (docs/fleet.md, schema
// docs/schemas/fleet.schema.json). Pure: returns text, parses text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/data/fleet.h"

namespace casm::telemetry {

struct fleet_doc {
  std::string fleet_id;
  std::string created_at;
  std::string updated_at;
  std::string status = "running";  // running | interrupted | budget_stopped | completed
  std::string template_id;
  std::string repos_source;        // the --repos argument, as given
  uint32_t parallel = 1;
  double fleet_budget_usd = -1;    // negative: no cap
  std::vector<std::string> nodes;  // --nodes, empty: local only
  nlohmann::json options = nlohmann::json::object();  // the run flags, for resume
  std::vector<std::string> ignored;  // entries below DIR that are not repositories
  int exit_code = -1;              // -1 until the fleet ends
  double wall_s = 0;               // wall time of the processes that drove it, summed
  std::vector<messages::fleet_row> runs;
};

// The fleet's exit code from its rows: 0 when every run exited 0, else 1.
int fleet_exit_code(const fleet_doc& d);

std::string render_fleet_json(const fleet_doc& d);
std::string render_fleet_md(const fleet_doc& d);
// Parses fleet.json; false with `error` set when it is not one.
bool parse_fleet_json(const std::string& text, fleet_doc& d, std::string& error);

}  // namespace casm::telemetry
