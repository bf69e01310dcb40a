// Process identity and liveness.
//
// A pid alone cannot tell a live owner from a recycled pid, so everything
// that records an owner in shared memory records (pid, start time). The
// start time is the kernel's, in clock ticks since boot; it never changes
// for the life of a process and differs for a new process reusing the pid.
#pragma once

#include <cstdint>

#include "pylabhub/core/result.hpp"

namespace pylabhub::platform {

using ProcessId = std::uint64_t;

struct ProcessIdentity {
    ProcessId pid = 0;
    std::uint64_t start_time = 0;  ///< 0 means unknown
    friend bool operator==(const ProcessIdentity&, const ProcessIdentity&) = default;
};

ProcessId current_pid() noexcept;

/// The calling process's identity; computed once and cached.
const ProcessIdentity& current_process() noexcept;

/// Start time of `pid`; not_found when no such process exists.
Result<std::uint64_t> process_start_time(ProcessId pid);

/// True when `pid` names a running process and, if `start_time` is non-zero,
/// that process started at `start_time`. False for pid 0, for a pid that no
/// longer exists, for a zombie (exited, not yet reaped), and for a pid reused
/// by a newer process. A process we may not signal (EPERM) still counts as
/// alive: it exists, it is just not ours.
bool is_process_alive(ProcessId pid, std::uint64_t start_time = 0) noexcept;

inline bool is_process_alive(const ProcessIdentity& who) noexcept { return is_process_alive(who.pid, who.start_time); }

/// An owner record that fits one 64-bit word, so shared-memory locks can
/// take, release and reclaim ownership with a single CAS: pid in the high
/// half, the low 32 bits of the start time in the low half. Never 0 for a
/// real process, so 0 can mean "nobody".
std::uint64_t owner_word(const ProcessIdentity& who) noexcept;

inline ProcessId owner_word_pid(std::uint64_t word) noexcept { return word >> 32; }

/// False when the process the word names is gone, a zombie, or its pid now
/// belongs to a process with another start time. Reads procfs: keep it off
/// fast paths.
bool is_owner_word_alive(std::uint64_t word) noexcept;

/// Raises this process's open-file limit towards `wanted` (never above the
/// hard limit, never lowering it); returns the limit now in force.
std::uint64_t raise_open_file_limit(std::uint64_t wanted) noexcept;

/// This process's use of the machine, as Prometheus's standard process_*
/// metrics report it. Fields it cannot read are 0.
struct ProcessUsage {
    double cpu_seconds = 0;  ///< user + system
    std::uint64_t resident_bytes = 0;
    std::uint64_t virtual_bytes = 0;
    double start_time_seconds = 0;  ///< since the Unix epoch
    std::uint64_t open_fds = 0;
    std::uint64_t max_fds = 0;
};

ProcessUsage current_process_usage();

}  // namespace pylabhub::platform
