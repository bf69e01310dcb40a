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

/// The DataBlock's run hand-over with nothing else (no DataBlock code): two
/// processes, a state line and a payload line a slot, runs of 32 (each
/// slot's state line taken with PREFETCHW + lock cmpxchg, its payload
/// written; one head store a run, one tail store a run). Slots per second:
/// what the machine allows a ring of `slots` (runs need slots > 32).
double raw_locked_ring(std::uint32_t slots, std::uint64_t count);

/// A fresh ipc:// endpoint for this process.
std::string ipc_endpoint();

/// ZeroMQ PUSH -> PULL between two processes: messages per second.
double zmq_push_pull(const std::string& endpoint, std::uint64_t bytes, std::uint64_t count);

}  // namespace pylabhub::bench
