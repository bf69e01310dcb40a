// on_failure for one component: what the pipeline says, unless the
// component says otherwise; and when its next restart is due.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "pipeline/component_runtime.hpp"

namespace pylabhub::host {

/// "continue", "stop" or "restart" for `c` (only producers and consumers restart).
inline std::string failure_policy(const ComponentRuntime& c, const PipelineSpec& spec) {
    std::string policy = c.plan->spec->on_failure;
    if (policy.empty()) policy = spec.stop_on_failure ? "stop" : spec.restart_on_failure ? "restart" : "continue";
    const std::string kind = c.kind;
    if (policy == "restart" && kind != "producer" && kind != "consumer") return "continue";
    return policy;
}

/// The wait before restart number `restarts + 1`: doubling from the first, capped.
inline std::chrono::nanoseconds restart_delay(std::uint32_t restarts) {
    const auto doubled = kFirstRestartDelay * (1LL << std::min<std::uint32_t>(restarts, 16));
    return std::min<std::chrono::nanoseconds>(doubled, kMaxRestartDelay);
}

} // namespace pylabhub::host
