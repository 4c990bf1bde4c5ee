// Who may say what to whom: the typed interfaces of every CASM actor.
// The compiler rejects a message an actor does not declare.
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/protocol/inspect.h"

namespace casm::protocol {

using namespace casm::messages;

// The deterministic workflow coordinator. Its only unsolicited input is the
// run's start; everything else it receives is a reply to its own requests,
// which the supervisor recorded before delivering.
using coordinator_actor =
  caf::typed_actor<caf::reacts_to<run_start>, caf::reacts_to<approval_decision>>;

// The per-run supervisor, the recording proxy between the coordinator and
// everything else. The CLI asks it to run (and gets the outcome when the run
// ends); the coordinator sends it every effect request and notification.
using supervisor_actor = caf::typed_actor<
  caf::replies_to<run_start>::with<run_outcome>,
  caf::replies_to<ingest_request>::with<ingest_result>,
  caf::replies_to<review_request>::with<review_result>,
  caf::replies_to<fix_request>::with<fix_result>,
  caf::replies_to<validate_request>::with<validate_result>,
  caf::replies_to<gate_request>::with<gate_result>,
  caf::replies_to<report_request>::with<report_result>,
  caf::replies_to<route_request>::with<route_result>,
  caf::replies_to<model_call>::with<model_reply>,
  caf::replies_to<settle_request>::with<settle_result>,
  caf::reacts_to<fallback_note>,
  caf::reacts_to<output_check>,
  caf::reacts_to<stage_event>,
  caf::reacts_to<hitl_request>,
  caf::reacts_to<security_alert>,
  caf::reacts_to<run_pause>,
  caf::reacts_to<run_outcome>>;

// Stage agents: each performs one kind of effect.
using ingest_actor = caf::typed_actor<caf::replies_to<ingest_request>::with<ingest_result>>;
using reviewer_actor = caf::typed_actor<caf::replies_to<review_request>::with<review_result>>;
using fixer_actor = caf::typed_actor<caf::replies_to<fix_request>::with<fix_result>>;
using validator_actor =
  caf::typed_actor<caf::replies_to<validate_request>::with<validate_result>>;
using gate_actor = caf::typed_actor<caf::replies_to<gate_request>::with<gate_result>>;
using reporter_actor = caf::typed_actor<caf::replies_to<report_request>::with<report_result>>;


// The cost accountant: the single budget authority of a process. Every run
// (and every run of a fleet) reserves through it; nothing else grants money.
using accountant_actor = caf::typed_actor<
  caf::replies_to<budget_open>::with<bool>,
  caf::replies_to<budget_query>::with<budget_snapshot>,
  caf::replies_to<reserve_ask>::with<reservation_reply>,
  caf::replies_to<reconcile_ask>::with<reconcile_answer>,
  caf::replies_to<std::string>::with<budget_levels>>;  // run id -> its levels

// A run's router: decides with the pure telemetry::route() on the
// accountant's current view, reserves the selected model's worst case, and
// settles calls (reconcile + breaker).
using router_actor = caf::typed_actor<caf::replies_to<route_request>::with<route_result>,
                                      caf::replies_to<settle_request>::with<settle_result>>;

// A model connector (detached: the HTTP call blocks).
using connector_actor = caf::typed_actor<caf::replies_to<model_call>::with<model_reply>>;
// The fleet scheduler (one per fleet): `start` begins admission, `stop`
// ends it (SIGINT); runs already admitted finish. It reports fleet_progress
// and, last, fleet_done to the actor that spawned it. A run's supervisor
// says `settling` (with the run id) when the run's outcome is decided and
// only its final flush remains: the run no longer works, so its slot goes
// to the next run (docs/fleet.md, "Admission").
using fleet_start_atom = caf::atom_constant<caf::atom("fltstart")>;
using fleet_stop_atom = caf::atom_constant<caf::atom("fltstop")>;
using run_settling_atom = caf::atom_constant<caf::atom("settling")>;
using fleet_actor = caf::typed_actor<caf::reacts_to<fleet_start_atom>, caf::reacts_to<fleet_stop_atom>,
                                     caf::reacts_to<run_settling_atom, std::string>>;

// A node's agent pool, published by `casm node` on CAF's middleman. The
// origin says hello first (protocol versions must match), pings it as a
// heartbeat, and sends it scan shards, fixes and validations; the pool
// hands each to one of its workers.
using node_worker_actor =
  caf::typed_actor<caf::replies_to<node_task>::with<review_result>,
                   caf::replies_to<node_fix_task>::with<node_fix_reply>,
                   caf::replies_to<node_validate_task>::with<node_validate_reply>>;
using node_ping_atom = caf::atom_constant<caf::atom("nodeping")>;
using node_pool_actor = caf::typed_actor<caf::replies_to<node_hello>::with<node_welcome>,
                                         caf::replies_to<node_ping_atom>::with<node_ping_atom>,
                                         caf::replies_to<node_task>::with<review_result>,
                                         caf::replies_to<node_fix_task>::with<node_fix_reply>,
                                         caf::replies_to<node_validate_task>::with<node_validate_reply>>;
// What a run's fix relay (actors/node/fix_relay) asks the origin's
// dispatcher: the patch, computed on a node (or on the origin after a loss).
using fix_farm_actor = caf::typed_actor<caf::replies_to<fix_request>::with<node_fix_reply>>;

}  // namespace casm::protocol
