// The writing side of a DataBlock: creates the segment, owns it, unlinks it.
//
// Thread rule: a Producer and its guards are used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pylabhub/core/result.hpp"
#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/datablock/batch.hpp"
#include "pylabhub/datablock/config.hpp"
#include "pylabhub/datablock/metrics.hpp"
#include "pylabhub/datablock/transaction.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::datablock {

namespace detail {
struct SegmentLayout;
}

/// How a producer creates its DataBlock.
struct ProducerOptions {
    WaitStrategy wait = WaitStrategy::spin_yield;  ///< how waits for room are done: spin, yield or block
    /// Unlink a segment of the same name first, whatever it is. Without it, a
    /// segment left by a dead producer is reused when its layout is the same
    /// (its consumers carry on), replaced when it differs; a live producer's
    /// segment is refused.
    bool replace_existing = false;
    /// Describes the slot payload; consumers that expect another schema are refused.
    std::optional<schema::SchemaInfo> schema;
};

/// The one writer of a DataBlock: creates the segment, writes slots, owns its lifetime.
class Producer {
public:
    /// Creates segment `shm_name` (see SharedMemory for the name rules) with
    /// a fresh shared secret; consumers need the name and the secret. See
    /// ProducerOptions::replace_existing for a segment that already exists.
    static Result<Producer> create(std::string_view shm_name, const DataBlockConfig& config, ProducerOptions options = {});

    /// The same, with T's schema; refuses a slot_bytes smaller than sizeof(T).
    template <schema::Registered T>
    static Result<Producer> create_for(std::string_view shm_name, const DataBlockConfig& config, ProducerOptions options = {}) {
        if (config.slot_bytes < sizeof(T)) {
            return make_error(ErrorCode::invalid_argument,
                              "slot_bytes " + std::to_string(config.slot_bytes) + " is smaller than schema '" +
                                  std::string(schema::SchemaTraits<T>::name) + "' (" + std::to_string(sizeof(T)) + " bytes)");
        }
        options.schema = schema::schema_of<T>();
        return create(shm_name, config, std::move(options));
    }

    /// Size of the segment `config` makes (for capacity checks before creating it).
    static std::uint64_t segment_bytes(const DataBlockConfig& config);

    /// Moves; the moved-from object is left empty.
    Producer(Producer&& other) noexcept;
    /// Move assignment; the moved-from object is left empty.
    Producer& operator=(Producer&& other) noexcept;
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;
    /// Marks the block closed (consumers drain what was committed, then get
    /// ErrorCode::closed) and unlinks the segment.
    ~Producer();

    /// The next slot to write, waiting up to `timeout` for space (lossless
    /// policies) with the configured wait strategy.
    Result<WriteTransactionGuard> acquire_write(std::chrono::nanoseconds timeout);
    /// A run of up to `max_slots` (<= kMaxBatchSlots) next slots, published
    /// together by WriteBatch::commit: waits up to `timeout` for room for one
    /// and takes as many as there is room for now (lossless policies; never
    /// the whole ring, so the newest committed slot stays readable).
    Result<WriteBatch> acquire_write_batch(std::size_t max_slots, std::chrono::nanoseconds timeout);
    /// Copies `payload` into the next slot and commits it.
    Result<void> write(std::span<const std::byte> payload, std::chrono::nanoseconds timeout);

    /// Moves the sequence ids forward to `sequence` (> next_sequence()): the
    /// next slot committed gets it, and the ids skipped are never committed,
    /// so readers see a gap, as for slots lost upstream (an inbound
    /// transport mirrors its sender's ids this way). On a lossless channel
    /// it first waits, up to `timeout`, until every consumer has read what
    /// was committed. busy while a slot is being written.
    Result<void> skip_to(std::uint64_t sequence, std::chrono::nanoseconds timeout);

    /// Flexible zone `name` (empty span if there is none).
    std::span<std::byte> flexible_zone(std::string_view name) const;
    /// Stores the digest of zone `name` (with the block's checksum policy).
    Result<void> update_zone_checksum(std::string_view name);
    /// Replaces zone `name` as a whole (bytes after `data` set to 0) and its
    /// digest, under the zone's seqlock, so that readers using read_zone
    /// never see a half-written zone. Any thread; returns the zone's version.
    Result<std::uint64_t> write_zone(std::string_view name, std::span<const std::byte> data,
                                     std::chrono::nanoseconds timeout = std::chrono::seconds(1));

    /// The segment's name ("/plh.NAME").
    const std::string& shm_name() const;
    /// The shared secret attachers must give.
    const crypto::SharedSecret& secret() const;
    /// The layout and policies it was created with.
    const DataBlockConfig& config() const;
    /// The schema its slots carry, if any.
    const std::optional<schema::SchemaInfo>& schema() const;
    /// The segment's counters.
    DataBlockMetrics metrics() const;
    /// Sequence id the next committed slot will get.
    std::uint64_t next_sequence() const;

private:
    explicit Producer(detail::ProducerState* state) noexcept : state_(state) {}
    static Result<detail::ProducerState*> adopt_existing(std::string_view shm_name, const DataBlockConfig& config, ProducerOptions& options,
                                                         const detail::SegmentLayout& layout);
    void close() noexcept;
    detail::ProducerState* state_;
};

}  // namespace pylabhub::datablock
