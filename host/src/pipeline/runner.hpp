// `pylabhub run`: create the channels, create the plugin instances, run
// each on its own thread, supervise, stop in order, print a summary.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>

#include "pipeline/pipeline_plan.hpp"

namespace pylabhub::host {

struct LiveSource;  // http/live_status.hpp

struct RunOptions {
    std::optional<std::chrono::nanoseconds> duration;  ///< run this long, then stop
    std::chrono::milliseconds drain_timeout{5000};     ///< how long consumers may drain at the end
    /// Once the components run: what they are, valid until on_stopping returns.
    std::function<void(const LiveSource&)> on_running;
    /// Before the components are stopped and taken down.
    std::function<void()> on_stopping;
};

/// Exit codes (docs/cli.md).
enum RunExit : int {
    run_ok = 0,
    run_setup_failed = 1,      ///< a channel or an instance could not be created: nothing ran
    run_component_failed = 4,  ///< the pipeline ran, but a producer or consumer failed
};

/// Blocks until the pipeline ends (duration, SIGINT/SIGTERM, every
/// component finished, a plugin's request_stop, or a failure with
/// on_failure: stop). The caller has blocked the shutdown signals.
int run_pipeline(const PipelineSpec& spec, const PipelinePlan& plan, const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pylabhub::host
