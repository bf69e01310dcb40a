// The read side of a seqlock: re-reading the generation after plain reads of
// the data it protects.
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

}  // namespace pylabhub::platform
