// Blocking waits from Python: the GIL is released while waiting, so other
// Python threads run, and the wait is cut into short slices between which
// Python's signal handlers run, so Ctrl-C interrupts it (KeyboardInterrupt).
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "pylabhub/core/result.hpp"

namespace pylabhub::python {

/// A timeout from Python: None (or a negative number) waits forever.
std::optional<std::chrono::nanoseconds> to_timeout(std::optional<double> seconds);

/// Calls `attempt(slice)` with the GIL released until it returns true
/// (done) or `timeout` has passed (false). Raises KeyboardInterrupt (or
/// whatever a signal handler raises) between slices.
bool wait_interruptibly(std::optional<std::chrono::nanoseconds> timeout,
                        const std::function<bool(std::chrono::nanoseconds slice)>& attempt);

}  // namespace pylabhub::python
