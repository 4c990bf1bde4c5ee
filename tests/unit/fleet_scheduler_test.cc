// The fleet scheduler's admission (actors/fleet/fleet_scheduler.h): at most
// `parallel` runs work at once; a run that settles (its outcome decided, its
// final flush pending) frees its slot but is not finished until it answers;
// no more than 2 x `parallel` runs are ever open. The runs here are stand-in
// supervisors that answer run_start only when the test says so, and the
// test plays the supervisors' `settling` notes, so every step is ordered.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/fleet/fleet_scheduler.h"
#include "runtime/actor_boot.h"

namespace casm::fleet {
namespace {

using finish_atom = caf::atom_constant<caf::atom("tfinish")>;

// Holds run_start's answer until told to finish.
caf::behavior stand_in_run(caf::event_based_actor* self) {
  auto promise = std::make_shared<caf::response_promise>();
  return {
    [=](const messages::run_start&) {
      *promise = self->make_response_promise();
      return *promise;
    },
    [=](finish_atom) {
      messages::run_outcome o;
      o.status = "succeeded";
      o.exit_code = 0;
      promise->deliver(std::move(o));
      self->quit();
    },
  };
}

struct scheduler_fixture : ::testing::Test {
  runtime::casm_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor listener{sys};
  std::mutex mu;
  std::map<std::string, caf::actor> runs;  // run id -> its stand-in
  protocol::fleet_actor scheduler;

  void start(size_t parallel, size_t rows) {
    fleet_config fc;
    for (size_t i = 0; i < rows; ++i) fc.todo.push_back(i);
    fc.parallel = parallel;
    fc.listener = caf::actor_cast<caf::actor>(listener);
    fc.hooks.launch = [this](size_t i, const protocol::fleet_actor&) {
      launched_run out;
      out.start.run_id = "r" + std::to_string(i);
      auto run = sys.spawn(stand_in_run);
      out.supervisor = caf::actor_cast<protocol::supervisor_actor>(run);
      std::lock_guard<std::mutex> lock(mu);
      runs[out.start.run_id] = run;
      return out;
    };
    fc.hooks.finished = [](size_t, const messages::run_outcome&, const std::string&,
                           const std::string&) { return row_tally{}; };
    scheduler = sys.spawn<caf::detached>(fleet_scheduler, std::move(fc));
    listener->send(scheduler, protocol::fleet_start_atom::value);
  }

  // The next progress event: "<event> <run id> running=<n>".
  std::string next() {
    std::string out;
    listener->receive(
      [&](const messages::fleet_progress& p) {
        out = p.event + " " + p.run_id + " running=" + std::to_string(p.running);
      },
      [&](const messages::fleet_done&) { out = "done"; });
    return out;
  }

  void settle(const std::string& id) {
    listener->send(scheduler, protocol::run_settling_atom::value, id);
  }
  void finish(const std::string& id) {
    caf::actor run;
    {
      std::lock_guard<std::mutex> lock(mu);
      run = runs.at(id);
    }
    listener->send(run, finish_atom::value);
  }
};

TEST_F(scheduler_fixture, ASettlingRunFreesItsSlotAndAtMostTwiceParallelAreOpen) {
  start(2, 5);
  EXPECT_EQ(next(), "run_started r0 running=1");
  EXPECT_EQ(next(), "run_started r1 running=2");
  // r0's outcome is decided: r2 starts while r0 is still open.
  settle("r0");
  EXPECT_EQ(next(), "run_started r2 running=3");
  settle("r1");
  EXPECT_EQ(next(), "run_started r3 running=4");
  // Two working, two settling: 2 x parallel open. A third settling run
  // frees a working slot, but nothing more may open until one finishes.
  settle("r2");
  finish("r0");
  EXPECT_EQ(next(), "run_finished r0 running=3");
  EXPECT_EQ(next(), "run_started r4 running=4");
  finish("r1");
  EXPECT_EQ(next(), "run_finished r1 running=3");
  finish("r2");
  EXPECT_EQ(next(), "run_finished r2 running=2");
  // A run that answers without settling first (its supervisor failed)
  // frees its slot too.
  finish("r3");
  EXPECT_EQ(next(), "run_finished r3 running=1");
  settle("r4");
  finish("r4");
  EXPECT_EQ(next(), "run_finished r4 running=0");
  EXPECT_EQ(next(), "done");
}

TEST_F(scheduler_fixture, WorkingRunsNeverExceedParallel) {
  start(1, 3);
  EXPECT_EQ(next(), "run_started r0 running=1");
  // r0 still works: finishing it, not time, admits r1.
  finish("r0");
  EXPECT_EQ(next(), "run_finished r0 running=0");
  EXPECT_EQ(next(), "run_started r1 running=1");
  settle("r1");
  EXPECT_EQ(next(), "run_started r2 running=2");
  // A late or repeated note changes nothing.
  settle("r1");
  settle("r0");
  finish("r2");
  EXPECT_EQ(next(), "run_finished r2 running=1");
  finish("r1");
  EXPECT_EQ(next(), "run_finished r1 running=0");
  EXPECT_EQ(next(), "done");
}

}  // namespace
}  // namespace casm::fleet
