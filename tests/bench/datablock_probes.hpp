// The DataBlock measurements the `datablock` and `scaling` groups share:
// each runs real processes and returns raw figures.
#pragma once

#include <cstdint>
#include <vector>

#include "harness.hpp"
#include "pylabhub/datablock/config.hpp"

namespace pylabhub::bench {

/// Ping-pong over two DataBlocks (busy-poll): one-way latencies in ns, the
/// first 100 dropped. `full_payload`: the writer fills and the reader sums
/// every byte; otherwise 8 bytes are committed of a `bytes` slot.
std::vector<double> ping_pong(std::uint64_t bytes, bool full_payload, int iterations);

/// One producer process streams `count` slots of `bytes` through a ring of
/// `slots` to one consumer process (single_reader, busy-poll): slots/s.
double throughput(std::uint64_t bytes, datablock::ChecksumKind checksum, std::uint64_t count, std::uint32_t slots = 64);

/// What fan_out measured: the lossless readers' latency and loss.
struct FanOut {
    Percentiles latency;
    std::uint64_t lost = 0;
    std::uint64_t written = 0;
};

/// 1 producer -> `consumers` processes at `rate` slots/s, blocking waits;
/// the last `latest_readers` of them read the newest slot only.
FanOut fan_out(int consumers, double rate, double seconds, int latest_readers = 0);

}  // namespace pylabhub::bench
