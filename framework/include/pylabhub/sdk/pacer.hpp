// Producing at a fixed rate: samples fall due every 1/rate from the start,
// and a producer that falls behind catches up (no sample is skipped), so the
// sequence has no gaps. Rate 0: every sample is due at once.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "pylabhub/sdk/host.hpp"
#include "pylabhub/sdk/plugin.hpp"

namespace pylabhub::sdk {

/// Paces a producer at a fixed rate on the host's clock, without drift.
class Pacer {
public:
    /// `rate_hz` samples a second (0: as fast as asked).
    Pacer(const Host& host, double rate_hz)
        : host_(host),
          period_ns_(rate_hz > 0 ? static_cast<std::uint64_t>(1e9 / rate_hz) : 0),
          start_ns_(host.now_ns()),
          due_ns_(start_ns_) {}

    /// For Producer::wait_next: sleeps at most `timeout` until the next sample is due.
    Producer::WaitResult wait(std::chrono::nanoseconds timeout) const {
        const std::uint64_t now = host_.now_ns();
        if (now >= due_ns_) return Producer::WaitResult::ready;
        std::this_thread::sleep_for(std::min(std::chrono::nanoseconds(due_ns_ - now), timeout));
        return host_.now_ns() >= due_ns_ ? Producer::WaitResult::ready : Producer::WaitResult::not_yet;
    }

    /// When the current sample was due, since the start (its nominal time).
    std::uint64_t due_since_start_ns() const { return due_ns_ - start_ns_; }

    /// Call after each sample: the next one falls due one period later.
    void advance() { due_ns_ += period_ns_; }

private:
    Host host_;
    std::uint64_t period_ns_;
    std::uint64_t start_ns_;
    std::uint64_t due_ns_;
};

}  // namespace pylabhub::sdk
