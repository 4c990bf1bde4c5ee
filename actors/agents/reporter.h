// The reporter agent: renders report.md (telemetry/report_writer) and writes
// it into the run's artifacts/ dir. Detached: it writes files.
#pragma once

#include <filesystem>

#include "messages/protocol/interfaces.h"

namespace casm::agents {

protocol::reporter_actor::behavior_type reporter_agent(protocol::reporter_actor::pointer self,
                                                       std::filesystem::path artifacts_dir);

}  // namespace casm::agents
