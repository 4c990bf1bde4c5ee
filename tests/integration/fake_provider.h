// A fake model provider on 127.0.0.1 (cpp-httplib) speaking both APIs:
// POST /v1/chat/completions (OpenAI-compatible; base URL <base>/v1) and
// POST /v1/messages (Anthropic; base URL <base>). Replies follow a script,
// one step per request in arrival order, then a default success with the
// configured usage (cached tokens included). It records what it received, so
// tests can check what left the process. Header-only: tests/CMakeLists.txt
// compiles only *_test.cc beside the harness.
#pragma once

// 64 clients connect at once; httplib's default backlog of 5 would drop SYNs.
#define CPPHTTPLIB_LISTEN_BACKLOG 128
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace casm::itest {

enum class fake_kind {
  ok,            // a success in the API asked, with the configured usage
  status,        // `status` with `body` and `headers` as given
  malformed,     // 200 with a body that is not JSON
  content_null,  // 200, OpenAI content null / Anthropic no text block (reasoning only)
  truncated,     // 200, finish_reason length / stop_reason max_tokens
  hang,          // waits delay_ms (bounded) before a success
  answer,        // a success whose content is `body` (the default answer when unscripted)
};

struct fake_step {
  fake_kind kind = fake_kind::ok;
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;

  static fake_step ok() { return {}; }
  static fake_step rate_limited(const std::string& retry_after) {
    return {fake_kind::status,
            429,
            R"({"error":{"message":"Rate limit reached","type":"rate_limit"}})",
            {{"Retry-After", retry_after}},
            0};
  }
  static fake_step server_error(int status = 500) {
    return {fake_kind::status, status, R"({"error":{"message":"internal error"}})", {}, 0};
  }
  static fake_step http(int status, std::string body) {
    return {fake_kind::status, status, std::move(body), {}, 0};
  }
  static fake_step malformed() { return {fake_kind::malformed, 200, "", {}, 0}; }
  static fake_step content_null() { return {fake_kind::content_null, 200, "", {}, 0}; }
  static fake_step truncated() { return {fake_kind::truncated, 200, "", {}, 0}; }
  static fake_step hang(int ms) { return {fake_kind::hang, 200, "", {}, ms}; }
  static fake_step answer(std::string content) {
    return {fake_kind::answer, 200, std::move(content), {}, 0};
  }
};

struct fake_usage {
  uint64_t input =
    1200;  // OpenAI prompt_tokens (cached included) / Anthropic input_tokens (uncached)
  uint64_t cached = 200;        // cached_tokens / cache_read_input_tokens
  uint64_t cache_creation = 0;  // Anthropic only
  uint64_t output = 300;
};

struct fake_request {
  std::string path;
  std::string body;
  std::string authorization;
  std::string api_key;  // x-api-key
  std::string model;
};

class fake_provider {
public:
  fake_provider() {
    server_.new_task_queue = [] { return new httplib::ThreadPool(72); };
    server_.Post("/v1/chat/completions",
                 [this](const httplib::Request& q, httplib::Response& r) { handle(q, r, false); });
    server_.Post("/v1/messages",
                 [this](const httplib::Request& q, httplib::Response& r) { handle(q, r, true); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~fake_provider() {
    stopping_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  fake_provider(const fake_provider&) = delete;
  fake_provider& operator=(const fake_provider&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void script(std::vector<fake_step> steps) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(steps.begin(), steps.end());
  }
  // The content of every unscripted success ("fake answer" by default).
  void set_answer(std::string content) {
    std::lock_guard<std::mutex> lock(mu_);
    answer_ = std::move(content);
  }
  void set_usage(fake_usage u) {
    std::lock_guard<std::mutex> lock(mu_);
    usage_ = u;
  }
  std::vector<fake_request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  size_t request_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }
  int max_concurrent() const { return max_concurrent_.load(); }

private:
  static std::string openai_reply(const std::string& model, const nlohmann::json& content,
                                  const std::string& finish, const fake_usage& u) {
    nlohmann::json j = {{"id", "chatcmpl-fake"},
                        {"object", "chat.completion"},
                        {"model", model},
                        {"choices",
                         {{{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", content}}},
                           {"finish_reason", finish}}}},
                        {"usage",
                         {{"prompt_tokens", u.input},
                          {"completion_tokens", u.output},
                          {"total_tokens", u.input + u.output},
                          {"prompt_tokens_details", {{"cached_tokens", u.cached}}}}}};
    return j.dump();
  }
  static std::string anthropic_reply(const std::string& model, bool text, const std::string& stop,
                                     const fake_usage& u, const std::string& answer = "fake answer") {
    nlohmann::json content = nlohmann::json::array();
    content.push_back({{"type", "thinking"}, {"thinking", "..."}});
    if (text) content.push_back({{"type", "text"}, {"text", answer}});
    nlohmann::json j = {{"id", "msg_fake"},
                        {"type", "message"},
                        {"role", "assistant"},
                        {"model", model},
                        {"content", content},
                        {"stop_reason", stop},
                        {"usage",
                         {{"input_tokens", u.input},
                          {"output_tokens", u.output},
                          {"cache_read_input_tokens", u.cached},
                          {"cache_creation_input_tokens", u.cache_creation}}}};
    return j.dump();
  }

  void handle(const httplib::Request& q, httplib::Response& r, bool anthropic) {
    const int now = ++concurrent_;
    for (int seen = max_concurrent_.load();
         now > seen && !max_concurrent_.compare_exchange_weak(seen, now);) {
    }
    fake_request rec;
    rec.path = q.path;
    rec.body = q.body;
    rec.authorization = q.get_header_value("Authorization");
    rec.api_key = q.get_header_value("x-api-key");
    auto body = nlohmann::json::parse(q.body, nullptr, false);
    rec.model = body.is_object() && body.contains("model") && body["model"].is_string()
                  ? body["model"].get<std::string>()
                  : "unknown";
    const std::string model = rec.model;
    fake_step step;
    fake_usage usage;
    std::string answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(std::move(rec));
      if (!script_.empty()) {
        step = script_.front();
        script_.pop_front();
      }
      usage = usage_;
      answer = answer_;
    }
    if (step.kind == fake_kind::answer) answer = step.body;
    switch (step.kind) {
      case fake_kind::hang:
        for (int waited = 0; waited < step.delay_ms && !stopping_; waited += 10)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        [[fallthrough]];
      case fake_kind::ok:
      case fake_kind::answer:
        r.status = 200;
        r.set_content(anthropic ? anthropic_reply(model, true, "end_turn", usage, answer)
                                : openai_reply(model, answer, "stop", usage),
                      "application/json");
        break;
      case fake_kind::status:
        r.status = step.status;
        for (const auto& [k, v] : step.headers) r.set_header(k.c_str(), v);
        r.set_content(step.body, "application/json");
        break;
      case fake_kind::malformed:
        r.status = 200;
        r.set_content("{\"choices\": [ this is not json", "application/json");
        break;
      case fake_kind::content_null:
        r.status = 200;
        r.set_content(anthropic ? anthropic_reply(model, false, "end_turn", usage)
                                : openai_reply(model, nullptr, "stop", usage),
                      "application/json");
        break;
      case fake_kind::truncated:
        r.status = 200;
        r.set_content(anthropic ? anthropic_reply(model, true, "max_tokens", usage)
                                : openai_reply(model, "fake ans", "length", usage),
                      "application/json");
        break;
    }
    --concurrent_;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> concurrent_{0};
  std::atomic<int> max_concurrent_{0};
  mutable std::mutex mu_;
  std::deque<fake_step> script_;
  fake_usage usage_;
  std::string answer_ = "fake answer";
  std::vector<fake_request> seen_;
};

}  // namespace casm::itest
