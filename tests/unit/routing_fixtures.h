// Shared by the router, cost, budget, prices and writer tests: the shipped
// price registry, small tasks, and a JSON Schema check through Debian's
// python3-jsonschema (Draft 2020-12).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "messages/data/routing.h"
#include "runtime/embedded_config.h"
#include "telemetry/prices.h"
#include "tests/unit/test_util.h"

namespace casm::test {

inline messages::price_registry shipped_registry() {
  messages::price_registry reg;
  const auto* f = runtime::find_embedded("prices.yaml");
  EXPECT_NE(f, nullptr) << "config/prices.yaml is not embedded";
  if (!f) return reg;
  std::vector<codec::config_error> errors;
  EXPECT_TRUE(telemetry::parse_price_registry("prices.yaml", f->content, reg, errors));
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
  return reg;
}

inline messages::routing_task make_task(std::string id, std::string profile, uint64_t in,
                                        uint64_t out, uint64_t max_out) {
  messages::routing_task t;
  t.task_id = std::move(id);
  t.task_type = "review";
  t.stage = "analyze";
  t.profile = std::move(profile);
  t.estimated_input_tokens = in;
  t.estimated_output_tokens = out;
  t.max_output_tokens = max_out;
  return t;
}

// "" when `json_text` validates against docs/schemas/<schema_file>, else the
// validator's complaints (one per line).
inline std::string schema_errors(const std::string& json_text, const std::string& schema_file) {
  temp_dir dir;
  const auto doc = dir.path() / "doc.json";
  spit(doc, json_text);
  const std::string schema = std::string(CASM_SOURCE_DIR) + "/docs/schemas/" + schema_file;
  const std::string script =
    "import json,sys\n"
    "from jsonschema import Draft202012Validator as V\n"
    "s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n"
    "V.check_schema(s)\n"
    "errs=sorted(V(s).iter_errors(d), key=lambda e: list(map(str,e.path)))\n"
    "[print('/'.join(map(str,e.path))+': '+e.message) for e in errs]\n"
    "sys.exit(1 if errs else 0)\n";
  const auto script_file = dir.path() / "check.py";
  spit(script_file, script);
  const std::string cmd =
    "/usr/bin/python3 " + script_file.string() + " " + schema + " " + doc.string() + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "could not run /usr/bin/python3";
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (rc == 0) return "";
  return out.empty() ? "validator failed with status " + std::to_string(rc) : out;
}

}  // namespace casm::test
