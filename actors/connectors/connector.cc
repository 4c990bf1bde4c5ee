#include "actors/connectors/connector.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "actors/connectors/anthropic_connector.h"
#include "actors/connectors/openai_connector.h"
#include "policy/redaction.h"

namespace casm::connectors {

using messages::connector_config;
using messages::model_reply;
using messages::model_request;
namespace model_error = messages::model_error;
using steady = std::chrono::steady_clock;

namespace {

int64_t ms_since(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t).count();
}

std::string env(const std::string& name) {
  if (name.empty()) return {};
  const char* v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

std::string strip_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

struct outcome {
  std::string kind;  // model_error::*
  bool retryable = false;
};

// What an HTTP status (not 2xx) means.
outcome classify_status(long status) {
  if (status == 401 || status == 403) return {model_error::auth_error, false};
  if (status == 429) return {model_error::rate_limited, true};
  if (status >= 500 && status <= 599) return {model_error::server_error, true};
  if (status >= 400 && status <= 499) return {model_error::bad_request, false};
  return {model_error::malformed_response, false};
}

}  // namespace

bool read_token_count(const nlohmann::json& obj, const char* key, uint64_t& out) {
  out = 0;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_number_integer() && !it->is_number_unsigned()) return false;
  if (it->is_number_integer() && it->get<int64_t>() < 0) return false;
  out = it->get<uint64_t>();
  return true;
}

model_request redact_request(const model_request& req) {
  model_request out = req;
  out.system = policy::redact_text(req.system);
  for (auto& m : out.messages) m.content = policy::redact_text(m.content);
  return out;
}

int64_t retry_after_ms(const http_response& resp, std::time_t now) {
  if (auto ms = resp.header("retry-after-ms"); !ms.empty()) {
    char* end = nullptr;
    double v = std::strtod(ms.c_str(), &end);
    if (end && *end == '\0' && v >= 0 && v < 1e9) return static_cast<int64_t>(v);
  }
  auto ra = resp.header("retry-after");
  if (ra.empty()) return -1;
  char* end = nullptr;
  double seconds = std::strtod(ra.c_str(), &end);
  if (end && *end == '\0' && seconds >= 0 && seconds < 1e6)
    return static_cast<int64_t>(seconds * 1000.0);
  const std::time_t when = curl_getdate(ra.c_str(), nullptr);
  if (when < 0) return -1;
  return when > now ? static_cast<int64_t>(when - now) * 1000 : 0;
}

int64_t backoff_ms(uint32_t attempt, int64_t retry_after, const connector_config& cfg,
                   std::mt19937_64& rng) {
  const int64_t base = std::max<int64_t>(1, cfg.backoff_base_ms);
  int64_t cap = base;
  for (uint32_t i = 1; i < attempt && cap < cfg.backoff_max_ms; ++i) cap *= 2;
  cap = std::min(cap, std::max<int64_t>(base, cfg.backoff_max_ms));
  std::uniform_int_distribution<int64_t> full(0, cap);
  if (retry_after >= 0) {
    // Never earlier than the provider asked; a little jitter after it so
    // that many callers told the same second do not return together.
    std::uniform_int_distribution<int64_t> extra(0, base / 4);
    return retry_after + extra(rng);
  }
  return full(rng);
}

std::string scrub(std::string_view text, std::string_view key) {
  std::string s(text);
  if (key.size() >= 4) {
    for (size_t pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos))
      s.replace(pos, key.size(), "[REDACTED]");
  }
  s = policy::redact_text(s);
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > 300) {
    size_t cut = 300;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    s = s.substr(0, cut) + "...";
  }
  return s;
}

std::string provider_error_message(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  auto err = doc.find("error");
  if (err == doc.end()) return "";
  if (err->is_string()) return err->get<std::string>();
  if (err->is_object()) {
    auto m = err->find("message");
    if (m != err->end() && m->is_string()) return m->get<std::string>();
  }
  return "";
}

model_reply call_model(const model_request& original, const connector_config& cfg) {
  const auto start = steady::now();
  model_reply reply;
  reply.call_id = original.call_id;
  reply.endpoint = cfg.endpoint;
  reply.model = original.model;

  const std::string key = env(cfg.api_key_env);
  if (key.empty()) {
    reply.error_kind = model_error::auth_error;
    reply.error = cfg.api_key_env.empty()
                    ? "no API key variable is configured for endpoint " + cfg.endpoint
                    : "the environment variable " + cfg.api_key_env + " is not set";
    return reply;
  }
  std::string base = env(cfg.base_url_env);
  if (base.empty()) base = cfg.base_url;
  base = strip_slashes(base);

  const model_request req = redact_request(original);
  http_request wire;
  void (*read_reply)(const std::string&, model_reply&) = nullptr;
  if (cfg.api == "openai_chat") {
    wire = openai_request(req, cfg, base, key);
    read_reply = openai_read_reply;
  } else if (cfg.api == "anthropic_messages") {
    wire = anthropic_request(req, cfg, base, key);
    read_reply = anthropic_read_reply;
  } else {
    reply.error_kind = model_error::bad_request;
    reply.error = "endpoint " + cfg.endpoint + " has no network API ('" + cfg.api + "')";
    return reply;
  }
  wire.connect_timeout_ms = cfg.connect_timeout_ms;

  std::mt19937_64 rng(cfg.jitter_seed ? cfg.jitter_seed : std::random_device{}());
  const uint32_t max_attempts = std::max<uint32_t>(1, cfg.max_attempts);
  const int64_t deadline_ms = std::max<int64_t>(1, cfg.deadline_ms);

  for (uint32_t attempt = 1;; ++attempt) {
    const int64_t left = deadline_ms - ms_since(start);
    if (left <= 0) {
      reply.error_kind = model_error::timeout;
      reply.error = "deadline of " + std::to_string(deadline_ms) + " ms reached";
      break;
    }
    wire.timeout_ms = std::min(cfg.timeout_ms, left);
    reply.attempts = attempt;
    reply.retry_after_ms = -1;
    const auto attempt_start = steady::now();
    const http_response resp = http_post(wire);
    const std::string prefix = std::to_string(attempt) + ": ";

    outcome o;
    if (resp.result == transport::timeout) {
      o = {model_error::timeout, cfg.retry_on_timeout};
      reply.http_status = 0;
      reply.error = "no complete reply within " + std::to_string(wire.timeout_ms) + " ms";
    } else if (resp.result == transport::network) {
      o = {model_error::network_error, true};
      reply.http_status = 0;
      reply.error = "network error: " + scrub(resp.error, key);
    } else if (resp.status >= 200 && resp.status <= 299) {
      reply.http_status = static_cast<int>(resp.status);
      read_reply(resp.body, reply);
      if (reply.model.empty()) reply.model = original.model;
      reply.error = scrub(reply.error, key);
      reply.attempt_log.push_back(prefix + "HTTP " + std::to_string(resp.status) +
                                  (reply.ok ? "" : " " + reply.error_kind) + " in " +
                                  std::to_string(ms_since(attempt_start)) + " ms");
      break;  // a reply was produced (and maybe billed): never retried here
    } else {
      o = classify_status(resp.status);
      reply.http_status = static_cast<int>(resp.status);
      reply.retry_after_ms = retry_after_ms(resp, std::time(nullptr));
      std::string msg = provider_error_message(resp.body);
      reply.error = "HTTP " + std::to_string(resp.status) +
                    (msg.empty() ? std::string() : ": " + scrub(msg, key));
    }
    reply.ok = false;
    reply.error_kind = o.kind;
    std::string line = prefix + o.kind;
    if (reply.http_status) line += " (HTTP " + std::to_string(reply.http_status) + ")";
    if (reply.retry_after_ms >= 0)
      line += ", retry-after " + std::to_string(reply.retry_after_ms) + " ms";

    if (!o.retryable || attempt >= max_attempts) {
      reply.attempt_log.push_back(line);
      break;
    }
    const int64_t wait = backoff_ms(attempt, reply.retry_after_ms, cfg, rng);
    if (ms_since(start) + wait >= deadline_ms) {
      reply.attempt_log.push_back(line + ", not retried: the wait of " + std::to_string(wait) +
                                  " ms passes the deadline");
      break;
    }
    reply.attempt_log.push_back(line + ", waiting " + std::to_string(wait) + " ms");
    // The backoff blocks this call only: it runs in the detached connector
    // actor (connector_actor.h), never on a CAF scheduler thread.
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  reply.latency_ms = ms_since(start);
  return reply;
}

}  // namespace casm::connectors
