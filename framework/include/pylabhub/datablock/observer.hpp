// Watching a DataBlock without taking part: for `pylabhub echo`, `hz`,
// viewers and monitors.
//
// An Observer takes no row in the consumer table and never marks a slot as
// being read, so a writer never waits for it (under any policy, even
// single_reader with its one consumer attached), and a killed observer
// leaves nothing behind. It sees the newest committed slot, copied and
// validated (never a torn one); it may miss slots, and says so by sequence.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/datablock/config.hpp"

namespace pylabhub::datablock {

/// A slot an Observer copied and validated.
struct ObservedSlot {
    std::uint64_t sequence = 0;      ///< its sequence id
    std::uint64_t commit_ns = 0;     ///< its commit time (monotonic clock)
    std::vector<std::byte> payload;  ///< a validated copy of its bytes
    /// The slot's digest as committed (read(); digest_bytes of the policy).
    std::array<std::uint8_t, 32> digest{};
};

/// The newest committed slot: its sequence and commit time.
struct Newest {
    std::uint64_t sequence = 0;   ///< its sequence id
    std::uint64_t commit_ns = 0;  ///< its commit time (monotonic clock)
};

/// Watches a DataBlock without taking part (see the top of this file).
class Observer {
public:
    /// Checks the header and the secret like a consumer attach does.
    static Result<Observer> attach(std::string_view shm_name, const crypto::SharedSecret& secret);
    /// Moves; the moved-from object is left empty.
    Observer(Observer&&) noexcept;
    /// Move assignment; the moved-from object is left empty.
    Observer& operator=(Observer&&) noexcept;
    ~Observer();

    /// The newest slot committed after sequence `after` (any, for the first
    /// call with `after` = UINT64_MAX); timeout or closed errors as a Consumer.
    Result<ObservedSlot> next(std::uint64_t after, std::chrono::nanoseconds timeout);

    /// The newest committed slot, or nullopt before the first commit.
    std::optional<Newest> newest() const;
    /// Waits until a slot after `after` is committed (any, for UINT64_MAX):
    /// true, or false on timeout; closed error once the writer closed.
    Result<bool> wait_for_commit(std::uint64_t after, std::chrono::nanoseconds timeout);
    /// Copies slot `sequence` and its digest, validated: invalid_argument
    /// when it is not committed yet, not_found when the ring has moved
    /// past it (or did while copying).
    Result<ObservedSlot> read(std::uint64_t sequence);
    /// Slots in the ring.
    std::uint32_t slot_count() const;
    /// True once the writer closed the block.
    bool closed() const;

    /// The segment's flexible zones, by name and size.
    std::vector<FlexZoneSpec> zones() const;
    /// A consistent copy of a zone, as Consumer::read_zone; its digest is
    /// checked when the policy is a built-in one.
    Result<std::uint64_t> read_zone(std::string_view name, std::span<std::byte> out,
                                    std::chrono::nanoseconds timeout = std::chrono::seconds(1)) const;

private:
    struct State;
    explicit Observer(State* state) noexcept : state_(state) {}
    State* state_;
};

}  // namespace pylabhub::datablock
