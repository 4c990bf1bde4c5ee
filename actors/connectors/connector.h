// A model call to a provider, blocking: call it from a detached actor only.
//
// call_model() reads the key from the environment variable the config names
// (at call time; never stored, logged or put in an error), masks every
// detected secret in the prompt (policy::redact_text), sends the request in
// the provider's API, and turns every failure into a typed error
// (messages::model_error). It retries 429, 5xx and network failures with
// exponential backoff and full jitter, waits at least what Retry-After (or
// retry-after-ms) says, and stops at max_attempts or the total deadline,
// whichever comes first. Usage is returned whenever the provider reported it,
// also on truncated and empty replies: those tokens were billed.
#pragma once

#include <cstdint>
#include <ctime>
#include <random>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/connectors/http_client.h"
#include "messages/data/model_call.h"

namespace casm::connectors {

messages::model_reply call_model(const messages::model_request& req,
                                 const messages::connector_config& cfg);

// The request with its system prompt and every message passed through
// policy::redact_text.
messages::model_request redact_request(const messages::model_request& req);

// Milliseconds to wait from a response's retry-after-ms or Retry-After
// (delta-seconds or an HTTP date, relative to `now`); -1 when neither is
// given or readable.
int64_t retry_after_ms(const http_response& resp, std::time_t now);

// The wait before attempt `attempt + 1`: at least `retry_after` when given
// (>= 0), else full jitter over min(max, base * 2^(attempt-1)).
int64_t backoff_ms(uint32_t attempt, int64_t retry_after, const messages::connector_config& cfg,
                   std::mt19937_64& rng);

// `text` fit for an error or log line: `key` replaced, secrets masked,
// at most 300 bytes.
std::string scrub(std::string_view text, std::string_view key);

// The message of a provider's JSON error body ({"error": {"message": ...}}),
// or "".
std::string provider_error_message(const std::string& body);

// A token count of a usage object: absent or null reads as 0; false for
// anything but a non-negative integer.
bool read_token_count(const nlohmann::json& obj, const char* key, uint64_t& out);

}  // namespace casm::connectors
