#include "telemetry/prices.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

namespace casm::telemetry {

using codec::config_error;
using codec::yaml_field;
using codec::yaml_kind;
using codec::yaml_schema;
using messages::model_profile;
using messages::price_entry;
using messages::price_registry;
using messages::provider_entry;

namespace {

yaml_field field(std::string key, yaml_kind kind, bool required = false,
                 std::vector<std::string> allowed = {}) {
  yaml_field f;
  f.key = std::move(key);
  f.kind = kind;
  f.required = required;
  f.allowed = std::move(allowed);
  return f;
}
yaml_field number(std::string key, double min, std::optional<double> max = std::nullopt,
                  bool required = false, yaml_kind kind = yaml_kind::number) {
  auto f = field(std::move(key), kind, required);
  f.min = min;
  f.max = max;
  return f;
}
yaml_field children(std::string key, yaml_kind kind, std::vector<yaml_field> kids,
                    bool required = false) {
  auto f = field(std::move(key), kind, required);
  f.children = std::move(kids);
  return f;
}

const std::vector<std::string> apis = {"openai_chat", "anthropic_messages", "offline"};
const std::vector<std::string> schema_providers = {"openai", "anthropic", "kimi", "hf", "other"};

// `whole`: the base registry (its required keys); otherwise an override,
// where only the keys that identify an item are required.
yaml_schema registry_schema(bool whole) {
  using k = yaml_kind;
  auto provider = std::vector<yaml_field>{
    field("name", k::string, true),
    field("api", k::string, whole, apis),
    field("base_url", k::string),
    field("base_url_env", k::string),
    field("api_key_env", k::string),
    field("max_tokens_field", k::string, false, {"max_tokens", "max_completion_tokens"}),
  };
  auto model = std::vector<yaml_field>{
    field("provider", k::string, whole, schema_providers),
    field("endpoint", k::string),
    field("model", k::string, true),
    number("price_in_per_1m", 0),
    number("price_out_per_1m", 0),
    number("price_cache_read_per_1m", 0),
    number("price_cache_write_per_1m", 0),
    number("context_tokens", 1, std::nullopt, false, k::integer),
    number("max_output_tokens", 1, std::nullopt, false, k::integer),
    field("source", k::string),
    field("verified", k::string),
    field("truth", k::string, false, {"calculated", "simulated"}),
  };
  auto cand = std::vector<yaml_field>{
    field("model", k::string, true),
    field("provider", k::string),
    number("quality", 0, 1, true),
    number("latency_ms", 0, std::nullopt, true, k::integer),
  };
  auto profile = std::vector<yaml_field>{
    field("name", k::string, true, profile_names()),
    children("candidates", k::list_of_maps, cand, true),
  };
  return {
    field("registry_version", k::string, whole),
    field("currency", k::string, whole, {"USD"}),
    field("prices_as_of", k::string),
    children("providers", k::list_of_maps, provider, whole),
    children("models", k::list_of_maps, model, whole),
    children("profiles", k::list_of_maps, profile, whole),
  };
}

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

template <class T>
void set_if(const YAML::Node& n, const char* key, T& out) {
  if (n[key]) out = n[key].as<T>();
}

void apply_provider(const YAML::Node& n, provider_entry& p) {
  set_if(n, "name", p.name);
  set_if(n, "api", p.api);
  set_if(n, "base_url", p.base_url);
  set_if(n, "base_url_env", p.base_url_env);
  set_if(n, "api_key_env", p.api_key_env);
  set_if(n, "max_tokens_field", p.max_tokens_field);
}

// Sets what the node gives. Returns false when a model without a price gets
// only one of the two prices.
bool apply_model(const YAML::Node& n, price_entry& m, bool is_new) {
  set_if(n, "provider", m.provider);
  set_if(n, "endpoint", m.endpoint);
  set_if(n, "model", m.model);
  set_if(n, "price_in_per_1m", m.price_in_per_1m);
  set_if(n, "price_out_per_1m", m.price_out_per_1m);
  set_if(n, "price_cache_read_per_1m", m.price_cache_read_per_1m);
  set_if(n, "price_cache_write_per_1m", m.price_cache_write_per_1m);
  set_if(n, "context_tokens", m.context_tokens);
  set_if(n, "max_output_tokens", m.max_output_tokens);
  set_if(n, "source", m.source);
  set_if(n, "verified", m.verified);
  set_if(n, "truth", m.truth);
  if (m.endpoint.empty()) m.endpoint = m.provider;
  if (is_new || !m.price_known) {
    const bool has_in = static_cast<bool>(n["price_in_per_1m"]);
    const bool has_out = static_cast<bool>(n["price_out_per_1m"]);
    if (has_in != has_out) return false;
    m.price_known = has_in && has_out;
  }
  // Without a cache price, cached tokens pay the input price: the side that
  // never undercounts.
  if (is_new) {
    if (!n["price_cache_read_per_1m"]) m.price_cache_read_per_1m = m.price_in_per_1m;
    if (!n["price_cache_write_per_1m"]) m.price_cache_write_per_1m = m.price_in_per_1m;
  }
  if (!m.price_known)
    m.truth = messages::truth::unknown;
  else if (m.truth == messages::truth::unknown)
    m.truth = messages::truth::calculated;
  return true;
}

void apply_profile(const YAML::Node& n, model_profile& p) {
  set_if(n, "name", p.name);
  p.candidates.clear();
  for (const auto& c : n["candidates"]) {
    messages::profile_candidate pc;
    set_if(c, "model", pc.model);
    set_if(c, "provider", pc.provider);
    set_if(c, "quality", pc.quality);
    set_if(c, "latency_ms", pc.latency_ms);
    p.candidates.push_back(std::move(pc));
  }
}

config_error at(const std::string& file, const YAML::Node& n, std::string key,
                std::string message) {
  return codec::make_config_error(file, n.Mark(), std::move(key), std::move(message));
}

// Applies `root` (already schema-checked) to `reg`. `whole`: a base registry.
void apply(const std::string& file, const YAML::Node& root, price_registry& reg, bool whole,
           std::vector<config_error>& errors) {
  if (whole) {
    set_if(root, "registry_version", reg.registry_version);
  } else {
    std::string v = "override";
    set_if(root, "registry_version", v);
    reg.registry_version += "+" + v;
  }
  set_if(root, "currency", reg.currency);
  set_if(root, "prices_as_of", reg.prices_as_of);
  if (root["prices_as_of"] && !is_date(reg.prices_as_of))
    errors.push_back(
      at(file, root["prices_as_of"], "prices_as_of",
         "'prices_as_of' must be a date YYYY-MM-DD, not '" + reg.prices_as_of + "'"));

  std::set<std::string> seen;
  const auto& providers = root["providers"];
  for (size_t i = 0; providers && i < providers.size(); ++i) {
    const auto& n = providers[i];
    const std::string key = "providers[" + std::to_string(i) + "]";
    const auto name = n["name"].as<std::string>();
    if (!seen.insert(name).second) {
      errors.push_back(
        at(file, n["name"], key + ".name", "provider '" + name + "' is listed twice"));
      continue;
    }
    auto it = std::find_if(reg.providers.begin(), reg.providers.end(),
                           [&](const provider_entry& p) { return p.name == name; });
    if (it == reg.providers.end()) {
      if (!n["api"]) {
        errors.push_back(at(file, n, key + ".api", "new provider '" + name + "' needs 'api'"));
        continue;
      }
      provider_entry p;
      apply_provider(n, p);
      if (p.api == "openai_chat" && p.max_tokens_field.empty()) p.max_tokens_field = "max_tokens";
      reg.providers.push_back(std::move(p));
    } else {
      apply_provider(n, *it);
    }
  }

  seen.clear();
  const auto& models = root["models"];
  for (size_t i = 0; models && i < models.size(); ++i) {
    const auto& n = models[i];
    const std::string key = "models[" + std::to_string(i) + "]";
    const auto name = n["model"].as<std::string>();
    if (!seen.insert(name).second) {
      errors.push_back(
        at(file, n["model"], key + ".model", "model '" + name + "' is listed twice"));
      continue;
    }
    auto it = std::find_if(reg.models.begin(), reg.models.end(),
                           [&](const price_entry& m) { return m.model == name; });
    const bool is_new = it == reg.models.end();
    if (is_new && !n["provider"]) {
      errors.push_back(at(file, n, key + ".provider", "new model '" + name + "' needs 'provider'"));
      continue;
    }
    price_entry m = is_new ? price_entry{} : *it;
    if (!apply_model(n, m, is_new)) {
      errors.push_back(at(file, n, key,
                          "model '" + name +
                            "': give both price_in_per_1m and price_out_per_1m, "
                            "or neither (its price is then unknown)"));
      continue;
    }
    if (n["verified"] && !is_date(m.verified))
      errors.push_back(
        at(file, n["verified"], key + ".verified",
           "'" + key + ".verified' must be a date YYYY-MM-DD, not '" + m.verified + "'"));
    if (is_new)
      reg.models.push_back(std::move(m));
    else
      *it = std::move(m);
  }

  seen.clear();
  const auto& profiles = root["profiles"];
  for (size_t i = 0; profiles && i < profiles.size(); ++i) {
    const auto& n = profiles[i];
    const std::string key = "profiles[" + std::to_string(i) + "]";
    const auto name = n["name"].as<std::string>();
    if (!seen.insert(name).second) {
      errors.push_back(
        at(file, n["name"], key + ".name", "profile '" + name + "' is listed twice"));
      continue;
    }
    auto it = std::find_if(reg.profiles.begin(), reg.profiles.end(),
                           [&](const model_profile& p) { return p.name == name; });
    if (it == reg.profiles.end()) {
      reg.profiles.emplace_back();
      it = std::prev(reg.profiles.end());
    }
    apply_profile(n, *it);
    if (it->candidates.empty())
      errors.push_back(
        at(file, n["candidates"], key + ".candidates", "profile '" + name + "' has no candidates"));
    std::set<std::string> models_in_profile;
    for (size_t c = 0; c < it->candidates.size(); ++c)
      if (!models_in_profile.insert(it->candidates[c].model).second)
        errors.push_back(
          at(file, n["candidates"][c], key + ".candidates[" + std::to_string(c) + "]",
             "model '" + it->candidates[c].model + "' is listed twice in profile '" + name + "'"));
  }
}

// Checks that hold across the merged registry: every model's endpoint is a
// provider entry, every profile exists.
void check_whole(const std::string& file, const YAML::Node& root, const price_registry& reg,
                 std::vector<config_error>& errors) {
  for (const auto& m : reg.models) {
    if (find_provider(reg, m.endpoint)) continue;
    // Assigning YAML::Node rebinds the tree it came from: keep the mark only.
    YAML::Mark where = root.Mark();
    const auto& models = root["models"];
    for (size_t i = 0; models && i < models.size(); ++i)
      if (models[i]["model"].as<std::string>() == m.model) where = models[i].Mark();
    errors.push_back(codec::make_config_error(
      file, where, "models",
      "model '" + m.model + "': endpoint '" + m.endpoint + "' is not in providers"));
  }
  for (const auto& name : profile_names())
    if (!find_profile(reg.profiles, name))
      errors.push_back(at(file, root, "profiles", "missing profile '" + name + "'"));
}

bool load(const std::string& file, const std::string& text, price_registry& reg, bool whole,
          std::vector<config_error>& errors) {
  YAML::Node root;
  if (auto err = codec::parse_yaml(file, text, root)) {
    errors.push_back(*err);
    return false;
  }
  const size_t before = errors.size();
  codec::check_yaml(file, root, registry_schema(whole), errors);
  if (errors.size() != before) return false;
  apply(file, root, reg, whole, errors);
  if (errors.size() != before) return false;
  check_whole(file, root, reg, errors);
  return errors.size() == before;
}

}  // namespace

const std::vector<std::string>& profile_names() {
  static const std::vector<std::string> names = {"cheap", "code_mid", "reasoning_low",
                                                 "reasoning_high"};
  return names;
}

bool parse_price_registry(const std::string& file, const std::string& text, price_registry& out,
                          std::vector<config_error>& errors) {
  out = price_registry{};
  return load(file, text, out, true, errors);
}

bool merge_price_override(const std::string& file, const std::string& text,
                          price_registry& registry, std::vector<config_error>& errors) {
  price_registry merged = registry;
  if (!load(file, text, merged, false, errors)) return false;
  registry = std::move(merged);
  return true;
}

price_lookup lookup_price(const price_registry& registry, std::string_view model,
                          std::string_view provider) {
  price_lookup out;
  for (const auto& m : registry.models) {
    if (m.model != model || (!provider.empty() && m.provider != provider)) continue;
    out.entry = m;
    out.known = m.price_known;
    out.truth = m.price_known ? m.truth : messages::truth::unknown;
    return out;
  }
  out.entry.model = std::string(model);
  out.entry.provider = std::string(provider);
  out.entry.endpoint = std::string(provider);
  out.entry.price_known = false;
  out.entry.truth = messages::truth::unknown;
  out.truth = messages::truth::unknown;
  return out;
}

const price_entry* find_price(const price_registry& registry, std::string_view model) {
  for (const auto& m : registry.models)
    if (m.model == model) return &m;
  return nullptr;
}

const provider_entry* find_provider(const price_registry& registry, std::string_view name) {
  for (const auto& p : registry.providers)
    if (p.name == name) return &p;
  return nullptr;
}

const model_profile* find_profile(const std::vector<model_profile>& profiles,
                                  std::string_view name) {
  for (const auto& p : profiles)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace casm::telemetry
