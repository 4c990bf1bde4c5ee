// Renders artifacts/report.md from a report request. Pure: returns text.
// Deterministic: no clock, no environment; the same request gives the same
// bytes.
#pragma once

#include <string>

#include "messages/data/workflow.h"

namespace casm::telemetry {

std::string render_report_md(const messages::report_request& req);

}  // namespace casm::telemetry
