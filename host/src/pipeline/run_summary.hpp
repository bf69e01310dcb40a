// The tables `pylabhub run` prints when a pipeline stops.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "pipeline/component_runtime.hpp"

namespace pylabhub::host {

struct RunSummary {
    std::string pipeline;
    std::string reason;                     ///< why it stopped
    double set_up = 0, run = 0, stop = 0;   ///< seconds
    std::vector<ProducerRuntime*> writers;  ///< producers and inbound transports
    std::vector<ProcessorRuntime*> processors;
    std::vector<ConsumerRuntime*> readers;  ///< processors, consumers and outbound transports
    std::vector<ComponentRuntime*> all;
    std::vector<ChannelRuntime*> channels;
};

void print_summary(std::ostream& out, const RunSummary& run);

/// A component's counters: its plugin's (metric_add) and the runner's own
/// for it (an inbound transport's gaps, an outbound one's credit waits).
std::map<std::string, std::uint64_t> counters_of(ComponentRuntime& component);

}  // namespace pylabhub::host
