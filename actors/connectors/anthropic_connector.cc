#include "actors/connectors/anthropic_connector.h"

#include <nlohmann/json.hpp>

#include "actors/connectors/connector.h"

namespace casm::connectors {

using nlohmann::json;
namespace model_error = messages::model_error;

namespace {

void malformed(messages::model_reply& reply, const std::string& why) {
  reply.ok = false;
  reply.error_kind = model_error::malformed_response;
  reply.error = "malformed Messages API reply: " + why;
}

}  // namespace

http_request anthropic_request(const messages::model_request& req,
                               const messages::connector_config& cfg, const std::string& base_url,
                               const std::string& key) {
  json messages = json::array();
  for (const auto& m : req.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"model", req.model}, {"max_tokens", req.max_output_tokens}, {"messages", messages}};
  if (!req.system.empty()) body["system"] = req.system;
  if (req.temperature >= 0) body["temperature"] = req.temperature;

  http_request out;
  out.url = base_url + "/v1/messages";
  out.headers = {"Content-Type: application/json", "x-api-key: " + key,
                 "anthropic-version: " + cfg.anthropic_version};
  out.body = body.dump();
  return out;
}

void anthropic_read_reply(const std::string& body, messages::model_reply& reply) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return malformed(reply, "not a JSON object");
  if (auto t = doc.find("type"); t != doc.end() && t->is_string() && *t == "error")
    return malformed(reply, "an error object with a success status");
  if (auto m = doc.find("model"); m != doc.end() && m->is_string())
    reply.model = m->get<std::string>();

  if (auto u = doc.find("usage"); u != doc.end() && u->is_object()) {
    uint64_t in = 0, out = 0, read = 0, write = 0;
    if (!read_token_count(*u, "input_tokens", in) || !read_token_count(*u, "output_tokens", out) ||
        !read_token_count(*u, "cache_read_input_tokens", read) ||
        !read_token_count(*u, "cache_creation_input_tokens", write))
      return malformed(reply, "usage counts are not non-negative integers");
    reply.usage_present = true;
    // Anthropic's input_tokens excludes the cached parts: every prompt token
    // is the sum, each counted once.
    reply.tokens.input_tokens = in + read + write;
    reply.tokens.cached_input_tokens = read;
    reply.tokens.cache_creation_tokens = write;
    reply.tokens.output_tokens = out;
  }

  auto content = doc.find("content");
  if (content == doc.end() || !content->is_array()) return malformed(reply, "no content array");
  for (const auto& block : *content) {
    if (!block.is_object()) return malformed(reply, "a content block is not an object");
    auto type = block.find("type");
    if (type == block.end() || !type->is_string())
      return malformed(reply, "a content block has no type");
    if (*type != "text") continue;  // thinking, tool_use, ...
    auto t = block.find("text");
    if (t == block.end() || !t->is_string()) return malformed(reply, "a text block has no text");
    reply.content += t->get<std::string>();
  }
  if (auto s = doc.find("stop_reason"); s != doc.end() && s->is_string())
    reply.finish_reason = s->get<std::string>();

  if (reply.finish_reason == "max_tokens") {
    reply.ok = false;
    reply.error_kind = model_error::truncated;
    reply.error = "the reply was cut at max_tokens (stop_reason max_tokens)";
    return;
  }
  if (reply.content.empty()) {
    reply.ok = false;
    reply.error_kind = model_error::empty_content;
    reply.error = "the reply has no text content";
    return;
  }
  reply.ok = true;
  reply.error_kind = model_error::none;
}

}  // namespace casm::connectors
