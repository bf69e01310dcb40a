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

inline bool is_process_alive(const ProcessIdentity& who) noexcept {
    return is_process_alive(who.pid, who.start_time);
}

} // namespace pylabhub::platform
