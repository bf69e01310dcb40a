// The baselines the DataBlock cases also measure next to their own figures,
// so that a ratio compares two figures taken at the same moment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pylabhub::bench {

/// Two processes bounce a counter on one cache line (busy-poll): one-way
/// latencies in ns, the first 100 dropped. The floor for any IPC.
std::vector<double> shm_ping_pong(int iterations);

/// A fresh ipc:// endpoint for this process.
std::string ipc_endpoint();

/// ZeroMQ PUSH -> PULL between two processes: messages per second.
double zmq_push_pull(const std::string& endpoint, std::uint64_t bytes, std::uint64_t count);

}  // namespace pylabhub::bench
