// The price registry (config/prices.yaml) and a user override merged over it:
// parsed from text, validated with file:line:column errors, and looked up.
// A model the registry cannot price is "unknown", never $0 (DESIGN.md,
// Conventions). Pure: no file I/O, the caller passes the text in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/codec/yaml_schema.h"
#include "messages/data/routing.h"

namespace casm::telemetry {

// The profile names the manifest may use, from cheapest to strongest.
const std::vector<std::string>& profile_names();

// Parses a whole registry. On any error, returns false and appends every
// problem found to `errors` (out is then unspecified).
bool parse_price_registry(const std::string& file, const std::string& text,
                          messages::price_registry& out, std::vector<codec::config_error>& errors);

// Merges an override file over `registry`. Every key is optional:
//  - a model named in the registry gets the fields given, the others stay;
//    a new model needs `provider` (and prices, or it is priced unknown);
//  - a provider entry likewise, by `name` (a new one needs `api`);
//  - a profile listed replaces that profile's candidates;
//  - registry_version becomes "<base>+<override's, or 'override'>".
// On any error, returns false and leaves `registry` unchanged.
bool merge_price_override(const std::string& file, const std::string& text,
                          messages::price_registry& registry,
                          std::vector<codec::config_error>& errors);

struct price_lookup {
  bool known = false;           // a price that can be reserved against a budget
  messages::price_entry entry;  // for an unknown model: model and provider as asked
  std::string truth;            // the entry's label, or "unknown"
};

// By model id; with a non-empty `provider`, the entry must also match it.
price_lookup lookup_price(const messages::price_registry& registry, std::string_view model,
                          std::string_view provider = {});

// The entry for `model` (any price state), or nullptr. No copy: for hot paths.
const messages::price_entry* find_price(const messages::price_registry& registry,
                                        std::string_view model);

const messages::provider_entry* find_provider(const messages::price_registry& registry,
                                              std::string_view name);
const messages::model_profile* find_profile(const std::vector<messages::model_profile>& profiles,
                                            std::string_view name);

}  // namespace casm::telemetry
