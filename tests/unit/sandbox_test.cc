// The validator's sandbox (actors/agents/sandbox.h) and the free-text
// redaction it applies to command output (policy::redact_text).
//
// Everything runs for real: bubblewrap, fork/exec, the built-in secret
// rules. Secrets are assembled at run time so that auditing this repository
// finds none in this file.
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "actors/agents/sandbox.h"
#include "policy/redaction.h"
#include "tests/unit/test_util.h"

namespace casm::agents {
namespace {

namespace fs = std::filesystem;

std::string aws_key() { return "AK" + std::string("IA") + "Q2W3E4R5T6Y7U8I9"; }
std::string ghp_token() {
  return "gh" + std::string("p_") + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";
}

sandbox_spec spec_for(const std::string& command, const fs::path& workdir) {
  sandbox_spec s;
  s.command = command;
  s.allow_commands = {command};
  s.workdir = workdir;
  s.timeout_seconds = 60;
  return s;
}

#define REQUIRE_BWRAP()                                                   \
  do {                                                                    \
    if (!bwrap_available()) GTEST_SKIP() << "bubblewrap cannot run here"; \
  } while (0)

// Whether some process runs exactly `argv` (its /proc cmdline).
bool process_running(const std::vector<std::string>& argv) {
  std::string want;
  for (const auto& a : argv) want += a + '\0';
  DIR* d = ::opendir("/proc");
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (test::slurp(fs::path("/proc") / e->d_name / "cmdline") == want) found = true;
  }
  ::closedir(d);
  return found;
}

// --- command parsing ------------------------------------------------------

TEST(SandboxTest, ShellMetacharactersAreDetected) {
  for (const char* bad : {"echo hi; rm -rf /",
                          "a && b",
                          "a | b",
                          "a > f",
                          "a < f",
                          "echo `id`",
                          "echo $HOME",
                          "echo $(id)",
                          "a {b}",
                          "ls [ab]",
                          "ls *",
                          "ls ?",
                          "a!",
                          "cd ~",
                          "a # c",
                          "a\\b",
                          "echo 'x'",
                          "echo \"x\"",
                          "a\nb",
                          "a\rb",
                          "a & b"})
    EXPECT_TRUE(has_shell_metacharacters(bad)) << bad;
  EXPECT_TRUE(has_shell_metacharacters(std::string("a\0b", 3)));
  for (const char* good : {"npm test", "pnpm -s test", "npm run lint", "make -j2 check",
                           "node_modules/.bin/jest --ci", "go test ./...", "a\tb", "x=1 y"})
    EXPECT_FALSE(has_shell_metacharacters(good)) << good;
}

TEST(SandboxTest, SplitCommandOnBlanks) {
  EXPECT_EQ(split_command("  npm   test\t--ci "),
            (std::vector<std::string>{"npm", "test", "--ci"}));
  EXPECT_TRUE(split_command(" \t ").empty());
}

TEST(SandboxTest, BwrapArgumentsIsolateByDefault) {
  sandbox_spec s;
  auto a = bwrap_arguments(s, "/w");
  auto has = [&](const std::vector<std::string>& seq) {
    return std::search(a.begin(), a.end(), seq.begin(), seq.end()) != a.end();
  };
  EXPECT_TRUE(has({"--unshare-all"}));
  EXPECT_TRUE(has({"--cap-drop", "ALL"}));
  EXPECT_TRUE(has({"--ro-bind", "/", "/"}));
  EXPECT_TRUE(has({"--bind", "/w", "/w", "--chdir", "/w", "--"}));
  EXPECT_FALSE(has({"--share-net"}));
  EXPECT_EQ(a.back(), "--");
  s.allow_network = true;
  a = bwrap_arguments(s, "/w");
  EXPECT_TRUE(has({"--unshare-all", "--share-net"}));
}

// --- policy refusals --------------------------------------------------------

TEST(SandboxTest, CommandNotAllowlistedIsRefused) {
  test::temp_dir dir;
  sandbox_spec s = spec_for("true", dir.path());
  s.allow_commands = {"true ", "npm test"};
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "refused");
  EXPECT_EQ(o.failure_kind, "policy_rejected");
  EXPECT_EQ(o.exit_code, -1);
  EXPECT_NE(o.reason.find("'true'"), std::string::npos) << o.reason;
  EXPECT_NE(o.reason.find("not in runtime.sandbox.allow_commands"), std::string::npos) << o.reason;
}

TEST(SandboxTest, MetacharactersAreRefusedEvenWhenAllowlisted) {
  test::temp_dir dir;
  command_outcome o = run_validation_command(spec_for("echo hi; rm -rf /", dir.path()));
  EXPECT_EQ(o.status, "refused");
  EXPECT_EQ(o.failure_kind, "policy_rejected");
  EXPECT_NE(o.reason.find("';'"), std::string::npos) << o.reason;
  EXPECT_TRUE(o.output.empty());
}

TEST(SandboxTest, EmptyCommandAndUnknownModeAreRefused) {
  test::temp_dir dir;
  EXPECT_EQ(run_validation_command(spec_for("  ", dir.path())).status, "refused");
  sandbox_spec s = spec_for("true", dir.path());
  s.mode = "local-dev";
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "refused");
  EXPECT_NE(o.reason.find("'local-dev'"), std::string::npos) << o.reason;
}

TEST(SandboxTest, StrictModeWithoutBubblewrapDoesNotRun) {
  test::temp_dir dir;
  sandbox_spec s = spec_for("touch ran", dir.path());
  s.bwrap_program = "/nonexistent/casm-bwrap";
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "sandbox_unavailable");
  EXPECT_EQ(o.failure_kind, "sandbox_unavailable");
  EXPECT_FALSE(o.sandboxed);
  EXPECT_FALSE(fs::exists(dir.path() / "ran"));
}

TEST(SandboxTest, PermissiveModeWithoutBubblewrapRunsAndSaysSo) {
  test::temp_dir dir;
  sandbox_spec s = spec_for("touch ran", dir.path());
  s.bwrap_program = "/nonexistent/casm-bwrap";
  s.mode = "permissive";
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "passed") << o.reason << o.output;
  EXPECT_FALSE(o.sandboxed);
  EXPECT_TRUE(o.network);
  EXPECT_TRUE(fs::exists(dir.path() / "ran"));
}

TEST(SandboxTest, MissingWorkdirMeansNoSandbox) {
  command_outcome o = run_validation_command(spec_for("true", "/nonexistent/casm-worktree"));
  EXPECT_EQ(o.status, "sandbox_unavailable");
  EXPECT_EQ(o.failure_kind, "sandbox_unavailable");
}

// --- real runs ----------------------------------------------------------------

TEST(SandboxTest, TruePassesInsideTheSandbox) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  command_outcome o = run_validation_command(spec_for("true", dir.path()));
  EXPECT_EQ(o.status, "passed") << o.reason << o.output;
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_TRUE(o.sandboxed);
  EXPECT_FALSE(o.network);
  EXPECT_EQ(o.failure_kind, "");
  EXPECT_GE(o.duration_s, 0.0);
}

TEST(SandboxTest, FalseFailsWithItsExitCode) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  command_outcome o = run_validation_command(spec_for("false", dir.path()));
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.failure_kind, "validation_command");
  EXPECT_NE(o.reason.find("exited with code 1"), std::string::npos) << o.reason;
}

TEST(SandboxTest, MissingProgramFailsWith127) {
  test::temp_dir dir;
  command_outcome o = run_validation_command(spec_for("casm-no-such-program --x", dir.path()));
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.exit_code, 127);
  EXPECT_EQ(o.failure_kind, "validation_command");
}

TEST(SandboxTest, TimeoutKillsTheProcessTree) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  // An unusual duration names this test's process in /proc.
  sandbox_spec s = spec_for("sleep 29.123", dir.path());
  s.timeout_seconds = 1;
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "timed_out");
  EXPECT_EQ(o.failure_kind, "validation_command");
  EXPECT_NE(o.reason.find("longer than 1 s"), std::string::npos) << o.reason;
  // The namespace dies with bwrap; give the kernel a moment to reap it.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !process_running({"sleep", "29.123"});
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone);
}

TEST(SandboxTest, TimeoutKeepsPartialOutput) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  sandbox_spec s = spec_for("yes partial-line", dir.path());
  s.timeout_seconds = 1;
  s.max_output_bytes = 4096;
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "timed_out");
  EXPECT_TRUE(o.truncated);
  EXPECT_EQ(o.output.rfind("partial-line\n", 0), 0u);
  EXPECT_NE(o.output.find("[casm: output truncated: "), std::string::npos);
}

TEST(SandboxTest, LongOutputKeepsHeadAndTailWithAMarker) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  sandbox_spec s = spec_for("seq 1 100000", dir.path());
  s.max_output_bytes = 1024;
  command_outcome o = run_validation_command(s);
  ASSERT_EQ(o.status, "passed") << o.reason;
  EXPECT_TRUE(o.truncated);
  EXPECT_LE(o.output.size(), 1024u + 64u);
  EXPECT_EQ(o.output.rfind("1\n2\n3\n", 0), 0u);
  EXPECT_EQ(o.output.substr(o.output.size() - 13), "99999\n100000\n");
  // Every byte is either shown or counted, and the cuts are at line ends.
  const std::string marker = "[casm: output truncated: ";
  size_t at = o.output.find(marker);
  ASSERT_NE(at, std::string::npos);
  size_t end = o.output.find(" bytes omitted]\n", at);
  ASSERT_NE(end, std::string::npos);
  uint64_t omitted = std::stoull(o.output.substr(at + marker.size(), end - at - marker.size()));
  size_t head = at, tail = o.output.size() - (end + 16);
  uint64_t total = 0;
  for (int i = 1; i <= 100000; ++i) total += std::to_string(i).size() + 1;
  EXPECT_EQ(head + tail + omitted, total);
  EXPECT_EQ(o.output[at - 1], '\n');
}

TEST(SandboxTest, ShortOutputIsKeptWhole) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  command_outcome o = run_validation_command(spec_for("echo hello sandbox", dir.path()));
  EXPECT_EQ(o.status, "passed");
  EXPECT_EQ(o.output, "hello sandbox\n");
  EXPECT_FALSE(o.truncated);
}

TEST(SandboxTest, SecretsInOutputAreMasked) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  command_outcome o =
      run_validation_command(spec_for("echo id=" + aws_key() + " t=" + ghp_token(), dir.path()));
  EXPECT_EQ(o.status, "passed");
  EXPECT_EQ(o.output.find(aws_key()), std::string::npos) << o.output;
  EXPECT_EQ(o.output.find(ghp_token()), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("AKIA****(20 chars)"), std::string::npos) << o.output;
  // The command, echoed back in the outcome, is masked too.
  EXPECT_EQ(o.command.find(aws_key()), std::string::npos);
}

TEST(SandboxTest, SecretsOnStderrAreMaskedAndInterleaved) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  // ls names the missing file on stderr.
  command_outcome o = run_validation_command(spec_for("ls " + aws_key(), dir.path()));
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.output.find(aws_key()), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("AKIA****"), std::string::npos) << o.output;
}

TEST(SandboxTest, NoNetworkInside) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  // /proc/net is per network namespace: only the loopback exists inside.
  command_outcome o = run_validation_command(spec_for("cat /proc/net/dev", dir.path()));
  ASSERT_EQ(o.status, "passed") << o.output;
  std::set<std::string> interfaces;
  std::istringstream in(o.output);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos || line.find('|') != std::string::npos) continue;
    interfaces.insert(std::string(policy::trim_whitespace(line.substr(0, colon))));
  }
  EXPECT_EQ(interfaces, (std::set<std::string>{"lo"})) << o.output;
  EXPECT_FALSE(o.network);
}

TEST(SandboxTest, NetworkFlagFollowsAllowNetwork) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  sandbox_spec s = spec_for("true", dir.path());
  s.allow_network = true;
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "passed");
  EXPECT_TRUE(o.network);
}

TEST(SandboxTest, OnlyTheWorkdirIsWritable) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  command_outcome etc = run_validation_command(spec_for("touch /etc/casm-x", dir.path()));
  EXPECT_EQ(etc.status, "failed");
  EXPECT_NE(etc.output.find("Read-only file system"), std::string::npos) << etc.output;
  EXPECT_FALSE(fs::exists("/etc/casm-x"));

  command_outcome here = run_validation_command(spec_for("touch made-inside", dir.path()));
  EXPECT_EQ(here.status, "passed") << here.output;
  EXPECT_TRUE(fs::exists(dir.path() / "made-inside"));

  // /tmp is a private tmpfs: a file made there never reaches the host.
  const std::string probe = "/tmp/casm-sandbox-probe-" + std::to_string(::getpid());
  command_outcome tmp = run_validation_command(spec_for("touch " + probe, dir.path()));
  EXPECT_EQ(tmp.status, "passed") << tmp.output;
  EXPECT_FALSE(fs::exists(probe));
}

TEST(SandboxTest, CapabilitiesAreDropped) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  command_outcome o = run_validation_command(spec_for("grep CapEff /proc/self/status", dir.path()));
  ASSERT_EQ(o.status, "passed") << o.output;
  EXPECT_NE(o.output.find("0000000000000000"), std::string::npos) << o.output;
  o = run_validation_command(spec_for("grep NoNewPrivs /proc/self/status", dir.path()));
  EXPECT_NE(o.output.find("NoNewPrivs:\t1"), std::string::npos) << o.output;
}

TEST(SandboxTest, EnvironmentIsMinimalAndHoldsNoKeys) {
  REQUIRE_BWRAP();
  test::temp_dir dir;
  ::setenv("CASM_SANDBOX_TEST_LEAK", "parent-value", 1);
  sandbox_spec s = spec_for("env", dir.path());
  s.extra_env = {{"FOO", "bar"}, {"OPENAI_API_KEY", "not-even-a-key"}, {"HARMLESS", aws_key()}};
  command_outcome o = run_validation_command(s);
  ::unsetenv("CASM_SANDBOX_TEST_LEAK");
  ASSERT_EQ(o.status, "passed") << o.output;
  const fs::path home = fs::canonical(dir.path());
  EXPECT_NE(o.output.find("HOME=" + home.string() + "\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("CI=true\n"), std::string::npos);
  EXPECT_NE(o.output.find("LANG=C.UTF-8\n"), std::string::npos);
  EXPECT_NE(o.output.find("FOO=bar\n"), std::string::npos);
  EXPECT_EQ(o.output.find("CASM_SANDBOX_TEST_LEAK"), std::string::npos);
  EXPECT_EQ(o.output.find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_EQ(o.output.find("HARMLESS"), std::string::npos);
}

TEST(SandboxTest, HiddenPathsAreEmptyInside) {
  REQUIRE_BWRAP();
  test::temp_dir work, secret_home;
  test::spit(secret_home.path() / "credentials", "token\n");
  sandbox_spec s = spec_for("ls -A " + secret_home.path().string(), work.path());
  s.hidden_paths = {secret_home.path()};
  command_outcome o = run_validation_command(s);
  EXPECT_EQ(o.status, "passed") << o.output;
  EXPECT_EQ(o.output, "");
}

// --- redact_text ----------------------------------------------------------------

TEST(SandboxTest, RedactTextMasksEveryMatchOnALine) {
  const std::string key2 = "AK" + std::string("IA") + "ZZZZYYYYXXXXWWWW";
  std::string text = "first " + aws_key() + " second " + key2 + " end\nplain line\n";
  std::string r = policy::redact_text(text);
  EXPECT_EQ(r, "first AKIA****(20 chars) second AKIA****(20 chars) end\nplain line\n");
}

TEST(SandboxTest, RedactTextIgnoresAllowCommentsAndGates) {
  std::string r = policy::redact_text("casm:allow " + aws_key() + "\n");
  EXPECT_EQ(r.find(aws_key()), std::string::npos) << r;
  // A low-entropy assigned password fails the scanner's gate but is masked.
  r = policy::redact_text("password = \"aaaaaaaaaaaa\"\n");
  EXPECT_EQ(r, "password = \"aaaa****(12 chars)\"\n");
}

TEST(SandboxTest, RedactTextMasksAPrivateKeyBody) {
  const std::string body1 = "MIIEowIBAAKCAQEAq8Z7r2Lx9Vp3Mw7Tk1YsAbCdEfGhIjKlMnOpQrStUvWxYz0123";
  const std::string body2 = "Zm9vYmFyYmF6cXV4";
  std::string text = "log start\n-----BEGIN RSA " + std::string("PRIVATE KEY-----\n") + body1 +
                     "\n  " + body2 + "\n-----END RSA PRIVATE KEY-----\nlog end\n";
  std::string r = policy::redact_text(text);
  EXPECT_EQ(r.find(body1), std::string::npos) << r;
  EXPECT_EQ(r.find(body2), std::string::npos) << r;
  EXPECT_NE(r.find("log start\n"), std::string::npos);
  EXPECT_NE(r.find("-----END RSA PRIVATE KEY-----\nlog end\n"), std::string::npos) << r;
  // On one line, as an escaped JSON string.
  std::string json = "{\"k\":\"-----BEGIN " + std::string("PRIVATE KEY-----\\n") + body1 +
                     "\\n-----END PRIVATE KEY-----\"}";
  r = policy::redact_text(json);
  EXPECT_EQ(r.find(body1), std::string::npos) << r;
}

TEST(SandboxTest, RedactTextKeepsOtherTextAndEscapesBytes) {
  EXPECT_EQ(policy::redact_text("nothing to see\n"), "nothing to see\n");
  EXPECT_EQ(policy::redact_text(""), "");
  std::string r = policy::redact_text(std::string("bad \xff byte ") + aws_key());
  EXPECT_EQ(r, "bad \\xff byte AKIA****(20 chars)");
}

}  // namespace
}  // namespace casm::agents
