// One blocking HTTP POST over libcurl, for the model connectors. Blocking:
// call it only from a detached actor or a plain thread, never on a CAF
// scheduler thread (DESIGN.md, Concurrency rules).
//
// Request headers may carry an API key; nothing here logs them, and errors
// carry libcurl's message only (never headers or the body sent). Only http
// and https; no redirects; loopback never goes through a proxy.
// Thread-safe: every call has its own handle.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace casm::connectors {

struct http_request {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  int64_t timeout_ms = 60000;  // the whole exchange, connect included
  int64_t connect_timeout_ms = 10000;
  size_t max_response_bytes = 16u << 20;
};

// timeout: connected, but no complete reply in time (the request may have
// been processed and billed). network: nothing exchanged (DNS, connect,
// connect timeout, reset), or a reply larger than the limit.
enum class transport { ok, timeout, network };

struct http_response {
  transport result = transport::ok;
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string error;                                         // when result != ok

  // The last value of a header (name lower-case), or "".
  std::string header(std::string_view name) const;
};

http_response http_post(const http_request& req);

}  // namespace casm::connectors
