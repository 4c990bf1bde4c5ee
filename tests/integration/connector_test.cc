// The model connectors against a fake provider on 127.0.0.1: usage and exact
// cost (cached tokens once), every typed error (429 with Retry-After, 5xx, a
// hang past the timeout, malformed JSON, content null, finish_reason length,
// auth), redaction of what is sent, the fallback chain and the circuit
// breaker driven by real replies, 64 concurrent calls against a small cap,
// and no key in any output.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "actors/connectors/connector.h"
#include "telemetry/budget.h"
#include "telemetry/circuit_breaker.h"
#include "telemetry/cost.h"
#include "telemetry/router.h"
#include "tests/integration/fake_provider.h"
#include "tests/unit/routing_fixtures.h"

namespace casm::itest {
namespace {

using connectors::call_model;
using messages::connector_config;
using messages::model_reply;
using messages::model_request;

// Keys that no secret rule would mask by itself: only the connector's own
// scrubbing keeps them out of errors.
constexpr const char* openai_key = "casmtest.openai.key.value.0042";
constexpr const char* anthropic_key = "casmtest.anthropic.key.value.0077";

class connectors_test : public ::testing::Test {
protected:
  fake_provider fake;
  std::vector<model_reply> replies;  // everything a test produced, checked for keys

  void SetUp() override {
    ::setenv("CASM_TEST_OPENAI_KEY", openai_key, 1);
    ::setenv("CASM_TEST_ANTHROPIC_KEY", anthropic_key, 1);
  }
  void TearDown() override {
    for (const auto& r : replies) {
      const std::string all = nlohmann::json(r).dump();
      EXPECT_EQ(all.find(openai_key), std::string::npos) << all;
      EXPECT_EQ(all.find(anthropic_key), std::string::npos) << all;
      EXPECT_EQ(all.find("casmtest"), std::string::npos) << all;
    }
    for (const auto& q : fake.requests()) {
      EXPECT_EQ(q.body.find("casmtest"), std::string::npos);  // keys travel in headers only
    }
  }

  connector_config openai(std::string endpoint = "openai") {
    connector_config c;
    c.endpoint = std::move(endpoint);
    c.api = "openai_chat";
    c.base_url = fake.base_url() + "/v1";
    c.api_key_env = "CASM_TEST_OPENAI_KEY";
    c.max_tokens_field = "max_completion_tokens";
    c.timeout_ms = 2000;
    c.connect_timeout_ms = 1000;
    c.deadline_ms = 8000;
    c.max_attempts = 3;
    c.backoff_base_ms = 20;
    c.backoff_max_ms = 100;
    c.jitter_seed = 42;
    return c;
  }
  connector_config anthropic() {
    auto c = openai("anthropic");
    c.api = "anthropic_messages";
    c.base_url = fake.base_url();
    c.api_key_env = "CASM_TEST_ANTHROPIC_KEY";
    return c;
  }
  static model_request request(std::string model, std::string prompt = "Review this diff.") {
    model_request q;
    q.call_id = "call-1";
    q.task_id = "review-1";
    q.model = std::move(model);
    q.system = "You are a careful reviewer.";
    q.messages = {{"user", std::move(prompt)}};
    q.max_output_tokens = 1000;
    return q;
  }
  model_reply call(const model_request& q, const connector_config& c) {
    replies.push_back(call_model(q, c));
    return replies.back();
  }
};

TEST_F(connectors_test, openai_usage_gives_the_exact_cost) {
  fake.set_usage({1200, 200, 0, 300});
  auto r = call(request("gpt-4o-mini"), openai());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.content, "fake answer");
  EXPECT_EQ(r.model, "gpt-4o-mini");
  EXPECT_EQ(r.endpoint, "openai");
  EXPECT_EQ(r.attempts, 1u);
  ASSERT_TRUE(r.usage_present);
  EXPECT_EQ(r.tokens.input_tokens, 1200u);
  EXPECT_EQ(r.tokens.cached_input_tokens, 200u);
  EXPECT_EQ(r.tokens.output_tokens, 300u);
  const auto reg = test::shipped_registry();
  auto cost = telemetry::llm_cost(telemetry::lookup_price(reg, "gpt-4o-mini"), r.tokens);
  EXPECT_NEAR(cost.usd, (1000 * 0.15 + 200 * 0.075 + 300 * 0.60) / 1e6, 1e-18);
  EXPECT_EQ(cost.truth, "calculated");

  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/v1/chat/completions");
  EXPECT_EQ(seen[0].authorization, std::string("Bearer ") + openai_key);
  auto body = nlohmann::json::parse(seen[0].body);
  EXPECT_EQ(body["max_completion_tokens"], 1000);
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_EQ(body["messages"][0]["role"], "system");
}

TEST_F(connectors_test, anthropic_usage_counts_every_prompt_token_once) {
  fake.set_usage({100, 2000, 500, 50});
  auto r = call(request("claude-sonnet-4-20250514"), anthropic());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.tokens.input_tokens, 2600u);
  EXPECT_EQ(r.tokens.cached_input_tokens, 2000u);
  EXPECT_EQ(r.tokens.cache_creation_tokens, 500u);
  EXPECT_EQ(r.tokens.output_tokens, 50u);
  const auto reg = test::shipped_registry();
  auto cost =
    telemetry::llm_cost(telemetry::lookup_price(reg, "claude-sonnet-4-20250514"), r.tokens);
  EXPECT_NEAR(cost.usd, (100 * 3.0 + 2000 * 0.30 + 500 * 3.75 + 50 * 15.0) / 1e6, 1e-18);
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/v1/messages");
  EXPECT_EQ(seen[0].api_key, anthropic_key);
  EXPECT_EQ(seen[0].authorization, "");
  EXPECT_EQ(nlohmann::json::parse(seen[0].body)["system"], "You are a careful reviewer.");
}

TEST_F(connectors_test, rate_limit_honours_retry_after) {
  fake.script({fake_step::rate_limited("1")});
  auto r = call(request("gpt-4o-mini"), openai());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_GE(r.latency_ms, 1000);  // waited at least what the provider asked
  ASSERT_EQ(r.attempt_log.size(), 2u);
  EXPECT_NE(r.attempt_log[0].find("rate_limited (HTTP 429), retry-after 1000 ms"),
            std::string::npos)
    << r.attempt_log[0];
}

TEST_F(connectors_test, retry_after_past_the_deadline_is_not_waited_for) {
  fake.script({fake_step::rate_limited("30")});
  auto r = call(request("gpt-4o-mini"), openai());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_kind, "rate_limited");
  EXPECT_EQ(r.http_status, 429);
  EXPECT_EQ(r.retry_after_ms, 30000);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_LT(r.latency_ms, 2000);
  EXPECT_NE(r.error.find("Rate limit reached"), std::string::npos);
  EXPECT_NE(r.attempt_log.back().find("passes the deadline"), std::string::npos);
}

TEST_F(connectors_test, server_errors_retry_with_backoff_then_give_up) {
  fake.script({fake_step::server_error(500), fake_step::server_error(503)});
  auto r = call(request("gpt-4o-mini"), openai());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.attempts, 3u);

  fake.script(
    {fake_step::server_error(500), fake_step::server_error(502), fake_step::server_error(529)});
  auto c = anthropic();
  c.max_attempts = 2;
  r = call(request("claude-3-5-haiku-20241022"), c);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_kind, "server_error");
  EXPECT_EQ(r.http_status, 502);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_EQ(fake.request_count(), 5u);
}

TEST_F(connectors_test, a_hang_past_the_timeout_is_a_timeout_not_retried) {
  fake.script({fake_step::hang(3000)});
  auto c = openai();
  c.timeout_ms = 300;
  auto r = call(request("gpt-4o-mini"), c);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_kind, "timeout");
  EXPECT_EQ(r.attempts, 1u);  // it may have been billed: the router falls back instead
  EXPECT_LT(r.latency_ms, 2500);
  EXPECT_EQ(telemetry::failure_of(r.error_kind), telemetry::failure_kind::timeout);
}

TEST_F(connectors_test, malformed_null_content_and_length_are_typed) {
  fake.script({fake_step::malformed(), fake_step::content_null(), fake_step::truncated(),
               fake_step::content_null(), fake_step::truncated()});
  auto m = call(request("gpt-4o-mini"), openai());
  EXPECT_EQ(m.error_kind, "malformed_response");
  EXPECT_EQ(m.attempts, 1u);

  auto n = call(request("o4-mini"), openai());
  EXPECT_EQ(n.error_kind, "empty_content");
  EXPECT_TRUE(n.usage_present);  // the reasoning tokens were billed
  EXPECT_EQ(n.tokens.output_tokens, 300u);

  auto t = call(request("gpt-4o-mini"), openai());
  EXPECT_EQ(t.error_kind, "truncated");
  EXPECT_EQ(t.finish_reason, "length");
  EXPECT_EQ(t.content, "fake ans");
  EXPECT_TRUE(t.usage_present);

  auto an = call(request("claude-sonnet-4-20250514"), anthropic());
  EXPECT_EQ(an.error_kind, "empty_content");
  auto at = call(request("claude-sonnet-4-20250514"), anthropic());
  EXPECT_EQ(at.error_kind, "truncated");
  EXPECT_EQ(at.finish_reason, "max_tokens");
  EXPECT_EQ(fake.request_count(), 5u);  // none retried
  EXPECT_EQ(telemetry::failure_of(at.error_kind), telemetry::failure_kind::low_quality);
}

TEST_F(connectors_test, keys_never_leave_in_errors) {
  // A provider that echoes the key back in its 401 (OpenAI does, partly).
  fake.script(
    {fake_step::http(401, std::string(R"({"error":{"message":"Incorrect API key provided: )") +
                            openai_key + R"("}})")});
  auto r = call(request("gpt-4o-mini"), openai());
  EXPECT_EQ(r.error_kind, "auth_error");
  EXPECT_EQ(r.http_status, 401);
  EXPECT_NE(r.error.find("Incorrect API key provided"), std::string::npos);
  EXPECT_EQ(r.attempts, 1u);

  fake.script({fake_step::http(404, R"({"error":{"message":"model not found"}})")});
  r = call(request("gpt-nope"), openai());
  EXPECT_EQ(r.error_kind, "bad_request");

  ::unsetenv("CASM_TEST_MISSING_KEY");
  auto c = openai();
  c.api_key_env = "CASM_TEST_MISSING_KEY";
  const size_t before = fake.request_count();
  r = call(request("gpt-4o-mini"), c);
  EXPECT_EQ(r.error_kind, "auth_error");
  EXPECT_EQ(r.error, "the environment variable CASM_TEST_MISSING_KEY is not set");
  EXPECT_EQ(fake.request_count(), before);

  // Nothing listens on the closed port: a network error, retried, no key.
  auto closed = openai();
  closed.base_url = "http://127.0.0.1:1/v1";
  closed.max_attempts = 2;
  r = call(request("gpt-4o-mini"), closed);
  EXPECT_EQ(r.error_kind, "network_error");
  EXPECT_EQ(r.attempts, 2u);
  // TearDown checks every reply for either key.
}

TEST_F(connectors_test, base_url_from_the_environment_and_secrets_masked_before_sending) {
  ::setenv("CASM_TEST_BASE_URL", (fake.base_url() + "/v1/").c_str(), 1);
  auto c = openai();
  c.base_url = "http://127.0.0.1:1/v1";  // overridden
  c.base_url_env = "CASM_TEST_BASE_URL";
  const std::string aws =
    "AKIA"
    "IOSFODNN7EXAMPLE";
  const std::string gh =
    "ghp_"
    "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
  auto r = call(request("gpt-4o-mini", "config has aws_key = " + aws + " and token " + gh), c);
  ::unsetenv("CASM_TEST_BASE_URL");
  ASSERT_TRUE(r.ok) << r.error;
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body.find(aws), std::string::npos) << seen[0].body;
  EXPECT_EQ(seen[0].body.find(gh), std::string::npos) << seen[0].body;
  EXPECT_NE(seen[0].body.find("config has aws_key"), std::string::npos);
}

// The router's fallback chain, driven by real failures: the selected model's
// provider keeps failing (5xx), the chain switches provider, and the model
// actually used is the one in the record.
TEST_F(connectors_test, fallback_chain_switches_provider_and_records_the_model_used) {
  const auto reg = test::shipped_registry();
  messages::routing_constraints constraints;
  constraints.fallbacks = {{"timeout", "downgrade_model"}, {"provider_error", "switch_provider"}};
  telemetry::circuit_breakers breakers({3, 60000});
  auto task = test::make_task("review-1", "reasoning_low", 1200, 300, 1000);
  auto decision = telemetry::route(task, telemetry::strategy::quality_first, reg, reg.profiles, {},
                                   breakers.view(0), constraints);
  ASSERT_EQ(decision.selected.model, "claude-sonnet-4-20250514");

  auto config_for = [&](const messages::candidate& c) {
    return c.endpoint == "anthropic" ? anthropic() : openai(c.endpoint);
  };
  fake.script(
    {fake_step::server_error(500), fake_step::server_error(500), fake_step::server_error(500)});
  std::vector<telemetry::fallback_step> taken;
  messages::candidate current = decision.selected;
  model_reply r;
  for (int hop = 0; hop < 4; ++hop) {
    auto q = request(current.model);
    r = call(q, config_for(current));
    if (r.ok) break;
    if (telemetry::trips_breaker(r.error_kind)) breakers.record_failure(current.endpoint, hop);
    auto step = telemetry::next_fallback(
      decision, current.model, *telemetry::failure_of(r.error_kind), constraints.fallbacks, taken);
    taken.push_back(step);
    ASSERT_TRUE(step.has_next) << step.reason_code;
    current = step.next;
  }
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].reason_code, "FALLBACK_PROVIDER_ERROR_SWITCH_PROVIDER");
  EXPECT_EQ(taken[0].failed_model, "claude-sonnet-4-20250514");
  EXPECT_EQ(r.model, "o4-mini");  // never silent: the reply names the model that answered
  EXPECT_EQ(r.endpoint, "openai");
  EXPECT_EQ(breakers.state("anthropic", 0), telemetry::breaker_state::closed);  // one failure of 3
}

TEST_F(connectors_test, timeout_downgrades_to_a_lower_profile) {
  const auto reg = test::shipped_registry();
  messages::routing_constraints constraints;
  constraints.fallbacks = {{"timeout", "downgrade_model"}};
  auto task = test::make_task("review-1", "reasoning_low", 1200, 300, 1000);
  auto d = telemetry::route(task, telemetry::strategy::cost_aware_quality_floor, reg, reg.profiles,
                            {}, {}, constraints);
  ASSERT_EQ(d.selected.model, "o4-mini");
  fake.script({fake_step::hang(3000)});
  auto c = openai();
  c.timeout_ms = 300;
  auto r = call(request(d.selected.model), c);
  ASSERT_EQ(r.error_kind, "timeout");
  auto step =
    telemetry::next_fallback(d, "o4-mini", telemetry::failure_kind::timeout, constraints.fallbacks);
  ASSERT_EQ(step.next_profile, "code_mid");
  task.profile = step.next_profile;
  task.exclude_models = {"o4-mini"};
  auto d2 = telemetry::route(task, telemetry::strategy::cost_aware_quality_floor, reg, reg.profiles,
                             {}, {}, constraints);
  ASSERT_TRUE(d2.has_selection);
  EXPECT_EQ(d2.selected.model, "deepseek-chat");
  r = call(request(d2.selected.model), openai(d2.selected.endpoint));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.model, "deepseek-chat");
  EXPECT_EQ(r.endpoint, "deepseek");
}

TEST_F(connectors_test, circuit_breaker_opens_on_failures_and_recovers_after_cooldown) {
  const auto reg = test::shipped_registry();
  telemetry::circuit_breakers breakers({3, 1000});
  auto c = openai();
  c.max_attempts = 1;
  fake.script(
    {fake_step::server_error(500), fake_step::server_error(502), fake_step::server_error(503)});
  int64_t now = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breakers.allow("openai", now));
    auto r = call(request("o4-mini"), c);
    ASSERT_TRUE(telemetry::trips_breaker(r.error_kind));
    breakers.record_failure("openai", now++);
  }
  EXPECT_EQ(breakers.state("openai", now), telemetry::breaker_state::open);
  auto task = test::make_task("review-1", "reasoning_low", 1200, 300, 1000);
  auto d = telemetry::route(task, telemetry::strategy::cost_aware_quality_floor, reg, reg.profiles,
                            {}, breakers.view(now), {});
  EXPECT_EQ(d.selected.model, "claude-sonnet-4-20250514");
  for (const auto& cand : d.candidates) {
    if (cand.endpoint != "openai") continue;
    EXPECT_EQ(cand.reject_reasons, std::vector<std::string>{"CIRCUIT_OPEN"});
  }
  EXPECT_FALSE(breakers.allow("openai", now + 500));

  now += 1000;  // cooldown over: one probe
  ASSERT_TRUE(breakers.allow("openai", now));
  EXPECT_FALSE(breakers.allow("openai", now));
  auto probe = call(request("o4-mini"), c);
  ASSERT_TRUE(probe.ok);
  breakers.record_success("openai", now);
  EXPECT_EQ(breakers.state("openai", now), telemetry::breaker_state::closed);
  d = telemetry::route(task, telemetry::strategy::cost_aware_quality_floor, reg, reg.profiles, {},
                       breakers.view(now), {});
  EXPECT_EQ(d.selected.model, "o4-mini");
}

// 64 threads each reserve the worst case, call the fake provider and
// reconcile the measured cost, against a cap that only about a third of them
// fit under. Spend never passes the cap; refusals happen before any call.
TEST_F(connectors_test, sixty_four_concurrent_calls_never_exceed_a_small_cap) {
  messages::price_registry reg;
  messages::price_entry p;
  p.provider = p.endpoint = "openai";
  p.model = "fake-model";
  p.price_in_per_1m = 1.0;
  p.price_out_per_1m = 2.0;
  p.price_cache_read_per_1m = 0.5;
  p.price_cache_write_per_1m = 1.0;
  reg.models = {p};
  const auto price = telemetry::lookup_price(reg, "fake-model");
  fake.set_usage({1000, 200, 0, 500});  // actual (800*1 + 200*0.5 + 500*2)/1e6 = 0.0019
  const double worst = telemetry::worst_case_cost(price, 1000, 1000).usd;  // 0.003
  ASSERT_NEAR(worst, 0.003, 1e-15);
  constexpr double cap = 0.04;

  telemetry::budget_ledger ledger(0.5);
  ledger.open_run("run-1", cap);
  std::atomic<int> granted{0}, refused{0}, failed{0}, violations{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done)
      if (!ledger.invariant_holds()) ++violations;
  });
  std::vector<model_reply> results(64);
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      telemetry::reserve_request rq;
      rq.run_id = "run-1";
      rq.task_id = "t" + std::to_string(i);
      rq.endpoint = "openai";
      rq.model = "fake-model";
      rq.day = "2025-07-15";
      rq.worst_case_usd = worst;
      auto hold = ledger.reserve(rq);
      if (!hold.granted) {
        ++refused;
        return;
      }
      ++granted;
      auto q = request("fake-model");
      q.call_id = "call-" + std::to_string(i);
      results[i] = call_model(q, openai());
      if (!results[i].ok || !results[i].usage_present) {
        ADD_FAILURE() << results[i].error_kind << ": " << results[i].error;
        ++failed;
        ledger.release(hold.held.id);
        return;
      }
      auto cost = telemetry::llm_cost(price, results[i].tokens);
      auto rec = ledger.reconcile(hold.held.id, cost.usd);
      if (!rec.ok || rec.overrun_usd > 0) ++violations;
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  watcher.join();
  for (auto& r : results)
    if (!r.call_id.empty()) replies.push_back(r);

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(granted.load() + refused.load(), 64);
  EXPECT_GT(refused.load(), 0);
  EXPECT_GE(granted.load(), 13);  // 0.04 / 0.003: at least 13 holds fit at once
  EXPECT_EQ(fake.request_count(), static_cast<size_t>(granted.load()));  // no call without a hold
  const auto run = ledger.run("run-1");
  EXPECT_LE(run.spent_usd, cap);
  EXPECT_EQ(run.reserved_usd, 0);
  EXPECT_NEAR(run.spent_usd, granted.load() * 0.0019, 1e-9);
  EXPECT_TRUE(ledger.invariant_holds());
}

}  // namespace
}  // namespace casm::itest
