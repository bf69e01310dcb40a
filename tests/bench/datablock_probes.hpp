// The DataBlock measurements the `datablock` and `scaling` groups share:
// each runs real processes and returns raw figures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness.hpp"
#include "pylabhub/datablock/config.hpp"

namespace pylabhub::bench {

/// Ping-pong over two DataBlocks (busy-poll): one-way latencies in ns, the
/// first 100 dropped. `full_payload`: the writer fills and the reader sums
/// every byte; otherwise 8 bytes are committed of a `bytes` slot.
std::vector<double> ping_pong(std::uint64_t bytes, bool full_payload, int iterations);

/// Slots per run in the batched throughput figures.
inline constexpr std::size_t kBenchBatch = 32;

/// One producer process streams `count` slots of `bytes` through a ring of
/// `slots` to one consumer process (single_reader, busy-poll): slots/s.
/// With `batch` > 1 both sides hand over runs of up to `batch` slots.
double throughput(std::uint64_t bytes, datablock::ChecksumKind checksum, std::uint64_t count, std::uint32_t slots = 64,
                  std::size_t batch = 1);

/// What fan_out measured: the lossless readers' latency and loss.
struct FanOut {
    Percentiles latency;
    std::uint64_t lost = 0;
    std::uint64_t written = 0;
};

/// Adds the median p50, p95, p99 and the worst loss of `runs` as `system`'s fan-out rows.
void add_fan_out_rows(Results& results, const std::string& system, const std::vector<FanOut>& runs);

/// 1 producer -> `consumers` processes at `rate` slots/s, blocking waits;
/// the last `latest_readers` of them read the newest slot only.
FanOut fan_out(int consumers, double rate, double seconds, int latest_readers = 0, Pacing pacing = Pacing::sleep);

}  // namespace pylabhub::bench
