// The price registry: the shipped file is complete and consistent, bad files
// are refused with file:line:column, overrides merge field by field, and an
// unknown model is priced "unknown", never $0.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "telemetry/prices.h"
#include "tests/unit/routing_fixtures.h"

namespace casm::telemetry {
namespace {

using codec::config_error;

const char* const mini = R"(registry_version: "t1"
currency: USD
prices_as_of: "2025-07-15"
providers:
  - name: openai
    api: openai_chat
    api_key_env: OPENAI_API_KEY
  - name: offline
    api: offline
models:
  - provider: openai
    model: m-small
    price_in_per_1m: 1.0
    price_out_per_1m: 2.0
    price_cache_read_per_1m: 0.5
    context_tokens: 1000
    max_output_tokens: 100
    source: "https://example.invalid/pricing"
    verified: "2025-07-15"
  - provider: other
    endpoint: offline
    model: casm-offline
    price_in_per_1m: 0
    price_out_per_1m: 0
    truth: simulated
profiles:
  - name: cheap
    candidates: [{model: m-small, quality: 0.6, latency_ms: 100}]
  - name: code_mid
    candidates: [{model: m-small, quality: 0.7, latency_ms: 100}]
  - name: reasoning_low
    candidates: [{model: m-small, quality: 0.8, latency_ms: 100}]
  - name: reasoning_high
    candidates: [{model: m-small, quality: 0.9, latency_ms: 100}]
)";

std::vector<std::string> errors_of(const std::string& text) {
  messages::price_registry reg;
  std::vector<config_error> errors;
  EXPECT_FALSE(parse_price_registry("p.yaml", text, reg, errors));
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.to_string());
  return out;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(prices, shipped_registry_is_complete) {
  const auto reg = test::shipped_registry();
  EXPECT_FALSE(reg.registry_version.empty());
  EXPECT_EQ(reg.currency, "USD");
  EXPECT_EQ(reg.prices_as_of, "2025-07-15");
  for (const char* m :
       {"gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1", "o4-mini", "claude-3-5-haiku-20241022",
        "claude-sonnet-4-20250514", "claude-opus-4-20250514", "kimi-k2-0711-preview",
        "deepseek-chat", "casm-offline"}) {
    auto p = lookup_price(reg, m);
    EXPECT_TRUE(p.known) << m;
    EXPECT_FALSE(p.entry.source.empty()) << m;
    EXPECT_EQ(p.entry.verified.size(), 10u) << m;
    EXPECT_GT(p.entry.context_tokens, 0u) << m;
    EXPECT_GT(p.entry.max_output_tokens, 0u) << m;
    EXPECT_NE(find_provider(reg, p.entry.endpoint), nullptr) << m;
  }
  // Every profile candidate is priced: a typo would silently reject a model.
  for (const auto& name : profile_names()) {
    const auto* prof = find_profile(reg.profiles, name);
    ASSERT_NE(prof, nullptr) << name;
    EXPECT_GE(prof->candidates.size(), 2u);
    for (const auto& c : prof->candidates) EXPECT_TRUE(lookup_price(reg, c.model).known) << c.model;
  }
  auto offline = lookup_price(reg, "casm-offline");
  EXPECT_EQ(offline.entry.provider, "other");
  EXPECT_EQ(offline.truth, "simulated");
  EXPECT_EQ(offline.entry.price_in_per_1m, 0);
  EXPECT_EQ(find_provider(reg, "offline")->api, "offline");
  auto deepseek = lookup_price(reg, "deepseek-chat");
  EXPECT_EQ(deepseek.entry.provider, "other");
  EXPECT_EQ(deepseek.entry.endpoint, "deepseek");
  EXPECT_EQ(find_provider(reg, "deepseek")->api, "openai_chat");
  EXPECT_EQ(find_provider(reg, "deepseek")->api_key_env, "DEEPSEEK_API_KEY");
  auto mini4o = lookup_price(reg, "gpt-4o-mini", "openai");
  EXPECT_DOUBLE_EQ(mini4o.entry.price_in_per_1m, 0.15);
  EXPECT_DOUBLE_EQ(mini4o.entry.price_cache_read_per_1m, 0.075);
  EXPECT_EQ(mini4o.truth, "calculated");
  auto sonnet = lookup_price(reg, "claude-sonnet-4-20250514");
  EXPECT_DOUBLE_EQ(sonnet.entry.price_cache_write_per_1m, 3.75);
}

TEST(prices, parses_the_mini_registry_with_defaults) {
  messages::price_registry reg;
  std::vector<config_error> errors;
  ASSERT_TRUE(parse_price_registry("p.yaml", mini, reg, errors));
  auto p = lookup_price(reg, "m-small");
  ASSERT_TRUE(p.known);
  EXPECT_EQ(p.entry.endpoint, "openai");                    // defaults to the provider
  EXPECT_DOUBLE_EQ(p.entry.price_cache_write_per_1m, 1.0);  // defaults to the input price
  auto offline = lookup_price(reg, "casm-offline");
  EXPECT_DOUBLE_EQ(offline.entry.price_cache_read_per_1m, 0);
  EXPECT_EQ(find_provider(reg, "openai")->max_tokens_field, "max_tokens");
}

TEST(prices, unknown_model_is_unknown_not_zero) {
  messages::price_registry reg;
  std::vector<config_error> errors;
  ASSERT_TRUE(parse_price_registry("p.yaml", mini, reg, errors));
  auto p = lookup_price(reg, "gpt-9", "openai");
  EXPECT_FALSE(p.known);
  EXPECT_EQ(p.truth, "unknown");
  EXPECT_EQ(p.entry.model, "gpt-9");
  EXPECT_EQ(p.entry.provider, "openai");
  // A known model asked under another provider is not that model.
  EXPECT_FALSE(lookup_price(reg, "m-small", "anthropic").known);
}

TEST(prices, unknown_key_has_its_position) {
  auto errs = errors_of(replace(mini, "    price_out_per_1m: 2.0", "    price_ot_per_1m: 2.0"));
  ASSERT_FALSE(errs.empty());
  EXPECT_EQ(errs[0].rfind("p.yaml:14:5: unknown key 'models[0].price_ot_per_1m'", 0), 0u)
    << errs[0];
}

TEST(prices, bad_values_have_their_positions) {
  auto errs = errors_of(replace(mini, "price_in_per_1m: 1.0", "price_in_per_1m: -1"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0], "p.yaml:13:22: 'models[0].price_in_per_1m' is -1, outside [0, inf]");

  errs = errors_of(replace(mini, "currency: USD", "currency: EUR"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0], "p.yaml:2:11: 'currency' must be one of USD, not 'EUR'");

  errs = errors_of(replace(mini, "verified: \"2025-07-15\"", "verified: \"15/07/2025\""));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0],
            "p.yaml:19:15: 'models[0].verified' must be a date YYYY-MM-DD, not '15/07/2025'");

  errs = errors_of(replace(mini, "{model: m-small, quality: 0.9", "{model: m-small, quality: 1.5"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("'profiles[3].candidates[0].quality' is 1.5, outside [0, 1]"),
            std::string::npos);
}

TEST(prices, semantic_errors) {
  auto errs = errors_of(replace(mini, "    endpoint: offline\n", "    endpoint: nowhere\n"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0], "p.yaml:20:5: model 'casm-offline': endpoint 'nowhere' is not in providers");

  errs = errors_of(replace(mini, "    model: casm-offline", "    model: m-small"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0], "p.yaml:22:12: model 'm-small' is listed twice");

  errs = errors_of(replace(mini, "    price_out_per_1m: 2.0\n", ""));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("give both price_in_per_1m and price_out_per_1m, or neither"),
            std::string::npos);

  errs = errors_of(replace(
    mini,
    "  - name: reasoning_high\n    candidates: [{model: m-small, quality: 0.9, latency_ms: 100}]\n",
    ""));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("missing profile 'reasoning_high'"), std::string::npos);

  errs = errors_of("registry_version: [1\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("p.yaml:2:1: malformed YAML", 0), 0u) << errs[0];
}

TEST(prices, override_merges_field_by_field) {
  messages::price_registry reg;
  std::vector<config_error> errors;
  ASSERT_TRUE(parse_price_registry("p.yaml", mini, reg, errors));
  const char* over = R"(registry_version: "mine"
models:
  - model: m-small
    price_out_per_1m: 3.0
  - model: m-new
    provider: openai
  - model: m-priced
    provider: openai
    price_in_per_1m: 4
    price_out_per_1m: 8
profiles:
  - name: cheap
    candidates:
      - {model: m-new, quality: 0.99, latency_ms: 1}
      - {model: m-priced, quality: 0.5, latency_ms: 1}
)";
  ASSERT_TRUE(merge_price_override("over.yaml", over, reg, errors));
  EXPECT_EQ(reg.registry_version, "t1+mine");
  auto small = lookup_price(reg, "m-small");
  EXPECT_DOUBLE_EQ(small.entry.price_in_per_1m, 1.0);   // kept
  EXPECT_DOUBLE_EQ(small.entry.price_out_per_1m, 3.0);  // overridden
  EXPECT_DOUBLE_EQ(small.entry.price_cache_read_per_1m, 0.5);
  EXPECT_EQ(small.entry.context_tokens, 1000u);
  auto fresh = lookup_price(reg, "m-new");
  EXPECT_FALSE(fresh.known);  // listed without prices: unknown, not $0
  EXPECT_EQ(fresh.truth, "unknown");
  auto priced = lookup_price(reg, "m-priced");
  EXPECT_TRUE(priced.known);
  EXPECT_DOUBLE_EQ(priced.entry.price_cache_read_per_1m, 4.0);  // no cache price: the input price
  EXPECT_EQ(find_profile(reg.profiles, "cheap")->candidates.size(), 2u);
  EXPECT_EQ(find_profile(reg.profiles, "code_mid")->candidates[0].model, "m-small");

  // A later override can price the unknown model.
  ASSERT_TRUE(merge_price_override(
    "o2.yaml", "models:\n  - {model: m-new, price_in_per_1m: 1, price_out_per_1m: 1}\n", reg,
    errors));
  EXPECT_TRUE(lookup_price(reg, "m-new").known);
  EXPECT_EQ(lookup_price(reg, "m-new").truth, "calculated");
  EXPECT_EQ(reg.registry_version, "t1+mine+override");
}

TEST(prices, bad_override_leaves_the_registry_unchanged) {
  messages::price_registry reg;
  std::vector<config_error> errors;
  ASSERT_TRUE(parse_price_registry("p.yaml", mini, reg, errors));
  const auto before = nlohmann::json(reg).dump();
  EXPECT_FALSE(merge_price_override(
    "o.yaml",
    "models:\n  - model: m-small\n    price_in_per_1m: 5\n  - model: x\n    price_in_per_1m: 1\n",
    reg, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "o.yaml:4:5: new model 'x' needs 'provider'");
  EXPECT_EQ(nlohmann::json(reg).dump(), before);

  errors.clear();
  EXPECT_FALSE(merge_price_override("o.yaml", "models:\n  - price_in_per_1m: 5\n", reg, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "o.yaml:2:5: missing required key 'models[0].model'");
}

}  // namespace
}  // namespace casm::telemetry
