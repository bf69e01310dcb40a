// Watching a DataBlock without taking part: for `pylabhub echo`, `hz`,
// viewers and monitors.
//
// An Observer takes no row in the consumer table and never marks a slot as
// being read, so a writer never waits for it (under any policy, even
// single_reader with its one consumer attached), and a killed observer
// leaves nothing behind. It sees the newest committed slot, copied and
// validated (never a torn one); it may miss slots, and says so by sequence.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "pylabhub/core/result.hpp"
#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/datablock/config.hpp"

namespace pylabhub::datablock {

struct ObservedSlot {
    std::uint64_t sequence = 0;
    std::uint64_t commit_ns = 0;
    std::vector<std::byte> payload;
};

class Observer {
public:
    /// Checks the header and the secret like a consumer attach does.
    static Result<Observer> attach(std::string_view shm_name, const crypto::SharedSecret& secret);
    Observer(Observer&&) noexcept;
    Observer& operator=(Observer&&) noexcept;
    ~Observer();

    /// The newest slot committed after sequence `after` (any, for the first
    /// call with `after` = UINT64_MAX); timeout or closed errors as a Consumer.
    Result<ObservedSlot> next(std::uint64_t after, std::chrono::nanoseconds timeout);

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

} // namespace pylabhub::datablock
