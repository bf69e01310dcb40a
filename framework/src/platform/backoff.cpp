#include "pylabhub/platform/backoff.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace pylabhub::platform {

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield" ::: "memory");
#else
    std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

void Backoff::pause() noexcept {
    if (iteration_ < spin_limit_) {
        cpu_relax();
    } else if (iteration_ < spin_limit_ + yield_limit_) {
        std::this_thread::yield();
    } else {
        std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
        sleep_us_ = std::min(sleep_us_ * 2, max_sleep_us_);
    }
    if (iteration_ != UINT32_MAX) ++iteration_;
}

}  // namespace pylabhub::platform
