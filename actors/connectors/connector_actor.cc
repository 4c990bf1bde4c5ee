#include "actors/connectors/connector_actor.h"

#include <caf/typed_event_based_actor.hpp>

#include "actors/connectors/connector.h"
#include "telemetry/prices.h"

namespace casm::connectors {

using namespace casm::messages;

connector_config config_for(const provider_entry& p) {
  connector_config c;
  c.endpoint = p.name;
  c.api = p.api;
  c.base_url = p.base_url;
  c.base_url_env = p.base_url_env;
  c.api_key_env = p.api_key_env;
  if (!p.max_tokens_field.empty()) c.max_tokens_field = p.max_tokens_field;
  return c;
}

protocol::connector_actor spawn_connector(caf::actor_system& sys, price_registry prices) {
  return sys.spawn<caf::detached>(
    [prices](protocol::connector_actor::pointer) -> protocol::connector_actor::behavior_type {
      return {
        [prices](const model_call& call) {
          model_reply r;
          r.call_id = call.call_id;
          r.endpoint = call.endpoint;
          const provider_entry* p = telemetry::find_provider(prices, call.endpoint);
          if (!p || (p->api != "openai_chat" && p->api != "anthropic_messages")) {
            r.error_kind = model_error::bad_request;
            r.error = "endpoint '" + call.endpoint + "' has no connector in the registry";
            return r;
          }
          auto cfg = config_for(*p);
          if (call.timeout_ms > 0) {
            cfg.timeout_ms = call.timeout_ms;
            cfg.deadline_ms = std::max<int64_t>(call.timeout_ms * 3, call.timeout_ms + 5000);
          }
          if (call.max_attempts > 0) cfg.max_attempts = call.max_attempts;
          r = call_model(call.request, cfg);
          r.call_id = call.call_id;
          if (r.endpoint.empty()) r.endpoint = call.endpoint;
          return r;
        },
      };
    });
}

}  // namespace casm::connectors
