// Both sides of a seqlock around plain (non-atomic) data: the writer's odd
// generation before its plain writes, the reader's re-read after its plain reads.
#pragma once

#include <atomic>
#include <cstdint>

namespace pylabhub::platform {

/// Loads `generation` so that the caller's earlier plain reads (of the
/// payload) cannot move after it: an acquire fence, then a relaxed load.
/// ThreadSanitizer cannot model fences (GCC refuses them under -fsanitize=thread);
/// there a seq_cst load stands in, which is what x86 does anyway.
inline std::uint64_t load_after_plain_reads(const std::uint64_t& generation) noexcept {
    std::atomic_ref<std::uint64_t> word(const_cast<std::uint64_t&>(generation));
#if defined(__SANITIZE_THREAD__)
    return word.load(std::memory_order_seq_cst);
#else
    std::atomic_thread_fence(std::memory_order_acquire);
    return word.load(std::memory_order_relaxed);
#endif
}

/// Stores `value` (odd: a write begins) into `generation` so that it is
/// visible before the caller's later plain writes (of the payload): a
/// relaxed store, then a release fence. Under ThreadSanitizer a seq_cst
/// store stands in (see above).
inline void store_before_plain_writes(std::uint64_t& generation, std::uint64_t value) noexcept {
    std::atomic_ref<std::uint64_t> word(generation);
#if defined(__SANITIZE_THREAD__)
    word.store(value, std::memory_order_seq_cst);
#else
    word.store(value, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
#endif
}

}  // namespace pylabhub::platform
