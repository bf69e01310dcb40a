// A counter one component thread writes and any thread may read while the
// pipeline runs (the summary, /metrics, /api/status): relaxed atomic loads
// and stores, no read-modify-write. With one writer that loses nothing, and
// on x86 it costs what a plain increment does.
#pragma once

#include <atomic>
#include <cstdint>

namespace pylabhub::host {

class LiveCounter {
public:
    LiveCounter(std::uint64_t value = 0) : value_(value) {}  // NOLINT: counts read and written like integers
    LiveCounter(const LiveCounter& other) : value_(other.get()) {}
    LiveCounter& operator=(const LiveCounter& other) {
        set(other.get());
        return *this;
    }
    LiveCounter& operator=(std::uint64_t value) {
        set(value);
        return *this;
    }

    std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }
    operator std::uint64_t() const { return get(); }  // NOLINT
    void set(std::uint64_t value) { value_.store(value, std::memory_order_relaxed); }
    LiveCounter& operator+=(std::uint64_t delta) {
        set(get() + delta);
        return *this;
    }
    LiveCounter& operator++() { return *this += 1; }
    std::uint64_t operator++(int) {
        const std::uint64_t before = get();
        set(before + 1);
        return before;
    }

private:
    std::atomic<std::uint64_t> value_;
};

}  // namespace pylabhub::host
