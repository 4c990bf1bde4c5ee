// The run's routing configuration from the shipped price registry, the
// template's routing section (and its price override) and the CLI flags
// (--provider, --budget-usd, --routing). Errors are sentences naming what and
// where; the caller exits 2.
#pragma once

#include <string>
#include <vector>

#include "messages/data/manifest.h"
#include "messages/data/routing_flow.h"
#include "runtime/commands.h"

namespace casm::runtime {

// The shipped registry (config/prices.yaml, embedded), merged with
// `override_file` when given.
bool load_prices(const std::string& override_file, messages::price_registry& out,
                 std::vector<std::string>& errors);

// `template_source` locates a relative prices_override (next to the manifest).
bool make_routing_setup(const messages::template_manifest& m, const std::string& template_source,
                        const run_options& opt, const std::string& day,
                        messages::routing_setup& out, std::vector<std::string>& errors);

}  // namespace casm::runtime
