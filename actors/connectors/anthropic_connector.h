// The Anthropic Messages API: the request for a model_request, and what a
// 2xx body means. input_tokens is input_tokens + cache_read_input_tokens +
// cache_creation_input_tokens (every prompt token, counted once), with the
// two cache counts as its parts.
#pragma once

#include <string>

#include "actors/connectors/http_client.h"
#include "messages/data/model_call.h"

namespace casm::connectors {

// POST {base_url}/v1/messages. `req` must already be redacted.
http_request anthropic_request(const messages::model_request& req,
                               const messages::connector_config& cfg, const std::string& base_url,
                               const std::string& key);

// Reads a 2xx body into `reply`: model, the text blocks joined, stop_reason
// (as finish_reason), usage. Sets error_kind to malformed_response, truncated
// (stop_reason "max_tokens") or empty_content (no text block); leaves it ""
// and ok true otherwise.
void anthropic_read_reply(const std::string& body, messages::model_reply& reply);

}  // namespace casm::connectors
