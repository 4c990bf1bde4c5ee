// The cost accountant's ledger: a reservation fits every level or is refused
// with the level named; reconcile releases the difference; and, as a
// property, reserved + spent never exceeds any cap, even with 64 threads
// reserving and reconciling at once.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "telemetry/budget.h"

namespace casm::telemetry {
namespace {

reserve_request req(double usd, std::string run = "r1", std::string endpoint = "openai",
                    std::string day = "2025-07-15") {
  reserve_request r;
  r.run_id = std::move(run);
  r.task_id = "t";
  r.endpoint = std::move(endpoint);
  r.model = "m";
  r.day = std::move(day);
  r.worst_case_usd = usd;
  return r;
}

TEST(budget, grants_until_the_run_cap_then_refuses_naming_the_level) {
  budget_ledger ledger;
  ledger.open_run("r1", 1.00);
  auto a = ledger.reserve(req(0.60));
  ASSERT_TRUE(a.granted);
  EXPECT_EQ(a.held.amount_usd, 0.60);
  auto b = ledger.reserve(req(0.50));
  EXPECT_FALSE(b.granted);
  EXPECT_EQ(b.refused_level, "run");
  EXPECT_EQ(b.reason_code, "OVER_BUDGET");
  EXPECT_NEAR(b.available_usd, 0.40, 1e-9);
  auto c = ledger.reserve(req(0.40));  // exactly what is left
  EXPECT_TRUE(c.granted);
  EXPECT_TRUE(ledger.invariant_holds());
}

TEST(budget, fleet_and_provider_day_levels) {
  budget_ledger ledger(1.00);
  ledger.open_run("r1", 10);
  ledger.open_run("r2", 10);
  ASSERT_TRUE(ledger.reserve(req(0.70, "r1")).granted);
  auto f = ledger.reserve(req(0.40, "r2"));
  EXPECT_FALSE(f.granted);
  EXPECT_EQ(f.refused_level, "fleet");

  EXPECT_TRUE(ledger.invariant_holds());

  budget_ledger days;  // no fleet cap
  days.open_run("r2", 10);
  days.set_provider_day_cap("anthropic", 0.30);
  ASSERT_TRUE(days.reserve(req(0.20, "r2", "anthropic")).granted);
  auto p = days.reserve(req(0.11, "r2", "anthropic"));
  EXPECT_FALSE(p.granted);
  EXPECT_EQ(p.refused_level, "provider_day");
  EXPECT_NEAR(p.available_usd, 0.10, 1e-9);
  EXPECT_TRUE(days.reserve(req(0.11, "r2", "openai")).granted);  // another endpoint: uncapped
  // Another day is another budget.
  EXPECT_TRUE(days.reserve(req(0.25, "r2", "anthropic", "2025-07-16")).granted);
  // Spend from an earlier process counts against the day.
  days.add_prior_spend("anthropic", "2025-07-17", 0.29);
  EXPECT_NEAR(days.provider_day("anthropic", "2025-07-17").remaining_usd(), 0.01, 1e-9);
  EXPECT_FALSE(days.reserve(req(0.02, "r2", "anthropic", "2025-07-17")).granted);
  EXPECT_TRUE(days.invariant_holds());
}

TEST(budget, task_cap_unknown_price_unknown_run_invalid_amount) {
  budget_ledger ledger;
  ledger.open_run("r1");
  auto t = req(0.20);
  t.task_cap_usd = 0.10;
  auto r = ledger.reserve(t);
  EXPECT_FALSE(r.granted);
  EXPECT_EQ(r.refused_level, "task");

  auto u = req(0.01);
  u.price_known = false;
  r = ledger.reserve(u);
  EXPECT_FALSE(r.granted);
  EXPECT_EQ(r.reason_code, "PRICE_UNKNOWN");

  r = ledger.reserve(req(0.01, "nope"));
  EXPECT_FALSE(r.granted);
  EXPECT_EQ(r.reason_code, "UNKNOWN_RUN");

  for (double bad : {-1.0, std::nan(""), static_cast<double>(INFINITY)}) {
    r = ledger.reserve(req(bad));
    EXPECT_FALSE(r.granted);
    EXPECT_EQ(r.reason_code, "INVALID_AMOUNT");
  }
  EXPECT_EQ(ledger.outstanding(), 0u);
}

TEST(budget, reconcile_releases_the_difference_once) {
  budget_ledger ledger;
  ledger.open_run("r1", 1.0);
  auto a = ledger.reserve(req(0.80));
  ASSERT_TRUE(a.granted);
  EXPECT_FALSE(ledger.reserve(req(0.30)).granted);
  auto rec = ledger.reconcile(a.held.id, 0.25);
  ASSERT_TRUE(rec.ok);
  EXPECT_NEAR(rec.released_usd, 0.55, 1e-9);
  EXPECT_EQ(rec.overrun_usd, 0);
  EXPECT_NEAR(ledger.run("r1").spent_usd, 0.25, 1e-9);
  EXPECT_EQ(ledger.run("r1").reserved_usd, 0);
  EXPECT_TRUE(ledger.reserve(req(0.30)).granted);      // the released money is back
  EXPECT_FALSE(ledger.reconcile(a.held.id, 0.25).ok);  // not twice
  EXPECT_FALSE(ledger.reconcile(999, 0).ok);

  auto b = ledger.reserve(req(0.10));
  ASSERT_TRUE(b.granted);
  auto rel = ledger.release(b.held.id);
  EXPECT_NEAR(rel.released_usd, 0.10, 1e-9);
  EXPECT_NEAR(ledger.fleet().spent_usd, 0.25, 1e-9);
}

TEST(budget, an_overrun_is_recorded_and_reported) {
  budget_ledger ledger;
  ledger.open_run("r1", 1.0);
  auto a = ledger.reserve(req(0.10));
  auto rec = ledger.reconcile(a.held.id, 0.15);
  EXPECT_NEAR(rec.overrun_usd, 0.05, 1e-9);
  EXPECT_NEAR(ledger.run("r1").spent_usd, 0.15, 1e-9);  // money spent is never hidden
}

TEST(budget, nano_dollar_exactness_at_the_cap) {
  budget_ledger ledger;
  ledger.open_run("r1", 0.000001);
  ASSERT_TRUE(ledger.reserve(req(0.000001)).granted);
  EXPECT_FALSE(ledger.reserve(req(1e-9)).granted);
  EXPECT_TRUE(ledger.invariant_holds());
}

TEST(budget, view_for_the_router) {
  budget_ledger ledger(5.0);
  ledger.open_run("r1", 2.0);
  ledger.set_provider_day_cap("openai", 1.0);
  ASSERT_TRUE(ledger.reserve(req(0.5)).granted);
  auto v = ledger.view("r1", "2025-07-15");
  EXPECT_NEAR(v.run_remaining_usd, 1.5, 1e-9);
  EXPECT_NEAR(v.fleet_remaining_usd, 4.5, 1e-9);
  ASSERT_EQ(v.provider_day.size(), 1u);
  EXPECT_EQ(v.provider_day[0].endpoint, "openai");
  EXPECT_NEAR(v.provider_day[0].remaining_usd, 0.5, 1e-9);
  EXPECT_NEAR(ledger.view("r1", "2025-07-16").provider_day[0].remaining_usd, 1.0, 1e-9);
  EXPECT_EQ(ledger.view("unknown", "2025-07-15").run_remaining_usd, 0);
  budget_ledger open;
  open.open_run("r1");
  EXPECT_LT(open.view("r1", "d").run_remaining_usd, 0);  // uncapped
}

// The property: 64 threads reserve random worst cases and reconcile random
// actual costs at most that large, against small caps at every level. A
// watcher thread checks the invariant the whole time. Total actual spend
// never exceeds any cap, and the caps are small enough that refusals happen.
TEST(budget, property_64_threads_never_exceed_any_cap) {
  constexpr double run_cap = 0.50, fleet_cap = 0.80, openai_day_cap = 0.30;
  budget_ledger ledger(fleet_cap);
  ledger.open_run("r1", run_cap);
  ledger.open_run("r2", run_cap);
  ledger.set_provider_day_cap("openai", openai_day_cap);

  std::atomic<bool> done{false};
  std::atomic<int> violations{0}, granted{0}, refused{0};
  std::thread watcher([&] {
    while (!done.load())
      if (!ledger.invariant_holds()) violations.fetch_add(1);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      std::uniform_real_distribution<double> worst(0.001, 0.05), share(0.0, 1.0);
      for (int i = 0; i < 200; ++i) {
        auto r =
          req(worst(rng), (rng() & 1) ? "r1" : "r2", (rng() % 3 == 0) ? "anthropic" : "openai");
        auto reply = ledger.reserve(r);
        if (!reply.granted) {
          refused.fetch_add(1);
          continue;
        }
        granted.fetch_add(1);
        // Some calls fail before any spend; the rest cost at most the hold.
        const double actual = (rng() % 5 == 0) ? 0.0 : reply.held.amount_usd * share(rng);
        auto rec = ledger.reconcile(reply.held.id, actual);
        if (!rec.ok || rec.overrun_usd > 0) violations.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  watcher.join();

  EXPECT_EQ(violations.load(), 0);
  EXPECT_TRUE(ledger.invariant_holds());
  EXPECT_EQ(ledger.outstanding(), 0u);
  EXPECT_GT(granted.load(), 0);
  EXPECT_GT(refused.load(), 0) << "the caps must bind for the property to mean something";
  EXPECT_LE(ledger.run("r1").spent_usd, run_cap);
  EXPECT_LE(ledger.run("r2").spent_usd, run_cap);
  EXPECT_LE(ledger.fleet().spent_usd, fleet_cap);
  EXPECT_LE(ledger.provider_day("openai", "2025-07-15").spent_usd, openai_day_cap);
  EXPECT_NEAR(ledger.fleet().spent_usd, ledger.run("r1").spent_usd + ledger.run("r2").spent_usd,
              1e-9);
}

}  // namespace
}  // namespace casm::telemetry
