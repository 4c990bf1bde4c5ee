#include "actors/routing/router_actor.h"

#include <caf/typed_event_based_actor.hpp>

#include "telemetry/cost.h"
#include "telemetry/prices.h"
#include "telemetry/router.h"

namespace casm::routing {

using namespace casm::messages;

namespace {

// Races between the view and the hold (another run of the fleet reserved in
// between) are answered by deciding again on a fresh view, a few times.
constexpr int max_route_attempts = 3;

bool is_offline(const candidate& c) { return c.endpoint == "offline"; }

struct router_state {
  [[maybe_unused]] static inline const char* name = "casm.router";  // CAF names the actor by it
};

void attempt(protocol::router_actor::pointer self, protocol::accountant_actor acc,
             std::shared_ptr<const price_registry> prices, route_request req,
             caf::typed_response_promise<route_result> rp, int n) {
  self->request(acc, caf::infinite, budget_query{req.run_id, req.day})
    .then(
      [=](budget_snapshot& snap) mutable {
        route_result r;
        r.call_id = req.call_id;
        r.ok = true;
        r.budget = snap.budget;
        r.breakers = snap.breakers;
        auto strat = telemetry::parse_strategy(req.strategy)
                       .value_or(telemetry::strategy::cost_aware_quality_floor);
        r.decision = telemetry::route(req.task, strat, *prices, prices->profiles, snap.budget,
                                      snap.breakers, req.constraints);
        if (!r.decision.has_selection || is_offline(r.decision.selected)) {
          rp.deliver(std::move(r));
          return;
        }
        const auto& s = r.decision.selected;
        reserve_ask ask{req.run_id, req.task.task_id, s.endpoint, s.model, req.day,
                        s.price_known, s.worst_case_usd,
                        req.constraints.max_usd_per_task_default > 0
                          ? req.constraints.max_usd_per_task_default
                          : -1.0};
        self->request(acc, caf::infinite, ask)
          .then(
            [=](reservation_reply& rr) mutable {
              if (!rr.granted && n + 1 < max_route_attempts &&
                  (rr.reason_code == "OVER_BUDGET" || rr.reason_code == "CIRCUIT_OPEN")) {
                attempt(self, acc, prices, req, rp, n + 1);
                return;
              }
              r.reservation_asked = true;
              r.reservation = std::move(rr);
              rp.deliver(std::move(r));
            },
            [=](caf::error& err) mutable {
              r.ok = false;
              r.error = "the cost accountant did not answer: " + self->system().render(err);
              rp.deliver(std::move(r));
            });
      },
      [=](caf::error& err) mutable {
        route_result r;
        r.call_id = req.call_id;
        r.error = "the cost accountant did not answer: " + self->system().render(err);
        rp.deliver(std::move(r));
      });
}

}  // namespace

cost_figure settled_cost(const price_registry& prices, const settle_request& s,
                         double reserved_usd) {
  auto price = telemetry::lookup_price(prices, s.model);
  if (s.usage_present) return telemetry::llm_cost(price, s.tokens);
  cost_figure f;
  if (s.error_kind == model_error::timeout) {
    f.usd = reserved_usd;
    f.truth = truth::unknown;
    f.basis = "timed out without usage: the provider may have billed it; the whole hold is "
              "counted as spent";
  } else {
    f.usd = 0;
    f.truth = truth::calculated;
    f.basis = "no usage reported (" + (s.error_kind.empty() ? std::string("no content") : s.error_kind) +
              "): nothing billed";
  }
  return f;
}

protocol::router_actor spawn_router(caf::actor_system& sys, protocol::accountant_actor acc,
                                    price_registry registry) {
  auto prices = std::make_shared<const price_registry>(std::move(registry));
  return sys.spawn([acc, prices](protocol::router_actor::pointer self)
                     -> protocol::router_actor::behavior_type {
    return {
      [self, acc, prices](route_request& req) -> caf::result<route_result> {
        auto rp = self->make_response_promise<route_result>();
        attempt(self, acc, prices, std::move(req), rp, 0);
        return rp;
      },
      [self, acc, prices](settle_request& s) -> caf::result<settle_result> {
        auto rp = self->make_response_promise<settle_result>();
        reconcile_ask probe{s.reservation_id, s.endpoint, 0, s.ok,
                            telemetry::trips_breaker(s.error_kind)};
        // Without usage after a timeout the whole hold is spent (a negative
        // actual makes the ledger count the hold); its size comes back.
        const bool needs_hold = !s.usage_present && s.error_kind == model_error::timeout;
        cost_figure fig = needs_hold ? cost_figure{} : settled_cost(*prices, s, 0);
        probe.actual_usd = needs_hold ? -1 : fig.usd;
        self->request(acc, caf::infinite, probe)
          .then(
            [=](reconcile_answer& a) mutable {
              settle_result out;
              out.call_id = s.call_id;
              out.ok = a.ok;
              if (!a.ok) out.error = "no outstanding reservation " + std::to_string(s.reservation_id);
              out.reserved_usd = a.reserved_usd;
              out.actual = needs_hold ? settled_cost(*prices, s, a.reserved_usd) : fig;
              out.released_usd = a.released_usd;
              out.overrun_usd = a.overrun_usd;
              out.breaker_state = a.breaker_state;
              rp.deliver(std::move(out));
            },
            [=](caf::error& err) mutable {
              settle_result out;
              out.call_id = s.call_id;
              out.error = "the cost accountant did not answer: " + self->system().render(err);
              rp.deliver(std::move(out));
            });
        return rp;
      },
    };
  });
}

}  // namespace casm::routing
