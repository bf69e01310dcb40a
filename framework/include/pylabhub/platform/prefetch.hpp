// Asking the memory system for a cache line ahead of use.
#pragma once

namespace pylabhub::platform {

/// Starts taking the cache line at `address` for writing (PREFETCHW on x86):
/// a no-op for correctness, it only lets several lines another core holds
/// move at once instead of one per locked instruction.
inline void prefetch_for_write(const void* address) noexcept {
#if defined(__x86_64__) || defined(__i386__)
    // GCC emits a read prefetch for __builtin_prefetch(p, 1) unless built
    // for PRFCHW; the instruction itself is a hint (a NOP where unsupported).
    asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(address)));
#else
    __builtin_prefetch(address, 1, 3);
#endif
}

}  // namespace pylabhub::platform
