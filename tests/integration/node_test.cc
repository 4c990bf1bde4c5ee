// Distributed mode on loopback (docs/fleet.md, Nodes): real `casm node`
// processes (only the PIDs started here are ever signalled), a fleet of 20
// repositories farmed to them, compared with a single-machine fleet; a node
// SIGKILLed or stopped mid-fleet; protocol and TLS refusals.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

const std::string planted_key = std::string("AKIA") + "Q2W3E4R5T6Y7U8I9";

// Serves each of `sources` as a bare clone `bare/<prefix><i>.git` and writes
// their file:// URLs, one per line, to `list`: repos a --clone-only node must
// fetch.
testing::AssertionResult serve_as_urls(const std::vector<fs::path>& sources, const fs::path& bare,
                                       const std::string& prefix, const fs::path& list) {
  std::string text;
  for (size_t i = 0; i < sources.size(); ++i) {
    const auto dst = bare / (prefix + std::to_string(i) + ".git");
    auto r = run_process({"git", "clone", "-q", "--bare", sources[i].string(), dst.string()});
    if (r.code != 0) return testing::AssertionFailure() << "git clone --bare " << sources[i] << ": " << r.err;
    text += "file://" + dst.string() + "\n";
  }
  spit(list, text);
  return testing::AssertionSuccess();
}

std::string fleet_id_of(const std::string& out) {
  auto pos = out.find("fleet_id: ");
  return pos == std::string::npos ? std::string() : out.substr(pos + 10, 26);
}

json fleet_json(const fs::path& home, const std::string& id) {
  return json::parse(slurp(home / "fleets" / id / "fleet.json"));
}

// repo name -> sorted "rule path:line fingerprint" of its run's findings.
std::map<std::string, std::vector<std::string>> findings_by_repo(const fs::path& home,
                                                                 const std::string& fleet_id) {
  std::map<std::string, std::vector<std::string>> out;
  const json doc = fleet_json(home, fleet_id);
  for (const auto& row : doc["runs"]) {
    auto& list = out[fs::path(row["repo"].get<std::string>()).filename().string()];
    const json issues = json::parse(slurp(home / "runs" / row["run_id"].get<std::string>() / "artifacts" / "issues.json"));
    for (const auto& f : issues["findings"])
      list.push_back(f.value("rule_id", "") + " " + f.value("path", "") + ":" +
                     std::to_string(f.value("line", 0)) + " " + f.value("fingerprint", ""));
    std::sort(list.begin(), list.end());
  }
  return out;
}

size_t count_in_log(const fs::path& home, const std::string& run_id, const std::string& needle) {
  const std::string text = slurp(home / "runs" / run_id / "events.jsonl");
  size_t n = 0;
  for (size_t p = 0; (p = text.find(needle, p)) != std::string::npos; ++p) ++n;
  return n;
}

struct node_fixture : ::testing::Test {
  temp_dir tmp{"casm-node"};
  fs::path repos = tmp / "repos";
  std::vector<std::unique_ptr<child_process>> nodes;

  void SetUp() override {
    for (int i = 0; i < 20; ++i) {
      git_repo r(repos / ("repo" + std::to_string(100 + i)));
      r.write("src/lib" + std::to_string(i) + ".c", "int f(void) { return " + std::to_string(i) + "; }\n");
      r.write("docs/notes.md", "# notes " + std::to_string(i) + "\n");
      if (i % 4 == 0) r.write("deploy/env.sh", "export AWS_KEY=" + planted_key + "\n");
      r.commit("initial");
    }
  }

  // Starts a node on 127.0.0.1 (any free port); returns host:port.
  std::string start_node(std::map<std::string, std::string> env = {}, std::vector<std::string> extra = {}) {
    const auto n = std::to_string(nodes.size());
    std::vector<std::string> argv = {CASM_BINARY, "--log-level", "info", "node", "--listen",
                                     "127.0.0.1:0", "--workers", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    nodes.push_back(std::make_unique<child_process>(argv, env, tmp / ("node" + n + ".out"),
                                                    tmp / ("node" + n + ".err")));
    auto& node = *nodes.back();
    if (!node.wait_for("node listening on ", 30)) return "";
    const std::string out = node.out();
    auto pos = out.find("127.0.0.1:");
    return out.substr(pos, out.find(' ', pos) - pos);
  }

  // A fleet over the 20 repositories; returns its id.
  std::string local_fleet(const fs::path& home) {
    auto r = casm(home, {"run", "--repos", repos.string(), "--parallel", "2"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    return fleet_id_of(r.out);
  }
};

TEST_F(node_fixture, TwoNodesFindExactlyWhatOneMachineFinds) {
  const std::string a = start_node(), b = start_node();
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const auto local_id = local_fleet(tmp / "home-local");
  const fs::path home = tmp / "home-nodes";
  auto r = casm(home, {"run", "--repos", repos.string(), "--parallel", "2", "--nodes", a + "," + b});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = fleet_id_of(r.out);
  auto expected = findings_by_repo(tmp / "home-local", local_id);
  EXPECT_EQ(expected.size(), 20u);
  EXPECT_EQ(findings_by_repo(home, id), expected);
  size_t with_findings = 0;
  for (const auto& [repo, list] : expected) with_findings += !list.empty();
  EXPECT_EQ(with_findings, 5u);

  auto doc = fleet_json(home, id);
  EXPECT_EQ(doc["nodes"], json::array({a, b}));
  std::set<std::string> served;
  for (const auto& row : doc["runs"]) {
    const std::string run = row["run_id"];
    EXPECT_EQ(row["node"], a + "," + b);
    const std::string log = slurp(home / "runs" / run / "events.jsonl");
    for (const auto& n : {a, b})
      if (log.find("\"node\":\"" + n + "\"") != std::string::npos) served.insert(n);
    // The origin's log is the order of record, and it replays.
    auto rep = casm(home, {"replay", "--run-id", run});
    EXPECT_EQ(rep.code, 0) << rep.out << rep.err;
  }
  EXPECT_EQ(served.size(), 2u) << "both nodes served shards";
}

TEST_F(node_fixture, SigkilledNodeMidFleetLosesNothingAndTheLogShowsTheRedispatch) {
  const auto local_id = local_fleet(tmp / "home-local");
  // Node A answers each shard after a second, so it surely holds one when killed.
  const std::string a = start_node({{"CASM_TEST_NODE_SHARD_DELAY_MS", "1000"}});
  const std::string b = start_node();
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const fs::path home = tmp / "home-nodes";
  child_process fleet({CASM_BINARY, "run", "--repos", repos.string(), "--parallel", "2", "--nodes", a + "," + b},
                      {{"CASM_HOME", home.string()}}, tmp / "fleet.out", tmp / "fleet.err");
  ASSERT_TRUE(nodes[0]->wait_for(": shard ", 60, true)) << nodes[0]->err();
  nodes[0]->signal(SIGKILL);
  EXPECT_EQ(nodes[0]->wait(), 128 + SIGKILL);
  ASSERT_EQ(fleet.wait(), 0) << fleet.out() << fleet.err();
  const std::string id = fleet_id_of(fleet.out());

  EXPECT_EQ(findings_by_repo(home, id), findings_by_repo(tmp / "home-local", local_id));
  auto doc = fleet_json(home, id);
  EXPECT_GE(doc["totals"]["redispatched"].get<int>(), 1) << doc.dump(2);
  size_t logs_with_redispatch = 0;
  for (const auto& row : doc["runs"]) {
    const std::string run = row["run_id"];
    EXPECT_EQ(row["exit_code"], 0);
    // Each shard is reported once, however often it was dispatched.
    EXPECT_EQ(count_in_log(home, run, "\"type\":\"review.requested\""),
              count_in_log(home, run, "\"type\":\"review.completed\""));
    if (count_in_log(home, run, "\"type\":\"task.redispatched\"") == 0) continue;
    ++logs_with_redispatch;
    EXPECT_GE(count_in_log(home, run, "node " + a + " lost"), 1u);
    EXPECT_EQ(row["redispatched"], 1);
    auto rep = casm(home, {"replay", "--run-id", run});
    EXPECT_EQ(rep.code, 0) << rep.out << rep.err;
    auto ex = casm(home, {"explain", "--run-id", run});
    EXPECT_NE(ex.out.find("re-dispatched tasks (a node was lost)"), std::string::npos) << ex.out;
  }
  EXPECT_GE(logs_with_redispatch, 1u);
  EXPECT_NE(fleet.err().find("node " + a + " lost"), std::string::npos) << fleet.err();
}

TEST_F(node_fixture, AHungNodeIsFoundByTheHeartbeatNotByTcp) {
  // SIGSTOP: the connection stays open and silent, like a partition (no
  // RST, no FIN); only the heartbeat can tell.
  const std::string a = start_node({{"CASM_TEST_NODE_SHARD_DELAY_MS", "1000"}});
  const std::string b = start_node();
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const fs::path home = tmp / "home-nodes";
  child_process fleet({CASM_BINARY, "run", "--repos", repos.string(), "--parallel", "2", "--nodes", a + "," + b},
                      {{"CASM_HOME", home.string()}}, tmp / "fleet.out", tmp / "fleet.err");
  ASSERT_TRUE(nodes[0]->wait_for(": shard ", 60, true)) << nodes[0]->err();
  nodes[0]->signal(SIGSTOP);
  ASSERT_EQ(fleet.wait(), 0) << fleet.out() << fleet.err();
  auto doc = fleet_json(home, fleet_id_of(fleet.out()));
  EXPECT_GE(doc["totals"]["redispatched"].get<int>(), 1);
  EXPECT_EQ(doc["totals"]["succeeded"], 20);
  EXPECT_NE(fleet.err().find("node " + a + " lost"), std::string::npos) << fleet.err();
  nodes[0]->signal(SIGKILL);
}

// A real network cut: origin and node run in a network namespace of their
// own (everything still binds 127.0.0.1, inside it), and the namespace's
// loopback is taken down with a shard in flight. Skipped where network
// namespaces cannot be made (not root, no iproute2).
struct scoped_netns {
  std::string name = "casm-it-" + std::to_string(::getpid());
  bool ok = false;
  scoped_netns() {
    ok = run_process({"ip", "netns", "add", name}).code == 0 &&
         run_process({"ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"}).code == 0;
  }
  ~scoped_netns() { run_process({"ip", "netns", "del", name}); }
};

TEST_F(node_fixture, ANetworkCutIsFoundByTheHeartbeat) {
  scoped_netns ns;
  if (!ns.ok) GTEST_SKIP() << "ip netns is not available here";
  const auto local_id = local_fleet(tmp / "home-local");
  nodes.push_back(std::make_unique<child_process>(
    std::vector<std::string>{"ip", "netns", "exec", ns.name, CASM_BINARY, "--log-level", "info", "node",
                             "--listen", "127.0.0.1:0", "--workers", "1"},
    std::map<std::string, std::string>{{"CASM_TEST_NODE_SHARD_DELAY_MS", "1000"}}, tmp / "ns-node.out",
    tmp / "ns-node.err"));
  ASSERT_TRUE(nodes[0]->wait_for("node listening on ", 30)) << nodes[0]->err();
  const std::string out = nodes[0]->out();
  const auto pos = out.find("127.0.0.1:");
  const std::string a = out.substr(pos, out.find(' ', pos) - pos);
  const fs::path home = tmp / "home-ns";
  child_process fleet({"ip", "netns", "exec", ns.name, CASM_BINARY, "run", "--repos", repos.string(),
                       "--parallel", "2", "--nodes", a},
                      {{"CASM_HOME", home.string()}}, tmp / "fleet.out", tmp / "fleet.err");
  ASSERT_TRUE(nodes[0]->wait_for(": shard ", 60, true)) << nodes[0]->err() << fleet.err();
  ASSERT_EQ(run_process({"ip", "netns", "exec", ns.name, "ip", "link", "set", "lo", "down"}).code, 0);
  ASSERT_EQ(fleet.wait(), 0) << fleet.out() << fleet.err();
  EXPECT_NE(fleet.err().find("node " + a + " lost"), std::string::npos) << fleet.err();
  const std::string id = fleet_id_of(fleet.out());
  EXPECT_EQ(findings_by_repo(home, id), findings_by_repo(tmp / "home-local", local_id));
  auto doc = fleet_json(home, id);
  EXPECT_GE(doc["totals"]["redispatched"].get<int>(), 1);
  EXPECT_EQ(doc["totals"]["succeeded"], 20);
}

TEST_F(node_fixture, ReposNamedByUrlAreFetchedIntoTheNodesCloneCache) {
  // Five repositories served as file:// URLs; a --clone-only node never
  // opens an origin path, so it must fetch each into its own cache.
  std::vector<fs::path> sources;
  for (int i = 0; i < 5; ++i) sources.push_back(repos / ("repo" + std::to_string(100 + i * 4)));
  const fs::path bare = tmp / "bare";
  ASSERT_TRUE(serve_as_urls(sources, bare, "b", tmp / "urls.txt"));
  auto local = casm(tmp / "home-local", {"run", "--repos", (tmp / "urls.txt").string()});
  ASSERT_EQ(local.code, 0) << local.out << local.err;
  const std::string node = start_node({}, {"--clone-only", "--clone-cache", (tmp / "node-cache").string()});
  ASSERT_FALSE(node.empty());
  const fs::path home = tmp / "home-nodes";
  auto r = casm(home, {"run", "--repos", (tmp / "urls.txt").string(), "--nodes", node});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(findings_by_repo(home, fleet_id_of(r.out)), findings_by_repo(tmp / "home-local", fleet_id_of(local.out)));
  auto doc = fleet_json(home, fleet_id_of(r.out));
  EXPECT_EQ(doc["totals"]["redispatched"], 0) << "every shard ran on the node";
  EXPECT_EQ(doc["runs"][0]["repo"], "file://" + (bare / "b0.git").string());
  size_t clones = 0;
  for (auto it = fs::directory_iterator(tmp / "node-cache"); it != fs::directory_iterator(); ++it)
    clones += it->path().extension() == ".git";
  EXPECT_EQ(clones, 5u);
  EXPECT_NE(nodes[0]->err().find("fetched file://"), std::string::npos) << nodes[0]->err();
  // Again: the pinned blobs are already cached, nothing is fetched.
  auto again = casm(home, {"run", "--repos", (tmp / "urls.txt").string(), "--nodes", node});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(nodes[0]->err().find("cached file://"), std::string::npos) << nodes[0]->err();

  // A repository given by path has no URL: the --clone-only node declines
  // each shard and the origin runs it, recorded as a re-dispatch.
  auto by_path = casm(home, {"run", "--repos", repos.string(), "--nodes", node});
  ASSERT_EQ(by_path.code, 0) << by_path.err;
  auto pdoc = fleet_json(home, fleet_id_of(by_path.out));
  EXPECT_EQ(pdoc["totals"]["succeeded"], 20);
  EXPECT_EQ(pdoc["totals"]["redispatched"], 20);
  const std::string log = slurp(home / "runs" / pdoc["runs"][0]["run_id"].get<std::string>() / "events.jsonl");
  EXPECT_NE(log.find("could not scan shard"), std::string::npos);
}

TEST_F(node_fixture, ProtocolMismatchAndUnsafeListenersAreRefused) {
  const std::string odd = start_node({{"CASM_TEST_NODE_PROTOCOL", "999"}});
  ASSERT_FALSE(odd.empty());
  const fs::path home = tmp / "home";
  auto r = casm(home, {"run", "--repos", repos.string(), "--nodes", odd});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("node " + odd + " speaks casm node protocol 999"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("speaks protocol 3"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home / "fleets")) << "refused before any fleet exists";

  auto unreachable = casm(home, {"run", "--repos", repos.string(), "--nodes", "127.0.0.1:1"});
  EXPECT_EQ(unreachable.code, 2);
  EXPECT_NE(unreachable.err.find("cannot reach node 127.0.0.1:1"), std::string::npos) << unreachable.err;

  auto open = casm(home, {"node", "--listen", "0.0.0.0:0"});
  EXPECT_EQ(open.code, 2);
  EXPECT_NE(open.err.find("refusing to listen on 0.0.0.0:0 without TLS"), std::string::npos) << open.err;
  auto half = casm(home, {"node", "--listen", "127.0.0.1:0", "--tls-cert", "x.pem"});
  EXPECT_EQ(half.code, 2);
  EXPECT_NE(half.err.find("mutual TLS needs all of"), std::string::npos) << half.err;
  auto bad = casm(home, {"node", "--listen", "nonsense"});
  EXPECT_EQ(bad.code, 2);
}

TEST_F(node_fixture, MutualTlsAdmitsOnlyACertificateOfTheCa) {
  const fs::path pki = tmp / "pki";
  fs::create_directories(pki);
  auto ssl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    auto r = run_process(args, {}, pki);
    ASSERT_EQ(r.code, 0) << r.err;
  };
  for (const std::string ca : {"ca", "rogue"})
    ssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem",
         "-days", "2", "-subj", "/CN=casm-test-" + ca});
  for (const auto& [who, ca] : std::vector<std::pair<std::string, std::string>>{
         {"node", "ca"}, {"origin", "ca"}, {"stranger", "rogue"}}) {
    ssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + ".key", "-out", who + ".csr", "-subj",
         "/CN=" + who});
    ssl({"x509", "-req", "-in", who + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
         "-CAcreateserial", "-out", who + ".pem", "-days", "2"});
  }
  auto p = [&](const std::string& f) { return (pki / f).string(); };
  const std::string node = start_node({}, {"--tls-cert", p("node.pem"), "--tls-key", p("node.key"),
                                           "--tls-ca", p("ca.pem")});
  ASSERT_FALSE(node.empty()) << nodes.back()->err();
  EXPECT_NE(nodes.back()->out().find("mutual TLS"), std::string::npos);
  const fs::path home = tmp / "home";
  auto ok = casm(home, {"run", "--repos", repos.string(), "--nodes", node, "--tls-cert", p("origin.pem"),
                        "--tls-key", p("origin.key"), "--tls-ca", p("ca.pem")});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  auto doc = fleet_json(home, fleet_id_of(ok.out));
  EXPECT_EQ(doc["totals"]["succeeded"], 20);
  auto plain = casm(home, {"run", "--repos", repos.string(), "--nodes", node});
  EXPECT_EQ(plain.code, 2);
  EXPECT_NE(plain.err.find("cannot reach node " + node), std::string::npos) << plain.err;
  auto stranger = casm(home, {"run", "--repos", repos.string(), "--nodes", node, "--tls-cert",
                              p("stranger.pem"), "--tls-key", p("stranger.key"), "--tls-ca", p("ca.pem")});
  EXPECT_EQ(stranger.code, 2) << stranger.out;
  EXPECT_NE(stranger.err.find("cannot reach node " + node), std::string::npos) << stranger.err;
}


// --- fixes and validations on nodes ----------------------------------------

// Repositories that the repo-auditor fixes (trailing whitespace, a missing
// final newline) and validates: `npm test` passes only on the patched tree,
// so a pass proves the validation ran on head + the patch.
struct work_fixture : node_fixture {
  void SetUp() override {
    for (int i = 0; i < 6; ++i) {
      git_repo r(repos / ("fixme" + std::to_string(10 + i)));
      r.write("package.json", "{\"name\":\"t" + std::to_string(i) + "\",\"scripts\":{\"test\":\"node check.js\"}}\n");
      r.write("check.js",
              "const s = require('fs').readFileSync('notes.txt', 'utf8');\n"
              "if (!s.endsWith('\\n')) { console.error('no final newline'); process.exit(1); }\n"
              "console.log('ok');\n");
      r.write("notes.txt", "first " + std::to_string(i) + "\nsecond   \nlast");
      r.write("src/m" + std::to_string(i) + ".c", "int g(void) { return " + std::to_string(i) + "; }  \n");
      if (i % 3 == 0) r.write("deploy/env.sh", "export AWS_KEY=" + planted_key + "\n");
      r.commit("initial");
    }
  }
};

// The payload of each record of `type` in a run's log (blobs resolved).
std::vector<json> payloads(const fs::path& home, const std::string& run_id, const std::string& type) {
  std::vector<json> out;
  const fs::path dir = home / "runs" / run_id;
  for (const auto& line : lines_of(dir / "events.jsonl")) {
    if (line.find("\"type\":\"" + type + "\"") == std::string::npos) continue;
    json rec = json::parse(line);
    if (rec["type"] != type) continue;
    json p = rec["payload"];
    if (p.is_object() && p.contains("blob") && p.size() <= 2)
      p = json::parse(slurp(dir / "blobs" / p["blob"].get<std::string>()));
    out.push_back(std::move(p));
  }
  return out;
}

// What a run's fix and validation came to, where they ran aside: the
// patch, its digest and tree, and each validation command's outcome.
std::string work_of(const fs::path& home, const std::string& run_id) {
  std::string s = slurp(home / "runs" / run_id / "artifacts" / "patch.diff");
  for (const auto& f : payloads(home, run_id, "fix.completed"))
    s += "\nfix ok=" + f["ok"].dump() + " " + f.value("patch_sha256", "") + " " + f.value("new_tree", "") +
         " files=" + f["files_changed"].dump() + " lines=" + f["lines_changed"].dump();
  for (const auto& v : payloads(home, run_id, "validate.completed")) {
    s += "\nvalidation " + v.value("status", "");
    for (const auto& c : v["commands"])
      s += " [" + c.value("command", "") + " " + c.value("status", "") + " " + c["exit_code"].dump() + "]";
  }
  return s;
}

std::map<std::string, std::string> work_by_repo(const fs::path& home, const std::string& fleet_id) {
  std::map<std::string, std::string> out;
  const json doc = fleet_json(home, fleet_id);  // (a temporary's ["runs"] would dangle)
  for (const auto& row : doc["runs"])
    out[fs::path(row["repo"].get<std::string>()).filename().string()] = work_of(home, row["run_id"]);
  return out;
}

// Where each fix and validation of a fleet ran, as recorded.
std::multiset<std::string> work_nodes(const fs::path& home, const std::string& fleet_id) {
  std::multiset<std::string> out;
  const json doc = fleet_json(home, fleet_id);
  for (const auto& row : doc["runs"])
    for (const char* type : {"fix.completed", "validate.completed"})
      for (const auto& p : payloads(home, row["run_id"], type)) out.insert(p.value("node", ""));
  return out;
}

TEST_F(work_fixture, FixesAndValidationsRunOnTheNodesWithTheSameResults) {
  const std::string a = start_node(), b = start_node();
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const auto local_id = local_fleet(tmp / "home-local");
  const auto expected = work_by_repo(tmp / "home-local", local_id);
  ASSERT_EQ(expected.size(), 6u);
  for (const auto& [repo, work] : expected) {
    EXPECT_NE(work.find("validation passed [npm test passed 0]"), std::string::npos) << repo << work;
    EXPECT_NE(work.find("+last"), std::string::npos) << repo << work;  // the patch
  }

  const fs::path home = tmp / "home-nodes";
  auto r = casm(home, {"run", "--repos", repos.string(), "--parallel", "2", "--nodes", a + "," + b});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = fleet_id_of(r.out);
  EXPECT_EQ(findings_by_repo(home, id), findings_by_repo(tmp / "home-local", local_id));
  EXPECT_EQ(work_by_repo(home, id), expected);

  // Every fix and validation ran on a node, not on the origin: the record
  // names the node, and each node logged the tasks it took.
  const auto where = work_nodes(home, id);
  EXPECT_EQ(where.size(), 12u);
  for (const auto& n : where) EXPECT_TRUE(n == a || n == b) << n;
  EXPECT_EQ(where.count(a) + where.count(b), 12u);
  const std::string logs = nodes[0]->err() + nodes[1]->err();
  EXPECT_NE(logs.find(": fix "), std::string::npos) << logs;
  EXPECT_NE(logs.find(": validation "), std::string::npos) << logs;
  auto doc = fleet_json(home, id);
  EXPECT_EQ(doc["totals"]["redispatched"], 0);
  for (const auto& row : doc["runs"]) {
    auto rep = casm(home, {"replay", "--run-id", row["run_id"].get<std::string>()});
    EXPECT_EQ(rep.code, 0) << rep.out << rep.err;
  }
}

TEST_F(work_fixture, SigkilledNodeWithFixesInFlightLosesNothing) {
  const auto local_id = local_fleet(tmp / "home-local");
  // Both nodes hold each task for a second (so they share the tasks
  // evenly), and A is killed the moment it starts a fix or a validation.
  const std::string a = start_node({{"CASM_TEST_NODE_SHARD_DELAY_MS", "1000"}});
  const std::string b = start_node({{"CASM_TEST_NODE_SHARD_DELAY_MS", "1000"}});
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const fs::path home = tmp / "home-nodes";
  child_process fleet({CASM_BINARY, "run", "--repos", repos.string(), "--parallel", "3", "--nodes", a + "," + b},
                      {{"CASM_HOME", home.string()}}, tmp / "fleet.out", tmp / "fleet.err");
  bool in_flight = false;
  for (int i = 0; i < 2400 && !in_flight && fleet.running(); ++i) {
    const std::string err = nodes[0]->err();
    in_flight = err.find(": fix ") != std::string::npos || err.find(": validation ") != std::string::npos;
    if (!in_flight) usleep(50 * 1000);
  }
  ASSERT_TRUE(in_flight) << nodes[0]->err() << fleet.err();
  nodes[0]->signal(SIGKILL);
  EXPECT_EQ(nodes[0]->wait(), 128 + SIGKILL);
  ASSERT_EQ(fleet.wait(), 0) << fleet.out() << fleet.err();
  const std::string id = fleet_id_of(fleet.out());

  EXPECT_EQ(findings_by_repo(home, id), findings_by_repo(tmp / "home-local", local_id));
  EXPECT_EQ(work_by_repo(home, id), work_by_repo(tmp / "home-local", local_id));
  auto doc = fleet_json(home, id);
  EXPECT_GE(doc["totals"]["redispatched"].get<int>(), 1) << doc.dump(2);
  size_t work_redispatched = 0;
  for (const auto& row : doc["runs"]) {
    const std::string run = row["run_id"];
    EXPECT_EQ(row["exit_code"], 0);
    // Each task is reported once, however often it was dispatched.
    for (const char* t : {"review", "fix", "validate"})
      EXPECT_EQ(count_in_log(home, run, std::string("\"type\":\"") + t + ".requested\""),
                count_in_log(home, run, std::string("\"type\":\"") + t + ".completed\""))
        << t;
    EXPECT_EQ(count_in_log(home, run, "\"type\":\"fix.completed\""), 1u);
    EXPECT_EQ(count_in_log(home, run, "\"type\":\"validate.completed\""), 1u);
    for (const auto& p : payloads(home, run, "task.redispatched")) {
      if (!p.contains("task")) continue;
      ++work_redispatched;
      auto ex = casm(home, {"explain", "--run-id", run});
      EXPECT_NE(ex.out.find("re-dispatched tasks (a node was lost)\n"), std::string::npos) << ex.out;
      EXPECT_NE(ex.out.find("\n  " + std::string(p["task"] == "fix" ? "fix" : "validation") + " (call " +
                            p["call_id"].get<std::string>() + "): node " + a + " lost"),
                std::string::npos)
        << ex.out;
      EXPECT_NE(p["redispatches"][0].get<std::string>().find("node " + a + " lost"), std::string::npos) << p;
      EXPECT_NE(p["node"], a) << "it finally ran elsewhere";
    }
    // Where each fix and validation finally ran is never the lost node.
    for (const char* t : {"fix.completed", "validate.completed"})
      for (const auto& p : payloads(home, run, t)) EXPECT_TRUE(p["node"] == b || p["node"] == a) << p;
    auto rep = casm(home, {"replay", "--run-id", run});
    EXPECT_EQ(rep.code, 0) << rep.out << rep.err;
  }
  EXPECT_GE(work_redispatched, 1u) << "a fix or validation of the killed node was re-dispatched";
  EXPECT_NE(fleet.err().find("node " + a + " lost"), std::string::npos) << fleet.err();
}

TEST_F(work_fixture, ASingleRunFarmsItsWorkToANode) {
  const fs::path repo = repos / "fixme10";
  auto local = casm(tmp / "home-local", {"run", "--template", "repo-auditor", "--repo", repo.string()});
  ASSERT_EQ(local.code, 0) << local.out << local.err;
  const std::string local_run = run_id_of(local.out);

  const std::string a = start_node();
  ASSERT_FALSE(a.empty());
  const fs::path home = tmp / "home-nodes";
  auto r = casm(home, {"run", "--template", "repo-auditor", "--repo", repo.string(), "--nodes", a});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string run = run_id_of(r.out);
  ASSERT_FALSE(run.empty()) << r.out;
  EXPECT_EQ(slurp(home / "runs" / run / "artifacts" / "issues.json").empty(), false);
  EXPECT_EQ(work_of(home, run), work_of(tmp / "home-local", local_run));
  for (const char* t : {"review.completed", "fix.completed", "validate.completed"}) {
    const auto ps = payloads(home, run, t);
    ASSERT_FALSE(ps.empty()) << t;
    for (const auto& p : ps) EXPECT_EQ(p["node"], a) << t;
  }
  EXPECT_NE(nodes[0]->err().find(": validation "), std::string::npos) << nodes[0]->err();
  auto rep = casm(home, {"replay", "--run-id", run});
  EXPECT_EQ(rep.code, 0) << rep.out << rep.err;

  // No node to reach: refused before the run exists.
  const fs::path none = tmp / "home-none";
  auto refused = casm(none, {"run", "--template", "repo-auditor", "--repo", repo.string(), "--nodes", "127.0.0.1:1"});
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_NE(refused.err.find("cannot reach node 127.0.0.1:1"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(none / "runs") && !fs::is_empty(none / "runs")) << "no run was created";
}

TEST_F(work_fixture, ACloneOnlyNodeFixesAndValidatesFromItsCloneCache) {
  // Two fix repositories served as file:// URLs to a --clone-only node: it
  // fetches them at the pinned commit into its cache for the shard, the
  // fix and the validation alike.
  ASSERT_TRUE(serve_as_urls({repos / "fixme10", repos / "fixme11"}, tmp / "bare", "f", tmp / "urls.txt"));
  auto local = casm(tmp / "home-local", {"run", "--repos", (tmp / "urls.txt").string()});
  ASSERT_EQ(local.code, 0) << local.out << local.err;
  const std::string node = start_node({}, {"--clone-only", "--clone-cache", (tmp / "node-cache").string()});
  ASSERT_FALSE(node.empty());
  const fs::path home = tmp / "home-nodes";
  auto r = casm(home, {"run", "--repos", (tmp / "urls.txt").string(), "--nodes", node});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = fleet_id_of(r.out);
  EXPECT_EQ(work_by_repo(home, id), work_by_repo(tmp / "home-local", fleet_id_of(local.out)));
  const auto where = work_nodes(home, id);
  EXPECT_EQ(where.size(), 4u);
  EXPECT_EQ(where.count(node), 4u) << "every fix and validation ran on the node";
  EXPECT_EQ(fleet_json(home, id)["totals"]["redispatched"], 0);
  EXPECT_NE(nodes[0]->err().find("validation "), std::string::npos);
  EXPECT_NE(nodes[0]->err().find("cached file://"), std::string::npos) << nodes[0]->err();

  // Repositories given by path have no URL: the --clone-only node declines
  // every shard, fix and validation, and the origin runs each, recorded as
  // a re-dispatch; the results are still a local fleet's.
  const auto local_paths = local_fleet(tmp / "home-local");
  auto by_path = casm(home, {"run", "--repos", repos.string(), "--parallel", "2", "--nodes", node});
  ASSERT_EQ(by_path.code, 0) << by_path.err;
  const std::string pid = fleet_id_of(by_path.out);
  EXPECT_EQ(work_by_repo(home, pid), work_by_repo(tmp / "home-local", local_paths));
  const auto pwhere = work_nodes(home, pid);
  EXPECT_EQ(pwhere.size(), 12u);
  EXPECT_EQ(pwhere.count("origin"), 12u);
  const json pdoc = fleet_json(home, pid);
  for (const auto& row : pdoc["runs"]) {
    size_t declined = 0;
    for (const auto& p : payloads(home, row["run_id"], "task.redispatched"))
      if (p.contains("task"))
        declined += p["redispatches"][0].get<std::string>().find("could not take") != std::string::npos;
    EXPECT_EQ(declined, 2u) << "the fix and the validation, each recorded";
  }
}

}  // namespace
}  // namespace casm::itest
