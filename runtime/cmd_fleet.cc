// casm run --repos FILE|DIR: a fleet, one run per repository, at most
// --parallel at once; casm resume --fleet-id; casm explain --fleet-id.
// docs/fleet.md tells the whole story.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <caf/actor_system.hpp>
#include <simdjson.h>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/fleet/fleet_scheduler.h"
#include "actors/node/clone_cache.h"
#include "actors/node/shard_dispatcher.h"
#include "actors/supervisor/run_log_format.h"
#include "actors/supervisor/run_store.h"
#include "messages/codec/json_text.h"
#include "messages/codec/timestamp.h"
#include "messages/data/node.h"
#include "messages/data/vocabulary.h"
#include "runtime/actor_boot.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "runtime/node_connect.h"
#include "runtime/run_driver.h"
#include "runtime/run_prepare.h"
#include "policy/scanner.h"
#include "actors/routing/accountant.h"
#include "telemetry/budget.h"
#include "telemetry/fleet_report.h"

namespace casm::runtime {

namespace fs = std::filesystem;
using nlohmann::json;
namespace ec = messages::exit_code;

namespace {

std::atomic<int> g_sigint{0};

void on_sigint(int) {
  // The first SIGINT stops admission; a second one leaves at once (the runs
  // then in flight resume with `casm resume --run-id`, like any crash).
  if (g_sigint.fetch_add(1) >= 1) _exit(ec::interrupted);
}

fs::path fleets_dir(const fs::path& home) { return home / "fleets"; }

// A git repository directly below DIR: a `.git` entry (work tree; a `.git`
// that cannot be opened still counts, and its run fails with the reason),
// or a bare repository (HEAD and objects/).
bool looks_like_repo(const fs::path& dir) {
  std::error_code e;
  if (fs::exists(dir / ".git", e) || fs::is_symlink(dir / ".git", e)) return true;
  return fs::is_regular_file(dir / "HEAD", e) && fs::is_directory(dir / "objects", e);
}

// The rows of --repos: FILE lists one path per line (blank lines and lines
// starting with '#' are ignored), DIR means every repository directly below.
bool list_repos(const std::string& source, telemetry::fleet_doc& doc, std::string& error) {
  std::error_code e;
  const fs::path src(source);
  if (!fs::exists(src, e)) {
    error = "--repos '" + codec::display_text(source) + "' does not exist";
    return false;
  }
  std::vector<std::string> repos;
  if (fs::is_directory(src, e)) {
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(src, e), end; !e && it != end; it.increment(e))
      entries.push_back(it->path());
    if (e) {
      error = "--repos directory '" + codec::display_text(source) + "' cannot be read: " + e.message();
      return false;
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& p : entries) {
      if (fs::is_directory(p, e) && looks_like_repo(p)) repos.push_back(p.string());
      else doc.ignored.push_back(p.filename().string());
    }
  } else {
    std::ifstream in(src, std::ios::binary);
    if (!in) {
      error = "--repos file '" + codec::display_text(source) + "' cannot be read";
      return false;
    }
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
      size_t b = line.find_first_not_of(" \t");
      if (b == std::string::npos || line[b] == '#') continue;
      repos.push_back(line.substr(b));
    }
  }
  std::set<std::string> seen;
  for (auto& r : repos) {
    if (!seen.insert(r).second) {
      doc.ignored.push_back(r + " (listed twice; it runs once)");
      continue;
    }
    messages::fleet_row row;
    row.repo = r;
    doc.runs.push_back(std::move(row));
  }
  if (doc.runs.empty()) {
    error = "--repos '" + codec::display_text(source) + "' names no repository" +
            (fs::is_directory(src, e) ? " (no directory below it holds a .git)" : " (the file lists none)");
    return false;
  }
  return true;
}

std::string abs_if_file(const std::string& id_or_path) {
  if (id_or_path.empty() || !names_a_file(id_or_path)) return id_or_path;
  return fs::absolute(id_or_path).string();
}

// What a resume needs to run the rest exactly as the first process would.
json options_json(const run_options& opt) {
  return json{{"template", abs_if_file(opt.template_id)},
              {"head", opt.head},
              {"base", opt.base},
              {"history", opt.history},
              {"baseline", opt.baseline.empty() ? "" : fs::absolute(opt.baseline).string()},
              {"write_branch", opt.write_branch},
              {"fail_on", opt.fail_on},
              {"ruleset", abs_if_file(opt.ruleset)},
              {"reviewers", opt.reviewers},
              {"tls_cert", opt.tls_cert.empty() ? "" : fs::absolute(opt.tls_cert).string()},
              {"tls_key", opt.tls_key.empty() ? "" : fs::absolute(opt.tls_key).string()},
              {"tls_ca", opt.tls_ca.empty() ? "" : fs::absolute(opt.tls_ca).string()},
              {"cwd", fs::current_path().string()}};
}

run_options options_from(const json& j) {
  run_options o;
  o.template_id = j.value("template", "repo-auditor");
  o.head = j.value("head", "HEAD");
  o.base = j.value("base", "");
  o.history = j.value("history", false);
  o.baseline = j.value("baseline", "");
  o.write_branch = j.value("write_branch", false);
  o.fail_on = j.value("fail_on", "");
  o.ruleset = j.value("ruleset", "");
  o.reviewers = j.value("reviewers", 0);
  o.tls_cert = j.value("tls_cert", "");
  o.tls_key = j.value("tls_key", "");
  o.tls_ca = j.value("tls_ca", "");
  return o;
}

std::map<std::string, uint64_t> findings_of(const fs::path& run_dir) {
  std::map<std::string, uint64_t> out{{"info", 0}, {"low", 0}, {"medium", 0}, {"high", 0}};
  auto text = supervisor::read_file(supervisor::run_store::artifacts_dir(run_dir) / "issues.json");
  if (!text) return out;
  // Only the summary is read: simdjson indexes the findings without
  // building them (this runs on the scheduler, between a run's end and the
  // next admission, and a large issues.json took milliseconds to build).
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object by;
  if (parser.parse(*text).at_key("summary").at_key("by_severity").get(by) != simdjson::SUCCESS)
    return out;
  for (auto [key, value] : by) {
    uint64_t n = 0;
    if (value.get(n) == simdjson::SUCCESS) out[std::string(key)] = n;
  }
  return out;
}

std::string hms(double s) {
  if (s < 0) s = 0;
  auto t = static_cast<long>(std::lround(s));
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

class fleet_files {
public:
  fleet_files(fs::path dir) : dir_(std::move(dir)) {}
  const fs::path& dir() const { return dir_; }
  fs::path json_file() const { return dir_ / "fleet.json"; }
  fs::path md_file() const { return dir_ / "fleet.md"; }
  // fleet.json and fleet.md, each replaced atomically.
  std::string write(telemetry::fleet_doc& d) const {
    d.updated_at = codec::format_timestamp(codec::wall_clock_ms());
    if (auto err = supervisor::write_file_atomic(json_file(), telemetry::render_fleet_json(d)); !err.empty())
      return err;
    return supervisor::write_file_atomic(md_file(), telemetry::render_fleet_md(d));
  }
  // started.jsonl: one line per run the moment it exists ({"index", "run_id"}),
  // one write(2) with O_APPEND and no fsync. fleet.json is rewritten at most
  // once a second, so after the fleet process is killed this is what tells
  // `resume --fleet-id` which rows already have a run (to resume it, not to
  // start a second one). It survives a process crash (the page cache keeps
  // it), not a power loss.
  void note_started(size_t index, const std::string& run_id) const {
    const std::string line = json{{"index", index}, {"run_id", run_id}}.dump() + "\n";
    int fd = ::open((dir_ / "started.jsonl").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t n = ::write(fd, line.data(), line.size());
    (void)n;
    ::close(fd);
  }
  std::map<size_t, std::string> started() const {
    std::map<size_t, std::string> out;
    std::ifstream in(dir_ / "started.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);  // a torn last line is skipped
      if (j.is_object() && j.contains("index") && j.contains("run_id"))
        out[j["index"].get<size_t>()] = j["run_id"].get<std::string>();
    }
    return out;
  }

private:
  fs::path dir_;
};

// Live progress: one rewritten line on a terminal, else JSON lines.
class progress_printer {
public:
  progress_printer(const telemetry::fleet_doc& doc, uint64_t done_before)
      : doc_(doc), tty_(::isatty(STDOUT_FILENO) == 1), done_before_(done_before),
        t0_(std::chrono::steady_clock::now()) {}

  void on(const messages::fleet_progress& p) {
    last_ = p;
    have_ = true;
    const auto& row = doc_.runs.at(p.index);
    if (tty_) {
      // A failure is worth a line of its own above the live line.
      if (p.event == "run_finished" && p.exit_code != 0)
        std::cout << "\r\033[K" << "exit " << p.exit_code << " " << codec::display_text(row.repo)
                  << ": " << codec::display_text(row.error) << "\n";
      line();
      return;
    }
    json j{{"event", p.event},        {"fleet_id", doc_.fleet_id},
           {"index", p.index},        {"run_id", p.run_id.empty() ? json(nullptr) : json(p.run_id)},
           {"status", p.status},      {"done", p.done},
           {"total", doc_.runs.size()}, {"running", p.running},
           {"findings", p.findings},  {"cost_usd", p.cost_usd},
           {"elapsed_s", std::round(elapsed() * 10) / 10}};
    codec::put_bytes(j, "repo", row.repo);
    if (p.event == "run_finished") j["exit_code"] = p.exit_code;
    double eta = eta_s(p.done);
    j["eta_s"] = eta < 0 ? json(nullptr) : json(std::round(eta * 10) / 10);
    std::cout << j.dump() << "\n" << std::flush;
  }

  void tick() {
    if (tty_ && have_) line();
  }
  void note(const std::string& text) {
    if (tty_) std::cout << "\r\033[K";
    std::cout << (tty_ ? text : json{{"event", "note"}, {"fleet_id", doc_.fleet_id}, {"text", text}}.dump())
              << "\n" << std::flush;
    if (tty_ && have_) line();
  }
  void end() {
    if (tty_ && have_) std::cout << "\n" << std::flush;
  }
  bool tty() const { return tty_; }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

private:
  double eta_s(uint64_t done) const {
    const uint64_t here = done > done_before_ ? done - done_before_ : 0;
    if (here == 0) return -1;
    return elapsed() / static_cast<double>(here) * static_cast<double>(doc_.runs.size() - done);
  }
  void line() {
    char money[32];
    std::snprintf(money, sizeof money, "$%.2f", last_.cost_usd);
    double eta = eta_s(last_.done);
    std::cout << "\r\033[K" << "fleet " << last_.done << "/" << doc_.runs.size() << " done, "
              << last_.running << " running, " << last_.findings << " findings, " << money
              << ", " << hms(elapsed()) << " elapsed, ETA " << (eta < 0 ? "--:--" : hms(eta))
              << std::flush;
  }

  const telemetry::fleet_doc& doc_;
  bool tty_;
  uint64_t done_before_;
  std::chrono::steady_clock::time_point t0_;
  messages::fleet_progress last_;
  bool have_ = false;
};

struct live_run {
  prepared_run run;
  std::chrono::steady_clock::time_point t0;
};

// The fleet's actor system, booted before anything is created so that a
// node that cannot be reached or speaks another protocol is refused first.
//
// SIGINT goes to the main thread only: every thread CAF starts (and every
// agent's subprocess) inherits a mask that blocks it, so no write or fsync
// of a run is cut by EINTR; the main thread unblocks it while it waits.
struct fleet_system {
  sigset_t sigint_set{}, old_mask{};
  struct sigaction old_sa {};
  std::unique_ptr<casm_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  node::dispatcher_actor dispatcher;  // set with --nodes
  std::vector<std::string> nodes;     // as named by the nodes

  fleet_system() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_sigint = 0;
    sigaction(SIGINT, &sa, &old_sa);
    sigemptyset(&sigint_set);
    sigaddset(&sigint_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigint_set, &old_mask);
  }
  ~fleet_system() {
    if (dispatcher) caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
    sys.reset();  // waits for every actor
    cfg.reset();
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    sigaction(SIGINT, &old_sa, nullptr);
  }
};

// Boots the system; with nodes, connects to each (remote_actor blocks: this
// is the main thread) and checks its protocol. "" or the reason to refuse.
std::string boot_fleet(fleet_system& fs_, const std::vector<std::string>& nodes,
                       const run_options& opt, uint32_t local_workers, const fs::path& home) {
  net_options net;
  net.enabled = !nodes.empty();
  net.tls_cert = opt.tls_cert;
  net.tls_key = opt.tls_key;
  net.tls_ca = opt.tls_ca;
  fs_.cfg = std::make_unique<casm_config>(net);
  fs_.sys = std::make_unique<caf::actor_system>(*fs_.cfg);
  if (nodes.empty()) return "";
  node_link link;
  if (auto err = connect_nodes(*fs_.sys, nodes, net.tls(), local_workers, home, link); !err.empty())
    return err;
  fs_.dispatcher = link.dispatcher;
  fs_.nodes = link.nodes;
  return "";
}

uint64_t count_redispatches(const fs::path& run_dir) {
  auto text = supervisor::read_file(supervisor::run_store::log_file(run_dir));
  if (!text) return 0;
  uint64_t n = 0;
  for (size_t pos = 0; (pos = text->find("\"type\":\"task.redispatched\"", pos)) != std::string::npos; ++pos)
    ++n;
  return n;
}

// Runs the rows in `todo` (indices into doc.runs) and finishes the doc.
// Returns the fleet's exit code.
int drive_fleet(const global_options& g, const run_options& opt, const run_plan& plan,
                telemetry::fleet_doc& doc, const fleet_files& files, std::deque<size_t> todo,
                fleet_system& fsys) {
  supervisor::run_store store(resolve_home(g.home));
  if (plan.audit.enabled) policy::scanner::builtin();  // compile or load the rule pack once

  uint64_t done_before = 0, findings_before = 0;
  double cost_before = 0;
  for (const auto& r : doc.runs)
    if (r.has_exit_code) {
      ++done_before;
      for (const auto& [k, v] : r.findings) findings_before += v;
      cost_before += r.cost_usd;
    }

  // The one cost accountant of the fleet: every run reserves through this
  // core, so the fleet cap (less what the fleet's earlier runs spent, when
  // it resumes) binds every model call of every run, whichever asks.
  routing::accountant_config acfg;
  if (doc.fleet_budget_usd >= 0) acfg.fleet_cap_usd = std::max(0.0, doc.fleet_budget_usd - cost_before);
  auto accountant = routing::make_accountant_core(acfg);
  auto& ledger = accountant->ledger();
  auto fleet_spent = [&] { return cost_before + ledger.fleet().spent_usd + ledger.fleet().reserved_usd; };

  std::map<size_t, live_run> live;
  auto last_write = std::chrono::steady_clock::now();
  std::string write_error;

  auto& sys = *fsys.sys;
  caf::scoped_actor self{sys};
  const std::string where = fsys.nodes.empty() ? std::string("local") : [&] {
    std::string s;
    for (const auto& n : fsys.nodes) s += (s.empty() ? "" : ",") + n;
    return s;
  }();

  fleet::fleet_config fc;
  fc.todo = std::move(todo);
  fc.parallel = doc.parallel;
  fc.done_before = done_before;
  fc.findings_before = findings_before;
  fc.cost_before = cost_before;
  fc.listener = caf::actor_cast<caf::actor>(self);
  fc.hooks.may_admit = [&] {
    // Admission stops once the fleet's spend reaches the cap; each model
    // call is refused by the accountant when its reservation does not fit.
    return doc.fleet_budget_usd < 0 || fleet_spent() == 0 || fleet_spent() < doc.fleet_budget_usd;
  };
  fc.hooks.launch = [&](size_t i, const protocol::fleet_actor& scheduler) {
    fleet::launched_run out;
    auto& row = doc.runs[i];
    live_run lr;
    lr.t0 = std::chrono::steady_clock::now();
    // Relative paths are taken from the directory the fleet started in, so
    // a resume from elsewhere audits the same repositories.
    fs::path repo(row.repo);
    if (node::is_git_url(row.repo)) {
      // A repository named by URL: audited from a bare clone in this
      // origin's cache (cloned, or fetched if cached), which nodes may
      // fetch from the same URL.
      std::string error;
      auto clone = node::ensure_clone(store.home() / "cache" / "clones", row.repo, {}, error);
      if (clone.empty()) {
        out.error = error;
        return out;
      }
      repo = clone;
      if (fsys.dispatcher) {
        // Enqueued now, long before the run's first shard (local sends are
        // synchronous enqueues).
        messages::node_source src;
        src.repo_path = repo.string();
        src.url = row.repo;
        caf::anon_send(fsys.dispatcher, std::move(src));
      }
    } else if (repo.is_relative()) {
      repo = fs::path(doc.options.value("cwd", ".")) / repo;
    }
    // started.jsonl names the run before its dir exists: a fleet killed
    // in between leaves no run that a resume would not find.
    auto note = [&files, i](const std::string& run_id) { files.note_started(i, run_id); };
    if (auto err = prepare_run(store, plan, opt, repo.string(), lr.run, note); !err.empty()) {
      out.error = err;
      return out;
    }
    row.run_id = lr.run.run_id;
    row.status = "running";
    row.node = where;
    out.start = lr.run.start;
    spawn_options so;
    so.dispatcher = fsys.dispatcher;  // --nodes: shards, fixes and validations go to nodes
    so.accountant = accountant;  // opens the run's budget in the fleet's core
    lr.run.scfg.settling_to = scheduler;  // its slot is freed before its final flush
    out.supervisor = spawn_run(sys, lr.run.scfg, lr.run.start, store.home(), so);
    live.emplace(i, std::move(lr));
    return out;
  };
  fc.hooks.finished = [&](size_t i, const messages::run_outcome& o, const std::string& failure,
                          const std::string& launch_error) {
    auto& row = doc.runs[i];
    fleet::row_tally tally;
    messages::run_outcome outcome = o;
    auto it = live.find(i);
    if (it != live.end()) {
      if (!failure.empty()) outcome = supervisor_failed(it->second.run.scfg, failure).outcome;
      row.duration_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.t0).count();
      row.findings = findings_of(it->second.run.run_dir);
      row.cost_usd = ledger.run(it->second.run.run_id).spent_usd;
      if (!fsys.nodes.empty()) row.redispatched = count_redispatches(it->second.run.run_dir);
      live.erase(it);  // releases the run's lock
    }
    row.status = outcome.status.empty() ? "failed" : outcome.status;
    row.has_exit_code = true;
    row.exit_code = outcome.exit_code;
    row.error = outcome.exit_code == ec::ok ? "" : (outcome.reason.empty() ? launch_error : outcome.reason);
    if (row.exit_code != ec::ok && row.error.empty()) row.error = "the run ended " + row.status;
    for (const auto& [k, v] : row.findings) tally.findings += v;
    tally.cost_usd = row.cost_usd;
    // fleet.json follows the fleet (at most once a second; always at the end).
    auto now = std::chrono::steady_clock::now();
    if (now - last_write >= std::chrono::seconds(1)) {
      last_write = now;
      if (auto err = files.write(doc); !err.empty()) write_error = err;
    }
    return tally;
  };

  progress_printer printer(doc, done_before);
  auto sched = sys.spawn<caf::detached>(fleet::fleet_scheduler, std::move(fc));
  pthread_sigmask(SIG_UNBLOCK, &fsys.sigint_set, nullptr);

  const auto t0 = std::chrono::steady_clock::now();
  self->send(sched, protocol::fleet_start_atom::value);
  bool finished = false, stop_sent = false;
  messages::fleet_done result;
  while (!finished) {
    self->receive(
      [&](messages::fleet_progress& p) { printer.on(p); },
      [&](messages::fleet_done& d) {
        result = d;
        finished = true;
      },
      caf::after(std::chrono::milliseconds(250)) >> [&] { printer.tick(); });
    if (g_sigint > 0 && !stop_sent && !finished) {
      stop_sent = true;
      self->send(sched, protocol::fleet_stop_atom::value);
      printer.note("interrupted: admitting no more runs; the running ones finish (SIGINT again "
                   "leaves at once)");
    }
  }
  printer.end();
  pthread_sigmask(SIG_BLOCK, &fsys.sigint_set, nullptr);
  doc.wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Every row has an outcome, or had no chance to run.
  uint64_t pending = 0;
  for (auto& row : doc.runs) {
    if (row.has_exit_code) continue;
    if (result.budget_stopped && !result.stopped) {
      row.status = "budget_stopped";
      row.error = "not started: the fleet budget is spent";
    } else {
      row.status = "pending";
    }
    ++pending;
  }
  if (result.stopped && pending > 0) {
    doc.status = "interrupted";
    doc.exit_code = ec::interrupted;
  } else if (result.budget_stopped && pending > 0) {
    doc.status = "budget_stopped";
    doc.exit_code = ec::runtime_failure;
  } else {
    doc.status = "completed";
    doc.exit_code = telemetry::fleet_exit_code(doc);
  }
  if (auto err = files.write(doc); !err.empty()) write_error = err;
  if (!write_error.empty()) {
    print_error("cannot write the summary of fleet " + doc.fleet_id + " in " +
                files.dir().string() + ": " + write_error);
    return ec::runtime_failure;
  }
  uint64_t ok = 0;
  for (const auto& r : doc.runs) ok += r.has_exit_code && r.exit_code == 0;
  const std::string summary = "fleet " + doc.fleet_id + ": " + doc.status + ", " +
                              std::to_string(doc.runs.size() - pending) + "/" +
                              std::to_string(doc.runs.size()) + " done, " + std::to_string(ok) +
                              " exited 0 (exit " + std::to_string(doc.exit_code) + ")";
  if (printer.tty()) {
    std::cout << summary << "\nsummary: " << files.json_file().string() << "\n";
    if (pending) std::cout << "resume: casm resume --fleet-id " << doc.fleet_id << "\n";
    std::cout << "explain: casm explain --fleet-id " << doc.fleet_id << "\n";
  } else {
    std::cout << json{{"event", "fleet_finished"},
                      {"fleet_id", doc.fleet_id},
                      {"status", doc.status},
                      {"exit_code", doc.exit_code},
                      {"done", doc.runs.size() - pending},
                      {"total", doc.runs.size()},
                      {"summary", files.json_file().string()}}
                   .dump()
              << "\n";
  }
  return doc.exit_code;
}

// Loads fleets/<id>/: its doc, or prints why not.
bool load_fleet(const global_options& g, const std::string& fleet_id, telemetry::fleet_doc& doc,
                fs::path& dir) {
  const fs::path home = resolve_home(g.home);
  dir = fleets_dir(home) / fleet_id;
  std::error_code e;
  if (fleet_id.empty() || fleet_id.find('/') != std::string::npos || !fs::is_directory(dir, e)) {
    print_error("unknown fleet id '" + codec::display_text(fleet_id) + "' (no such fleet in " +
                fleets_dir(home).string() + ")");
    return false;
  }
  auto text = supervisor::read_file(dir / "fleet.json");
  std::string error;
  if (!text) error = "it cannot be read";
  if (text && !telemetry::parse_fleet_json(*text, doc, error)) text.reset();
  if (!text) {
    print_error("fleet " + fleet_id + ": " + (dir / "fleet.json").string() + " is not usable: " + error);
    return false;
  }
  return true;
}

// True once a run's log holds its complete run.started record (the second;
// the first pins the config): what `casm resume` rebuilds a run from.
bool run_began(const fs::path& run_dir) {
  std::ifstream in(supervisor::run_store::log_file(run_dir), std::ios::binary);
  std::string line;
  for (int i = 0; i < 2 && std::getline(in, line) && !in.eof(); ++i) {  // a torn line has no '\n'
    std::string_view body, hash, type, blob;
    if (supervisor::split_record(line, body, hash) &&
        supervisor::peek_type_blob(body, type, blob) && type == "run.started")
      return true;
  }
  return false;
}

}  // namespace

int cmd_fleet_run(const global_options& g, const run_options& in) {
  run_options opt = in;
  if (!opt.write_baseline.empty()) {
    print_error("--write-baseline writes one run's fingerprints; it does not apply to a fleet (--repos)");
    return ec::bad_input;
  }
  if (opt.parallel < 0) {
    print_error("--parallel must be at least 1");
    return ec::bad_input;
  }
  if (opt.fleet_budget_usd_set && !(opt.fleet_budget_usd >= 0 && std::isfinite(opt.fleet_budget_usd))) {
    print_error("--fleet-budget-usd must be a finite amount of at least 0 (got " +
                std::to_string(opt.fleet_budget_usd) + ")");
    return ec::bad_input;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t parallel = opt.parallel > 0 ? static_cast<size_t>(opt.parallel) : cores;
  // Each run's reviewers share the cores with the other runs of the fleet.
  if (opt.reviewers <= 0) opt.reviewers = static_cast<int>(std::max<size_t>(1, cores / parallel));

  telemetry::fleet_doc doc;
  std::string error;
  if (!list_repos(opt.repos, doc, error)) {
    print_error(error);
    return ec::bad_input;
  }
  run_plan plan;
  if (!plan_run(opt, plan)) return ec::bad_input;
  net_options tls;
  tls.tls_cert = opt.tls_cert;
  tls.tls_key = opt.tls_key;
  tls.tls_ca = opt.tls_ca;
  if (!check_tls_files(tls, "casm run --nodes")) return ec::bad_input;
  fleet_system fsys;
  if (auto err = boot_fleet(fsys, opt.nodes, opt, static_cast<uint32_t>(opt.reviewers),
                            resolve_home(g.home)); !err.empty()) {
    print_error(err);
    return ec::bad_input;
  }

  const fs::path home = resolve_home(g.home);
  const int64_t now = codec::wall_clock_ms();
  doc.fleet_id = new_ulid(now);
  doc.created_at = codec::format_timestamp(now);
  doc.template_id = plan.tmpl.manifest.id;
  doc.repos_source = opt.repos;
  doc.parallel = static_cast<uint32_t>(parallel);
  doc.fleet_budget_usd = opt.fleet_budget_usd_set ? opt.fleet_budget_usd : -1;
  doc.options = options_json(opt);
  doc.nodes = opt.nodes;
  const fs::path dir = fleets_dir(home) / doc.fleet_id;
  std::error_code e;
  fs::create_directories(fleets_dir(home), e);
  if (e || !fs::create_directory(dir, e) || e) {
    print_error("cannot create the fleet in " + fleets_dir(home).string() + ": " +
                (e ? e.message() : std::string("it exists")));
    return ec::runtime_failure;
  }
  std::string holder;
  auto lock = supervisor::run_lock::try_acquire(dir, &holder);
  if (!lock) {
    print_error("cannot lock the new fleet " + doc.fleet_id + ": " + holder);
    return ec::runtime_failure;
  }
  fleet_files files(dir);
  if (auto err = files.write(doc); !err.empty()) {
    print_error("cannot write the summary of fleet " + doc.fleet_id + ": " + err);
    return ec::runtime_failure;
  }
  std::cout << "fleet_id: " << doc.fleet_id << "\n" << std::flush;
  std::deque<size_t> todo;
  for (size_t i = 0; i < doc.runs.size(); ++i) todo.push_back(i);
  return drive_fleet(g, opt, plan, doc, files, std::move(todo), fsys);
}

int cmd_fleet_resume(const global_options& g, const std::string& fleet_id) {
  telemetry::fleet_doc doc;
  fs::path dir;
  if (!load_fleet(g, fleet_id, doc, dir)) return ec::bad_input;
  std::string holder;
  auto lock = supervisor::run_lock::try_acquire(dir, &holder);
  if (!lock) {
    print_error("fleet " + fleet_id + " is being driven by a live process (" + holder +
                "); it cannot be resumed twice");
    return ec::bad_input;
  }
  fleet_files files(dir);
  supervisor::run_store store(resolve_home(g.home));
  // A row whose run was left mid-way (the fleet process was killed) resumes
  // that run from its log; a row that never started runs now.
  std::deque<size_t> todo;
  const auto started = files.started();
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    auto& row = doc.runs[i];
    if (row.has_exit_code) continue;
    if (row.run_id.empty())
      if (auto it = started.find(i); it != started.end()) row.run_id = it->second;
    if (!row.run_id.empty() && store.run_exists(row.run_id) &&
        !supervisor::run_lock::is_held(store.run_dir(row.run_id))) {
      const auto rdir = store.run_dir(row.run_id);
      // Killed before its run.started record: the run never began, and
      // there is nothing to resume from. Its dir goes, and the row runs
      // afresh below.
      std::error_code ec;
      if (!run_began(rdir)) {
        fs::remove_all(rdir, ec);
        row.run_id.clear();
      }
    }
    if (!row.run_id.empty() && store.run_exists(row.run_id)) {
      const auto rdir = store.run_dir(row.run_id);
      std::string err;
      auto st = supervisor::run_store::read_state(rdir, &err);
      if (st && st->status == "running" && !supervisor::run_lock::is_held(rdir)) {
        auto t0 = std::chrono::steady_clock::now();
        resume_options ro;
        ro.run_id = row.run_id;
        ro.json = true;
        // The run's own summary is not the fleet's output: only its outcome
        // (state.json, below) goes into the row.
        std::ostringstream quiet;
        auto* saved = std::cout.rdbuf(quiet.rdbuf());
        cmd_resume(g, ro);
        std::cout.rdbuf(saved);
        row.duration_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        st = supervisor::run_store::read_state(rdir, &err);
      }
      if (st && st->exit_code >= 0) {
        row.status = st->status;
        row.has_exit_code = true;
        row.exit_code = st->exit_code;
        row.error = st->exit_code == 0 ? "" : st->reason;
        row.findings = findings_of(rdir);
        continue;
      }
    }
    row.run_id.clear();
    row.status = "pending";
    row.error.clear();
    todo.push_back(i);
  }
  std::cout << "fleet_id: " << doc.fleet_id << "\n" << std::flush;
  if (todo.empty()) {
    doc.status = "completed";
    doc.exit_code = telemetry::fleet_exit_code(doc);
    if (auto err = files.write(doc); !err.empty()) {
      print_error("cannot write the summary of fleet " + doc.fleet_id + ": " + err);
      return ec::runtime_failure;
    }
    std::cout << "fleet " << doc.fleet_id << ": nothing left to run (exit " << doc.exit_code << ")\n";
    return doc.exit_code;
  }
  run_options opt = options_from(doc.options);
  // Template, ruleset and baseline paths were made absolute at the start.
  run_plan plan;
  if (!plan_run(opt, plan)) return ec::bad_input;
  fleet_system fsys;
  if (auto err = boot_fleet(fsys, doc.nodes, opt, static_cast<uint32_t>(std::max(1, opt.reviewers)),
                            resolve_home(g.home));
      !err.empty()) {
    print_error(err + " (the fleet was started with --nodes; start them again to resume)");
    return ec::bad_input;
  }
  doc.status = "running";
  doc.exit_code = -1;
  return drive_fleet(g, opt, plan, doc, files, std::move(todo), fsys);
}

int cmd_fleet_explain(const global_options& g, const std::string& fleet_id, bool as_json) {
  telemetry::fleet_doc doc;
  fs::path dir;
  if (!load_fleet(g, fleet_id, doc, dir)) return ec::bad_input;
  // A fleet that says `running` while no process holds it was killed.
  if (doc.status == "running" && !supervisor::run_lock::is_held(dir)) doc.status = "crashed";
  if (as_json) std::cout << telemetry::render_fleet_json(doc);
  else std::cout << telemetry::render_fleet_md(doc);
  return ec::ok;
}

}  // namespace casm::runtime
