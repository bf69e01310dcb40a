// /metrics: the Prometheus text exposition format, version 0.0.4
// (docs/observability.md lists every name).
#pragma once

#include <string>

#include "http/live_status.hpp"

namespace pylabhub::host {

struct BuildInfo {
    std::string version, commit, abi;
};

std::string prometheus_text(const PipelineStatus& status, const BuildInfo& build);

}  // namespace pylabhub::host
