// A DataBlock's counters, read from its segment header.
#pragma once

#include <cstdint>

namespace pylabhub::datablock {

/// The counters in a segment's header, shared by every process attached.
struct DataBlockMetrics {
    std::uint64_t slots_written = 0;                 ///< slots committed
    std::uint64_t slots_read = 0;                    ///< by all consumers, including those that left
    std::uint64_t writes_abandoned = 0;              ///< acquired and released without commit
    std::uint64_t writer_lock_timeouts = 0;          ///< a write lock another live writer held too long
    std::uint64_t writer_drain_timeouts = 0;         ///< readers did not leave a slot in time
    std::uint64_t writer_backpressure_timeouts = 0;  ///< ring stayed full (lossless policies)
    std::uint64_t reader_timeouts = 0;               ///< reads that waited in vain
    std::uint64_t torn_reads = 0;                    ///< reads the writer overtook (latest_only), never delivered
    std::uint64_t checksum_failures = 0;             ///< slots whose checksum did not match when read
    std::uint64_t schema_mismatches = 0;             ///< attaches refused for another schema
    std::uint64_t recovery_actions = 0;              ///< dead consumers retired, dead writers' locks reclaimed
    std::uint64_t commit_count = 0;                  ///< sequences committed so far
    std::uint32_t consumers = 0;                     ///< attached now
};

}  // namespace pylabhub::datablock
