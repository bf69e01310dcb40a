// RAII access to one slot. A guard belongs to the thread that made it, like
// the Producer or Consumer it came from; it may outlive them (the mapping
// stays until the last guard is gone), but not be shared between threads.
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

/// A slot being written. Commit to publish it; a guard destroyed without
/// commit (an exception, an early return) abandons the write.
class WriteTransactionGuard {
public:
    /// Moves; the moved-from object is left empty.
    WriteTransactionGuard(WriteTransactionGuard&& other) noexcept;
    WriteTransactionGuard& operator=(WriteTransactionGuard&&) = delete;
    WriteTransactionGuard(const WriteTransactionGuard&) = delete;
    ~WriteTransactionGuard();

    /// The whole slot, slot_bytes long; write in place. Empty once released.
    std::span<std::byte> buffer() const noexcept;
    /// The sequence id the slot will be committed with.
    std::uint64_t sequence() const noexcept { return sequence_; }
    /// True until committed or abandoned.
    bool active() const noexcept { return state_ != nullptr; }

    /// Publishes the first `bytes` bytes (and, with an enforced checksum
    /// policy, their digest). invalid_argument when bytes > slot_bytes.
    Result<void> commit(std::size_t bytes);
    /// The same, stamped `commit_ns` (monotonic clock) instead of now: a
    /// slot that arrived from elsewhere keeps the time it was made.
    Result<void> commit_at(std::size_t bytes, std::uint64_t commit_ns);
    /// Manual checksum mode: stores the digest of the first `bytes` bytes.
    Result<void> update_checksum(std::size_t bytes);
    /// Gives the slot up without publishing. Harmless when already released.
    void abandon() noexcept;

private:
    friend class Producer;
    Result<void> commit_stamped(std::size_t bytes, std::uint64_t commit_ns, std::uint64_t now);
    WriteTransactionGuard(detail::ProducerState* state, std::uint64_t sequence) noexcept : state_(state), sequence_(sequence) {}
    detail::ProducerState* state_;
    std::uint64_t sequence_;
};

/// A committed slot being read in place.
class ReadTransactionGuard {
public:
    /// Moves; the moved-from object is left empty.
    ReadTransactionGuard(ReadTransactionGuard&& other) noexcept;
    ReadTransactionGuard& operator=(ReadTransactionGuard&&) = delete;
    ReadTransactionGuard(const ReadTransactionGuard&) = delete;
    ~ReadTransactionGuard();

    /// The committed payload, in the segment. Under latest_only the writer
    /// may overtake a slow reader: check validate() before trusting what
    /// you computed from it, or use copy_to().
    std::span<const std::byte> buffer() const noexcept;
    /// The slot's sequence id.
    std::uint64_t sequence() const noexcept { return sequence_; }
    /// Its commit time (monotonic clock).
    std::uint64_t commit_ns() const noexcept;
    /// True until released.
    bool active() const noexcept { return state_ != nullptr; }

    /// True while the slot has not been rewritten since it was acquired.
    bool validate() const noexcept;
    /// Copies the payload into `out` (at least buffer().size() bytes) and
    /// succeeds only if the copy is whole: never hands out torn data.
    Result<std::size_t> copy_to(std::span<std::byte> out) const;
    /// Manual checksum mode: checks the stored digest against the payload.
    Result<void> verify_checksum() const;
    /// Leaves the slot; lossless policies then let the writer reuse it.
    /// Returns an error (counted as a torn read) if the slot was overtaken.
    /// Harmless when already released.
    Result<void> release() noexcept;

private:
    friend class Consumer;
    ReadTransactionGuard(detail::ConsumerState* state, std::uint64_t sequence, std::uint64_t generation) noexcept
        : state_(state), sequence_(sequence), generation_(generation) {}
    detail::ConsumerState* state_;
    std::uint64_t sequence_;
    std::uint64_t generation_;
};

}  // namespace pylabhub::datablock
