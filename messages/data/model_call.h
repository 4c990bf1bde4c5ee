// A model call as the connectors see it (actors/connectors/): the request,
// how to reach the provider, and the reply with its typed error. Plain data
// (no CAF). No field ever holds an API key: connector_config names the
// environment variable, and the connector reads it at call time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/fields.h"
#include "messages/data/routing.h"

namespace casm::messages {

struct chat_message {
  std::string role;  // user | assistant
  std::string content;
};

struct model_request {
  std::string call_id;
  std::string task_id;
  std::string model;
  std::string system;  // the system prompt ("" for none)
  std::vector<chat_message> messages;
  uint64_t max_output_tokens = 1024;  // the max_tokens the reservation was made for
  double temperature = -1;            // < 0: not sent (reasoning models refuse it)
};

// How to reach one provider endpoint, and how hard to try.
struct connector_config {
  std::string endpoint;                         // provider entry name, e.g. openai, deepseek
  std::string api;                              // openai_chat | anthropic_messages
  std::string base_url;                         // default, e.g. https://api.openai.com/v1
  std::string base_url_env;                     // overrides base_url when set and non-empty
  std::string api_key_env;                      // the NAME of the variable that holds the key
  std::string max_tokens_field = "max_tokens";  // OpenAI-compatible only
  std::string anthropic_version = "2023-06-01";
  int64_t timeout_ms = 60000;  // one attempt, connect included
  int64_t connect_timeout_ms = 10000;
  int64_t deadline_ms = 180000;  // every attempt and wait together
  uint32_t max_attempts = 3;
  int64_t backoff_base_ms = 500;  // exponential: base * 2^(attempt-1), full jitter
  int64_t backoff_max_ms = 20000;
  uint64_t jitter_seed = 0;  // 0: seeded from std::random_device
  // A timed-out call may still be billed, and the reservation covers one
  // call: timeouts are returned to the router (fallback), not retried here.
  bool retry_on_timeout = false;
};

// Typed errors the router acts on (telemetry::failure_of maps them to
// timeout | provider_error | low_quality).
namespace model_error {
constexpr const char* none = "";
constexpr const char* timeout = "timeout";
constexpr const char* rate_limited = "rate_limited";  // 429; retry_after_ms set when given
constexpr const char* server_error = "server_error";  // 5xx (529 overloaded included)
constexpr const char* malformed_response = "malformed_response";
constexpr const char* empty_content = "empty_content";  // content null: reasoning only
constexpr const char* truncated = "truncated";          // finish_reason length / max_tokens
constexpr const char* auth_error = "auth_error";        // 401, 403, key variable unset
constexpr const char* bad_request = "bad_request";      // another 4xx (unknown model, ...)
constexpr const char* network_error = "network_error";  // DNS, connect, reset
}  // namespace model_error

struct model_reply {
  std::string call_id;
  bool ok = false;
  std::string error_kind;       // model_error::*
  std::string error;            // safe text: never the key, secrets masked
  int http_status = 0;          // of the last attempt; 0 when no response
  int64_t retry_after_ms = -1;  // of the last 429/503, when the provider said
  std::string endpoint;
  std::string model;    // the model that answered (the response's own field)
  std::string content;  // may be set on `truncated`
  std::string finish_reason;
  bool usage_present = false;  // usage is billed even on truncated / empty_content
  usage tokens;
  uint32_t attempts = 0;
  int64_t latency_ms = 0;                // first attempt start to the end, waits included
  std::vector<std::string> attempt_log;  // "1: 429 retry-after 1000 ms", no secrets
};

CASM_JSON(chat_message, role, content)
CASM_JSON(model_request, call_id, task_id, model, system, messages, max_output_tokens, temperature)
CASM_JSON(connector_config, endpoint, api, base_url, base_url_env, api_key_env, max_tokens_field,
          anthropic_version, timeout_ms, connect_timeout_ms, deadline_ms, max_attempts,
          backoff_base_ms, backoff_max_ms, jitter_seed, retry_on_timeout)
CASM_JSON(model_reply, call_id, ok, error_kind, error, http_status, retry_after_ms, endpoint, model,
          content, finish_reason, usage_present, tokens, attempts, latency_ms, attempt_log)

}  // namespace casm::messages
