// on_failure for one component: what the pipeline says, unless the
// component says otherwise; and when its next restart is due.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "pipeline/component_runtime.hpp"

namespace pylabhub::host {

enum class OnFailure { keep_going, stop, restart };

/// What a failure of `c` does: its own on_failure, else the pipeline's. An
/// inbound transport does not restart (its stream and channel layout would
/// have to be agreed again): it keeps going failed.
inline OnFailure failure_policy(const ComponentRuntime& c, const PipelineSpec& spec) {
    const std::string& own = c.plan->spec->on_failure;
    OnFailure policy = spec.stop_on_failure ? OnFailure::stop : spec.restart_on_failure ? OnFailure::restart : OnFailure::keep_going;
    if (own == "continue") policy = OnFailure::keep_going;
    if (own == "stop") policy = OnFailure::stop;
    if (own == "restart") policy = OnFailure::restart;
    if (policy == OnFailure::restart && dynamic_cast<const InboundRuntime*>(&c) != nullptr) return OnFailure::keep_going;
    return policy;
}

/// The wait before restart number `restarts + 1`: doubling from the first, capped.
inline std::chrono::nanoseconds restart_delay(std::uint32_t restarts) {
    const auto doubled = kFirstRestartDelay * (1LL << std::min<std::uint32_t>(restarts, 16));
    return std::min<std::chrono::nanoseconds>(doubled, kMaxRestartDelay);
}

}  // namespace pylabhub::host
