// The reading side of a DataBlock: attaches by segment name and shared
// secret, takes a row in the consumer table, reads slots in place.
//
// Thread rule: a Consumer and its guards are used by one thread at a time;
// run several Consumers for several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/datablock/batch.hpp"
#include "pylabhub/datablock/checksum.hpp"
#include "pylabhub/datablock/config.hpp"
#include "pylabhub/datablock/metrics.hpp"
#include "pylabhub/datablock/transaction.hpp"
#include "pylabhub/schema/schema_info.hpp"

namespace pylabhub::datablock {

/// How a consumer attaches.
struct ConsumerOptions {
    crypto::SharedSecret secret{};  ///< the channel's shared secret (from the broker or the producer)
    /// If set, attach is refused unless the segment has these slot_count,
    /// slot_bytes, sync, checksum and checksum_mode.
    std::optional<DataBlockConfig> expected;
    /// If set, attach is refused unless the segment's schema is compatible.
    std::optional<schema::SchemaInfo> schema;
    WaitStrategy wait = WaitStrategy::spin_yield;  ///< how waits are done: spin, yield or block
    /// Checksum policies from plugins, found by the id in the segment header
    /// when it is not a built-in one. Must outlive the Consumer.
    std::vector<const ChecksumPolicy*> checksum_policies;
    /// How long to wait for a segment whose creator is still initialising it.
    std::chrono::milliseconds attach_timeout{1000};
    /// A segment that belongs to another user is refused unless this is set
    /// (its owner can change everything in it): a deliberate choice for
    /// channels shared within a group (permissions 0660).
    bool allow_other_owner = false;
};

/// What the segment says about itself.
struct DataBlockInfo {
    std::string shm_name;                      ///< the segment's name
    DataBlockConfig config;                    ///< as recorded in the header (flex_zones by name and size)
    std::optional<schema::SchemaInfo> schema;  ///< name, hash and version (the BLDS travels via the broker)
    std::uint64_t producer_pid = 0;            ///< the producer process
};

/// A reader of a DataBlock with a row in its consumer table: the writer may wait for it (lossless policies).
class Consumer {
public:
    /// Attaches to `shm_name`. Refused, with the field named, for: not a
    /// DataBlock, another layout version or header layout, a segment smaller
    /// than its header says, a wrong secret, a config or schema other than
    /// the expected one, a full consumer table.
    static Result<Consumer> attach(std::string_view shm_name, ConsumerOptions options);

    /// Attaches as attach() does, refusing a segment whose schema is not
    /// compatible with T's registered one (PYLABHUB_SCHEMA_BEGIN).
    template <schema::Registered T>
    static Result<Consumer> attach_for(std::string_view shm_name, ConsumerOptions options) {
        options.schema = schema::schema_of<T>();
        return attach(shm_name, std::move(options));
    }

    /// Moves; the moved-from object is left empty.
    Consumer(Consumer&& other) noexcept;
    /// Move assignment; the moved-from object is left empty.
    Consumer& operator=(Consumer&& other) noexcept;
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;
    /// Leaves the consumer table, so the writer no longer waits for us.
    ~Consumer();

    /// The next slot for this consumer: under the lossless policies the one
    /// after the last it read, under latest_only the newest one it has not
    /// seen. timeout error when none comes in time; closed when the producer
    /// closed and everything committed was read; corrupt on a checksum
    /// mismatch (enforced mode; the slot is skipped and counted).
    Result<ReadTransactionGuard> acquire_read(std::chrono::nanoseconds timeout);

    /// Lossless policies: the committed slots after the last one read, up to
    /// `max_slots` (<= kMaxBatchSlots), waiting up to `timeout` for the first.
    /// Errors as acquire_read; a slot failing an enforced checksum ends the
    /// run before it (or, first in line, is skipped, counted and reported as
    /// corrupt). latest_only readers are refused: use acquire_read.
    Result<ReadBatch> acquire_read_batch(std::size_t max_slots, std::chrono::nanoseconds timeout);

    /// Reads slots one after another; the loop ends at the first error
    /// (timeout, closed...), which last_error() keeps.
    class SlotRange;
    /// The committed slots in order, for a range-for loop; each waits up to `timeout_each`.
    SlotRange slots(std::chrono::nanoseconds timeout_each);

    /// Flexible zone `name`, read in place (empty span if there is none).
    std::span<const std::byte> flexible_zone(std::string_view name) const;
    /// Checks zone `name` against its stored digest.
    Result<void> verify_zone_checksum(std::string_view name) const;
    /// A consistent copy of zone `name` (see Producer::write_zone), its
    /// digest checked; `out` must hold the zone. Returns the version copied
    /// (0: never written). Any thread.
    Result<std::uint64_t> read_zone(std::string_view name, std::span<std::byte> out,
                                    std::chrono::nanoseconds timeout = std::chrono::seconds(1)) const;

    /// Records that this consumer is alive (acquire_read does it too).
    void heartbeat() noexcept;

    /// What the segment says about itself.
    const DataBlockInfo& info() const;
    /// The segment's counters.
    DataBlockMetrics metrics() const;

private:
    explicit Consumer(detail::ConsumerState* state) noexcept : state_(state) {}
    void detach() noexcept;
    detail::ConsumerState* state_;
};

/// The slots of a Consumer, as a range (Consumer::slots).
class Consumer::SlotRange {
public:
    /// Walks the committed slots; ends when a wait times out or the block closes.
    class iterator {
    public:
        /// input iterator
        using iterator_category = std::input_iterator_tag;
        /// what it yields
        using value_type = ReadTransactionGuard;
        /// distance type
        using difference_type = std::ptrdiff_t;
        /// The current slot, held for reading.
        ReadTransactionGuard& operator*() const { return *range_->current_; }
        /// The next slot.
        iterator& operator++() {
            range_->advance();
            return *this;
        }
        /// True at the end.
        bool operator==(std::default_sentinel_t) const { return !range_->current_.has_value(); }

    private:
        friend class SlotRange;
        explicit iterator(SlotRange* range) : range_(range) {}
        SlotRange* range_;
    };

    /// The first slot.
    iterator begin() {
        advance();
        return iterator(this);
    }
    /// The end.
    std::default_sentinel_t end() const { return {}; }
    /// Why the loop ended.
    const std::optional<Error>& last_error() const { return last_error_; }

private:
    friend class Consumer;
    SlotRange(Consumer& consumer, std::chrono::nanoseconds timeout) : consumer_(&consumer), timeout_(timeout) {}
    void advance() {
        current_.reset();  // releases the previous slot first
        auto next = consumer_->acquire_read(timeout_);
        if (next) {
            current_.emplace(std::move(next).value());
        } else {
            last_error_ = std::move(next).error();
        }
    }
    Consumer* consumer_;
    std::chrono::nanoseconds timeout_;
    std::optional<ReadTransactionGuard> current_;
    std::optional<Error> last_error_;
};

inline Consumer::SlotRange Consumer::slots(std::chrono::nanoseconds timeout_each) { return SlotRange(*this, timeout_each); }

}  // namespace pylabhub::datablock
