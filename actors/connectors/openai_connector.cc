#include "actors/connectors/openai_connector.h"

#include <nlohmann/json.hpp>

#include "actors/connectors/connector.h"

namespace casm::connectors {

using nlohmann::json;
namespace model_error = messages::model_error;

namespace {

void malformed(messages::model_reply& reply, const std::string& why) {
  reply.ok = false;
  reply.error_kind = model_error::malformed_response;
  reply.error = "malformed Chat Completions reply: " + why;
}

}  // namespace

http_request openai_request(const messages::model_request& req,
                            const messages::connector_config& cfg, const std::string& base_url,
                            const std::string& key) {
  json messages = json::array();
  if (!req.system.empty()) messages.push_back({{"role", "system"}, {"content", req.system}});
  for (const auto& m : req.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"model", req.model}, {"messages", messages}};
  body[cfg.max_tokens_field.empty() ? "max_tokens" : cfg.max_tokens_field] = req.max_output_tokens;
  if (req.temperature >= 0) body["temperature"] = req.temperature;

  http_request out;
  out.url = base_url + "/chat/completions";
  out.headers = {"Content-Type: application/json", "Authorization: Bearer " + key};
  out.body = body.dump();
  return out;
}

void openai_read_reply(const std::string& body, messages::model_reply& reply) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return malformed(reply, "not a JSON object");
  if (auto m = doc.find("model"); m != doc.end() && m->is_string())
    reply.model = m->get<std::string>();

  if (auto u = doc.find("usage"); u != doc.end() && u->is_object()) {
    uint64_t prompt = 0, completion = 0, cached = 0, hit = 0;
    if (!read_token_count(*u, "prompt_tokens", prompt) ||
        !read_token_count(*u, "completion_tokens", completion) ||
        !read_token_count(*u, "prompt_cache_hit_tokens", hit))
      return malformed(reply, "usage counts are not non-negative integers");
    if (auto d = u->find("prompt_tokens_details"); d != u->end() && d->is_object())
      if (!read_token_count(*d, "cached_tokens", cached))
        return malformed(reply, "usage counts are not non-negative integers");
    if (cached == 0) cached = hit;
    if (cached > prompt) return malformed(reply, "cached tokens exceed prompt_tokens");
    reply.usage_present = true;
    reply.tokens.input_tokens = prompt;
    reply.tokens.cached_input_tokens = cached;
    reply.tokens.output_tokens = completion;
  }

  auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty() ||
      !(*choices)[0].is_object())
    return malformed(reply, "no choices");
  const json& choice = (*choices)[0];
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string())
    reply.finish_reason = f->get<std::string>();
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) return malformed(reply, "no message");
  auto content = message->find("content");
  if (content != message->end() && !content->is_null() && !content->is_string())
    return malformed(reply, "content is neither a string nor null");
  if (content != message->end() && content->is_string())
    reply.content = content->get<std::string>();

  if (reply.finish_reason == "length") {
    reply.ok = false;
    reply.error_kind = model_error::truncated;
    reply.error = "the reply was cut at max_tokens (finish_reason length)";
    return;
  }
  if (reply.content.empty()) {
    reply.ok = false;
    reply.error_kind = model_error::empty_content;
    reply.error = "the reply has no content (content null: reasoning only)";
    return;
  }
  reply.ok = true;
  reply.error_kind = model_error::none;
}

}  // namespace casm::connectors
