// The OpenAI Chat Completions API, also spoken by Kimi (Moonshot) and
// DeepSeek: the request for a model_request, and what a 2xx body means.
// input_tokens is prompt_tokens (cached tokens included);
// cached_input_tokens is prompt_tokens_details.cached_tokens (DeepSeek:
// prompt_cache_hit_tokens).
#pragma once

#include <string>

#include "actors/connectors/http_client.h"
#include "messages/data/model_call.h"

namespace casm::connectors {

// POST {base_url}/chat/completions. `req` must already be redacted.
http_request openai_request(const messages::model_request& req,
                            const messages::connector_config& cfg, const std::string& base_url,
                            const std::string& key);

// Reads a 2xx body into `reply`: model, content, finish_reason, usage. Sets
// error_kind to malformed_response (not the API's JSON), truncated
// (finish_reason "length") or empty_content (content null or empty: a
// reasoning-only reply); leaves it "" and ok true otherwise.
void openai_read_reply(const std::string& body, messages::model_reply& reply);

}  // namespace casm::connectors
