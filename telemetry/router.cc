#include "telemetry/router.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "telemetry/cost.h"
#include "telemetry/prices.h"

namespace casm::telemetry {

using messages::candidate;
using messages::routing_decision;

namespace {

constexpr double eps = 1e-12;

const char* const reject_order[] = {
  reject::already_tried,    reject::provider_not_allowed, reject::price_unknown,
  reject::context_too_long, reject::circuit_open,         reject::below_quality_floor,
  reject::over_latency_slo, reject::over_budget,
};

bool contains(const std::vector<std::string>& xs, std::string_view x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

bool is_offline_endpoint(const messages::price_registry& prices, const std::string& endpoint) {
  const auto* p = find_provider(prices, endpoint);
  return p && p->api == "offline";
}

// The smallest remaining amount among the capped levels; negative: no cap.
double budget_limit(const messages::budget_view& b, const messages::routing_constraints& c,
                    const std::string& endpoint) {
  double limit = -1;
  auto take = [&](double v) {
    if (v < 0) return;
    limit = limit < 0 ? v : std::min(limit, v);
  };
  take(b.run_remaining_usd);
  take(b.fleet_remaining_usd);
  for (const auto& e : b.provider_day)
    if (e.endpoint == endpoint) take(e.remaining_usd);
  if (c.max_usd_per_run > 0) take(c.max_usd_per_run);
  if (c.max_usd_per_task_default > 0) take(c.max_usd_per_task_default);
  return limit;
}

// Strict weak order of the strategy, with the fixed tie-breaks after it.
// Unknown costs sort after every known cost.
bool better(const candidate& a, const candidate& b, strategy s) {
  auto cost = [](const candidate& c) { return c.price_known ? c.estimated_cost_usd : 1e300; };
  auto by_cost = [&]() -> int {
    if (cost(a) < cost(b) - eps) return -1;
    if (cost(b) < cost(a) - eps) return 1;
    return 0;
  };
  auto by_quality = [&]() -> int {
    if (a.estimated_quality > b.estimated_quality + eps) return -1;
    if (b.estimated_quality > a.estimated_quality + eps) return 1;
    return 0;
  };
  auto by_latency = [&]() -> int {
    if (a.estimated_latency_ms != b.estimated_latency_ms)
      return a.estimated_latency_ms < b.estimated_latency_ms ? -1 : 1;
    return 0;
  };
  int order[3];
  switch (s) {
    case strategy::quality_first:
      order[0] = by_quality(), order[1] = by_cost(), order[2] = by_latency();
      break;
    case strategy::latency_first:
      order[0] = by_latency(), order[1] = by_cost(), order[2] = by_quality();
      break;
    case strategy::cost_aware_quality_floor:
    case strategy::budget_first:
    default: order[0] = by_cost(), order[1] = by_quality(), order[2] = by_latency(); break;
  }
  for (int o : order)
    if (o != 0) return o < 0;
  if (a.provider != b.provider) return a.provider < b.provider;
  return a.model < b.model;
}

bool same_primary_key(const candidate& a, const candidate& b, strategy s) {
  switch (s) {
    case strategy::quality_first: return std::abs(a.estimated_quality - b.estimated_quality) <= eps;
    case strategy::latency_first: return a.estimated_latency_ms == b.estimated_latency_ms;
    default:
      return a.price_known && b.price_known &&
             std::abs(a.estimated_cost_usd - b.estimated_cost_usd) <= eps;
  }
}

// Scores in [0, 1], higher is better, relative to the candidates the
// provider filter lets through: cost and latency as best/own, quality as is.
void score(std::vector<candidate>& cands, strategy s) {
  double min_cost = -1;
  int64_t min_latency = -1;
  for (const auto& c : cands) {
    if (contains(c.reject_reasons, reject::provider_not_allowed)) continue;
    if (c.price_known && (min_cost < 0 || c.estimated_cost_usd < min_cost))
      min_cost = c.estimated_cost_usd;
    if (min_latency < 0 || c.estimated_latency_ms < min_latency)
      min_latency = c.estimated_latency_ms;
  }
  for (auto& c : cands) {
    if (contains(c.reject_reasons, reject::provider_not_allowed)) {
      c.score = 0;  // never in the running
      continue;
    }
    switch (s) {
      case strategy::quality_first: c.score = c.estimated_quality; break;
      case strategy::latency_first:
        c.score = c.estimated_latency_ms <= 0 ? 1.0
                  : min_latency < 0           ? 0.0
                                              : static_cast<double>(min_latency) /
                                        static_cast<double>(c.estimated_latency_ms);
        break;
      default:
        if (!c.price_known)
          c.score = 0;
        else if (c.estimated_cost_usd <= eps)
          c.score = 1.0;
        else
          c.score = min_cost < 0 ? 0.0 : min_cost / c.estimated_cost_usd;
        break;
    }
    c.score = std::clamp(c.score, 0.0, 1.0);
  }
}

const char* selection_code(strategy s) {
  switch (s) {
    case strategy::cost_aware_quality_floor: return "CHEAPEST_ABOVE_QUALITY_FLOOR";
    case strategy::quality_first: return "HIGHEST_QUALITY";
    case strategy::budget_first: return "CHEAPEST_WITHIN_BUDGET";
    case strategy::latency_first: return "LOWEST_LATENCY";
  }
  return "SELECTED";
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string_view to_string(strategy s) {
  switch (s) {
    case strategy::cost_aware_quality_floor: return "cost_aware_quality_floor";
    case strategy::quality_first: return "quality_first";
    case strategy::budget_first: return "budget_first";
    case strategy::latency_first: return "latency_first";
  }
  return "cost_aware_quality_floor";
}

std::optional<strategy> parse_strategy(std::string_view name) {
  for (auto s : {strategy::cost_aware_quality_floor, strategy::quality_first,
                 strategy::budget_first, strategy::latency_first})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

routing_decision route(const messages::routing_task& task, strategy strat,
                       const messages::price_registry& prices,
                       const std::vector<messages::model_profile>& profiles,
                       const messages::budget_view& budget, const messages::breaker_view& breakers,
                       const messages::routing_constraints& constraints) {
  routing_decision d;
  d.task_id = task.task_id;
  d.task_type = task.task_type;
  d.stage = task.stage;
  d.profile = task.profile;
  d.strategy = std::string(to_string(strat));
  d.estimated_input_tokens = task.estimated_input_tokens;
  d.estimated_output_tokens = task.estimated_output_tokens;
  d.fallbacks = constraints.fallbacks;
  d.constraints.budget = true;
  d.constraints.latency = constraints.latency_slo_ms > 0;
  d.constraints.quality = strat != strategy::budget_first;

  const auto* profile = find_profile(profiles, task.profile);
  if (!profile) {
    d.reason_codes = {"UNKNOWN_PROFILE", "NO_ELIGIBLE_CANDIDATE"};
    return d;
  }

  std::vector<uint64_t> max_out_of;  // the max_tokens each candidate would be called with
  for (const auto& pc : profile->candidates) {
    const messages::price_entry* e = find_price(prices, pc.model);
    const bool known = e && e->price_known;
    candidate c;
    c.model = pc.model;
    c.provider = e && !e->provider.empty() ? e->provider
                 : !pc.provider.empty()    ? pc.provider
                                           : "unknown";
    c.endpoint = e && !e->endpoint.empty() ? e->endpoint : c.provider;
    c.profile = profile->name;
    c.estimated_quality = pc.quality;
    c.estimated_latency_ms = pc.latency_ms;
    c.price_known = known;
    c.cost_truth = messages::truth::unknown;

    const uint64_t input = task.estimated_input_tokens;
    uint64_t max_out = task.max_output_tokens;
    bool too_long = false;
    if (known) {
      if (e->context_tokens > 0 && input >= e->context_tokens) too_long = true;
      const uint64_t room = e->context_tokens > input ? e->context_tokens - input : 0;
      if (max_out == 0) {
        max_out = e->max_output_tokens > 0 ? e->max_output_tokens : task.estimated_output_tokens;
        if (e->context_tokens > 0) max_out = std::min(max_out, room);
      } else if (e->max_output_tokens > 0) {
        max_out = std::min(max_out, e->max_output_tokens);
      }
      if (e->context_tokens > 0 && input + max_out > e->context_tokens) too_long = true;
      messages::usage expected;
      expected.input_tokens = input;
      expected.cached_input_tokens = std::min(task.estimated_cached_input_tokens, input);
      expected.output_tokens = std::min(task.estimated_output_tokens, max_out);
      // The same figures as llm_cost() and worst_case_cost(), without their
      // basis text: this is the hot path.
      c.estimated_cost_usd = llm_cost_usd(*e, expected);
      c.worst_case_usd = worst_case_usd(*e, input, max_out);
      c.cost_truth = weakest_truth(messages::truth::calculated, e->truth);
    }
    max_out_of.push_back(max_out);

    const bool offline = is_offline_endpoint(prices, c.endpoint);
    bool allowed;
    if (constraints.offline)
      allowed = offline;
    else
      allowed =
        !offline && (constraints.providers.empty() || contains(constraints.providers, c.provider));

    auto& r = c.reject_reasons;
    if (contains(task.exclude_models, c.model)) r.push_back(reject::already_tried);
    if (!allowed) r.push_back(reject::provider_not_allowed);
    if (!known) r.push_back(reject::price_unknown);
    if (too_long) r.push_back(reject::context_too_long);
    if (contains(breakers.open_endpoints, c.endpoint)) r.push_back(reject::circuit_open);
    if (d.constraints.quality && c.estimated_quality + eps < constraints.min_confidence)
      r.push_back(reject::below_quality_floor);
    if (d.constraints.latency && c.estimated_latency_ms > constraints.latency_slo_ms)
      r.push_back(reject::over_latency_slo);
    if (known) {
      const double limit = budget_limit(budget, constraints, c.endpoint);
      if (limit >= 0 && c.worst_case_usd > limit + eps) r.push_back(reject::over_budget);
    }
    d.candidates.push_back(std::move(c));
  }

  score(d.candidates, strat);
  // Rank: eligible first, each group in the strategy's order. The max_tokens
  // travel with their candidate.
  std::vector<size_t> idx(d.candidates.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const auto& ca = d.candidates[a];
    const auto& cb = d.candidates[b];
    if (ca.reject_reasons.empty() != cb.reject_reasons.empty()) return ca.reject_reasons.empty();
    return better(ca, cb, strat);
  });
  std::vector<candidate> ranked;
  std::vector<uint64_t> ranked_max_out;
  ranked.reserve(idx.size());
  for (size_t i : idx) {
    ranked.push_back(std::move(d.candidates[i]));
    ranked_max_out.push_back(max_out_of[i]);
  }
  d.candidates = std::move(ranked);

  if (!d.candidates.empty() && d.candidates.front().reject_reasons.empty()) {
    d.has_selection = true;
    d.selected = d.candidates.front();
    d.max_output_tokens = ranked_max_out.front();
    d.reason_codes.push_back(selection_code(strat));
    if (constraints.offline) d.reason_codes.push_back("OFFLINE_PROVIDER");
    if (d.candidates.size() > 1 && d.candidates[1].reject_reasons.empty() &&
        same_primary_key(d.candidates[0], d.candidates[1], strat))
      d.reason_codes.push_back("TIE_BROKEN");
  } else {
    d.reason_codes.push_back("NO_ELIGIBLE_CANDIDATE");
    // Some candidate fails only for money: the task is unaffordable.
    for (const auto& c : d.candidates)
      if (c.reject_reasons.size() == 1 && c.reject_reasons[0] == std::string(reject::over_budget)) {
        d.reason_codes.push_back("NO_CANDIDATE_AFFORDABLE");
        break;
      }
  }
  for (const char* reason : reject_order)
    for (const auto& c : d.candidates)
      if (contains(c.reject_reasons, reason)) {
        d.reason_codes.push_back(std::string("REJECTED_") + reason);
        break;
      }
  return d;
}

std::string_view to_string(failure_kind k) {
  switch (k) {
    case failure_kind::timeout: return "timeout";
    case failure_kind::provider_error: return "provider_error";
    case failure_kind::over_budget: return "over_budget";
    case failure_kind::low_quality: return "low_quality";
  }
  return "provider_error";
}

std::optional<failure_kind> parse_failure_kind(std::string_view name) {
  for (auto k : {failure_kind::timeout, failure_kind::provider_error, failure_kind::over_budget,
                 failure_kind::low_quality})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

std::optional<failure_kind> failure_of(std::string_view e) {
  if (e.empty()) return std::nullopt;
  if (e == "timeout") return failure_kind::timeout;
  if (e == "empty_content" || e == "truncated" || e == "bad_request")
    return failure_kind::low_quality;
  return failure_kind::provider_error;
}

bool trips_breaker(std::string_view e) {
  return e == "timeout" || e == "rate_limited" || e == "server_error" || e == "network_error" ||
         e == "auth_error" || e == "malformed_response";
}

namespace {

bool repeatable(std::string_view action) {
  return action == "downgrade_model" || action == "switch_provider" || action == "upgrade_profile";
}

const char* default_action(failure_kind k) {
  switch (k) {
    case failure_kind::timeout: return "downgrade_model";
    case failure_kind::provider_error: return "switch_provider";
    case failure_kind::over_budget: return "reduce_scope";
    case failure_kind::low_quality: return "upgrade_profile";
  }
  return "stop";
}

// The profile next to `name` in profile_names() order; "" past either end.
std::string neighbour_profile(const std::string& name, int step) {
  const auto& names = profile_names();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return "";
  const auto i = static_cast<long>(it - names.begin()) + step;
  if (i < 0 || i >= static_cast<long>(names.size())) return "";
  return names[static_cast<size_t>(i)];
}

}  // namespace

fallback_step next_fallback(const routing_decision& decision, std::string_view failed_model,
                            failure_kind kind,
                            const std::vector<messages::fallback_rule>& template_fallbacks,
                            const std::vector<fallback_step>& taken) {
  fallback_step step;
  step.on = std::string(to_string(kind));

  std::vector<std::string> actions;
  for (const auto& r : template_fallbacks)
    if (r.on == step.on) actions.push_back(r.action);
  if (actions.empty()) actions.push_back(default_action(kind));
  size_t used = 0;
  for (const auto& t : taken)
    if (t.on == step.on) ++used;
  if (used < actions.size())
    step.action = actions[used];
  else
    step.action = repeatable(actions.back()) ? actions.back() : "stop";

  // The failed candidate; models and endpoints already tried are out.
  candidate failed = decision.selected;
  for (const auto& c : decision.candidates)
    if (c.model == failed_model) failed = c;
  step.failed_model = failed.model;
  step.failed_endpoint = failed.endpoint;
  std::set<std::string> tried_models = {failed.model, decision.selected.model};
  std::set<std::string> failed_endpoints = {failed.endpoint};
  for (const auto& t : taken) {
    tried_models.insert(t.failed_model);
    if (t.has_next) tried_models.insert(t.next.model);
    if (t.on == "provider_error") failed_endpoints.insert(t.failed_endpoint);
  }
  auto eligible = [&](const candidate& c) {
    return c.reject_reasons.empty() && !tried_models.count(c.model);
  };

  if (step.action == "downgrade_model") {
    const candidate* best = nullptr;
    for (const auto& c : decision.candidates) {
      if (!eligible(c)) continue;
      const bool cheaper = c.estimated_cost_usd < failed.estimated_cost_usd - eps ||
                           (std::abs(c.estimated_cost_usd - failed.estimated_cost_usd) <= eps &&
                            c.estimated_latency_ms < failed.estimated_latency_ms);
      if (!cheaper) continue;
      // The closest step down: the best quality among the cheaper ones.
      if (!best || better(c, *best, strategy::quality_first)) best = &c;
    }
    if (best) {
      step.has_next = true;
      step.next = *best;
    } else {
      step.next_profile = neighbour_profile(decision.profile, -1);
      if (step.next_profile.empty()) step.action = "stop";
    }
  } else if (step.action == "switch_provider") {
    for (const auto& c : decision.candidates)  // already in the strategy's order
      if (eligible(c) && !failed_endpoints.count(c.endpoint)) {
        step.has_next = true;
        step.next = c;
        break;
      }
    if (!step.has_next) step.action = "stop";
  } else if (step.action == "upgrade_profile") {
    step.next_profile = neighbour_profile(decision.profile, +1);
    if (step.next_profile.empty()) step.action = "escalate_hitl";
  }
  step.reason_code = "FALLBACK_" + upper(step.on) + "_" + upper(step.action);
  return step;
}

}  // namespace casm::telemetry
