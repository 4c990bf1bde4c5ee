#include "actors/node/fix_relay.h"

#include <caf/typed_event_based_actor.hpp>

#include "actors/agents/fixer.h"
#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"

namespace casm::node {

using messages::fix_request;
using messages::fix_result;

protocol::fixer_actor::behavior_type fix_relay(protocol::fixer_actor::pointer self,
                                               protocol::fix_farm_actor farm,
                                               std::filesystem::path artifacts_dir) {
  return {
    [=](fix_request& req) -> caf::result<fix_result> {
      if (req.write_branch) return agents::apply_fixes(req, artifacts_dir);
      auto rp = self->make_response_promise<fix_result>();
      self->request(farm, caf::infinite, req)
        .then(
          [=](messages::node_fix_reply& reply) mutable {
            fix_result r = std::move(reply.result);
            if (r.ok) {
              // The node hashed the text it made; the origin keeps that text.
              if (codec::sha256_hex(reply.patch) != r.patch_sha256) {
                r.ok = false;
                r.failure_kind = "patch_apply";
                r.error = "the patch from " + r.node.value_or("a node") + " does not match its digest";
              } else if (auto err = supervisor::write_file_unsynced(artifacts_dir / "patch.diff",
                                                                     reply.patch);
                         !err.empty()) {
                r.ok = false;
                r.failure_kind = "patch_apply";
                r.error = "cannot write patch.diff: " + err;
              }
            }
            rp.deliver(std::move(r));
          },
          [=](caf::error& err) mutable {
            fix_result r;
            r.call_id = req.call_id;
            r.ok = false;
            r.failure_kind = "patch_apply";
            r.error = "the dispatcher did not answer: " + self->system().render(err);
            rp.deliver(std::move(r));
          });
      return rp;
    },
  };
}

}  // namespace casm::node
