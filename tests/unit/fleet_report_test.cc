// fleet.json / fleet.md (telemetry/fleet_report.cc): the exit rule, a round
// trip through the text, bytes that are not UTF-8, and totals.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "telemetry/fleet_report.h"

namespace casm::telemetry {
namespace {

messages::fleet_row row(const std::string& repo, int exit_code, uint64_t high = 0) {
  messages::fleet_row r;
  r.repo = repo;
  r.run_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  r.status = exit_code == 0 ? "succeeded" : "failed";
  r.has_exit_code = true;
  r.exit_code = exit_code;
  r.findings["high"] = high;
  r.duration_s = 0.25;
  if (exit_code) r.error = "repository '" + repo + "' cannot be opened";
  return r;
}

fleet_doc doc_of(std::vector<messages::fleet_row> rows) {
  fleet_doc d;
  d.fleet_id = "01ARZ3NDEKTSV4RRFFQ69G5FAW";
  d.created_at = d.updated_at = "2026-01-01T00:00:00.000Z";
  d.template_id = "repo-auditor";
  d.repos_source = "repos/";
  d.parallel = 2;
  d.runs = std::move(rows);
  return d;
}

TEST(FleetReport, ExitsZeroOnlyWhenEveryRunDid) {
  EXPECT_EQ(fleet_exit_code(doc_of({row("a", 0), row("b", 0)})), 0);
  EXPECT_EQ(fleet_exit_code(doc_of({row("a", 0), row("b", 2)})), 1);
  EXPECT_EQ(fleet_exit_code(doc_of({row("a", 0), row("b", 4)})), 1);
  messages::fleet_row pending;
  pending.repo = "c";
  EXPECT_EQ(fleet_exit_code(doc_of({row("a", 0), pending})), 1);  // not run is not success
}

TEST(FleetReport, RoundTripsThroughItsTextAndKeepsExactBytes) {
  auto d = doc_of({row("a", 0, 3), row(std::string("caf\xe9", 4), 2)});
  d.fleet_budget_usd = 1.5;
  d.nodes = {"127.0.0.1:7411"};
  d.ignored = {"notes"};
  const std::string text = render_fleet_json(d);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["runs"][0]["error"], nullptr);
  EXPECT_EQ(j["runs"][1]["exit_code"], 2);
  EXPECT_TRUE(j["runs"][1].contains("repo_b64"));
  EXPECT_EQ(j["totals"]["findings"]["high"], 3);
  EXPECT_EQ(j["totals"]["failed"], 1);
  fleet_doc back;
  std::string error;
  ASSERT_TRUE(parse_fleet_json(text, back, error)) << error;
  EXPECT_EQ(back.runs.size(), 2u);
  EXPECT_EQ(back.runs[1].repo, std::string("caf\xe9", 4));
  EXPECT_EQ(back.fleet_budget_usd, 1.5);
  EXPECT_EQ(render_fleet_json(back), text);
  EXPECT_FALSE(parse_fleet_json("{\"runs\": 3}", back, error));
}

TEST(FleetReport, MarkdownNamesEveryRowAndHowToResume) {
  messages::fleet_row pending;
  pending.repo = "later|repo";
  auto md = render_fleet_md(doc_of({row("a", 0), row("b", 2), pending}));
  EXPECT_NE(md.find("| a |"), std::string::npos);
  EXPECT_NE(md.find("cannot be opened"), std::string::npos);
  EXPECT_NE(md.find("later\\|repo"), std::string::npos);  // a table cell stays one cell
  EXPECT_NE(md.find("casm resume --fleet-id 01ARZ3NDEKTSV4RRFFQ69G5FAW"), std::string::npos);
}

}  // namespace
}  // namespace casm::telemetry
