#include "actors/agents/reporter.h"

#include <caf/typed_event_based_actor.hpp>

#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"
#include "telemetry/report_writer.h"

namespace casm::agents {

using messages::report_request;
using messages::report_result;

protocol::reporter_actor::behavior_type reporter_agent(protocol::reporter_actor::pointer,
                                                       std::filesystem::path artifacts_dir) {
  return {
    [artifacts_dir](const report_request& req) {
      report_result r;
      r.call_id = req.call_id;
      std::string text = telemetry::render_report_md(req);
      auto err = supervisor::write_file_atomic(artifacts_dir / "report.md", text);
      if (!err.empty()) {
        r.ok = false;
        r.error = err;
        return r;
      }
      r.ok = true;
      r.artifacts.push_back({"report.md", codec::sha256_hex(text), text.size()});
      return r;
    },
  };
}

}  // namespace casm::agents
