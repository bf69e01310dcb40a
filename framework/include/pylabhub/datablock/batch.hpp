// Runs of slots handed over at once (Producer::acquire_write_batch,
// Consumer::acquire_read_batch). Each slot of a run keeps the whole per-slot
// protocol (write lock, generation, checksum, torn-read check); what a run
// shares is the publication: the writer moves the commit index once for the
// run and wakes readers once, a lossless reader moves its position once.
// Small slots pay for those shared cache lines on every hand-over, so runs
// are what makes them fast.
//
// Thread rule: as for the single-slot guards (transaction.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "pylabhub/core/result.hpp"

namespace pylabhub::datablock {

namespace detail {
class ProducerState;
class ConsumerState;
}  // namespace detail

/// The most slots one run can hold.
inline constexpr std::size_t kMaxBatchSlots = 256;

/// A run of consecutive slots being written. Nothing of it is visible to
/// readers until commit(), which publishes the first `count` slots together;
/// a run destroyed without commit is abandoned, as is a producer that dies
/// holding one (its successor continues at the first sequence of the run).
class WriteBatch {
public:
    /// Moves; the moved-from object is left empty.
    WriteBatch(WriteBatch&& other) noexcept;
    WriteBatch& operator=(WriteBatch&&) = delete;
    WriteBatch(const WriteBatch&) = delete;
    ~WriteBatch();

    /// Slots in the run (at least 1 while active).
    std::size_t size() const noexcept { return count_; }
    /// Slot `index` of the run, slot_bytes long; write in place.
    std::span<std::byte> buffer(std::size_t index) const noexcept;
    /// The sequence id slot `index` will be committed with.
    std::uint64_t sequence(std::size_t index) const noexcept { return first_ + index; }
    /// True until committed or abandoned.
    bool active() const noexcept { return state_ != nullptr; }

    /// Publishes slots [0, count) with payload sizes `bytes` (one per slot,
    /// each at most slot_bytes) and abandons the rest of the run; with an
    /// enforced checksum policy each slot gets its digest. count 0 abandons
    /// the whole run. invalid_argument for a bad count or size, which
    /// abandons the run.
    Result<void> commit(std::size_t count, std::span<const std::size_t> bytes);
    /// The same with every slot `bytes_each` long.
    Result<void> commit_uniform(std::size_t count, std::size_t bytes_each);
    /// Gives the whole run up without publishing. Harmless when released.
    void abandon() noexcept;

private:
    friend class Producer;
    WriteBatch(detail::ProducerState* state, std::uint64_t first, std::size_t count) noexcept
        : state_(state), first_(first), count_(count) {}
    template <typename SizeOf>
    Result<void> publish(std::size_t count, SizeOf&& size_of);
    detail::ProducerState* state_;
    std::uint64_t first_;
    std::size_t count_;
};

/// A run of consecutive committed slots read in place (lossless policies).
/// Until release() the writer cannot reuse any of them.
class ReadBatch {
public:
    /// Moves; the moved-from object is left empty.
    ReadBatch(ReadBatch&& other) noexcept;
    ReadBatch& operator=(ReadBatch&&) = delete;
    ReadBatch(const ReadBatch&) = delete;
    ~ReadBatch();

    /// Slots in the run (at least 1 while active).
    std::size_t size() const noexcept { return count_; }
    /// The committed payload of slot `index`, in the segment.
    std::span<const std::byte> buffer(std::size_t index) const noexcept;
    /// Slot `index`'s sequence id (consecutive: first + index).
    std::uint64_t sequence(std::size_t index) const noexcept { return first_ + index; }
    /// Slot `index`'s commit time (monotonic clock).
    std::uint64_t commit_ns(std::size_t index) const noexcept;
    /// True until released.
    bool active() const noexcept { return state_ != nullptr; }

    /// True while slot `index` has not been rewritten since the run was taken.
    bool validate(std::size_t index) const noexcept;
    /// Leaves every slot of the run: the writer may reuse them. corrupt
    /// (counted as torn reads) if any was rewritten meanwhile, which a live
    /// lossless reader never sees. Harmless when already released.
    Result<void> release() noexcept;

private:
    friend class Consumer;
    ReadBatch(detail::ConsumerState* state, std::uint64_t first, std::size_t count) noexcept
        : state_(state), first_(first), count_(count) {}
    detail::ConsumerState* state_;
    std::uint64_t first_;
    std::size_t count_;
};

}  // namespace pylabhub::datablock
