// Blocking waits from Python: the GIL is released while waiting, so other
// Python threads run, and the wait is cut into short slices between which
// Python's signal handlers run, so Ctrl-C interrupts it (KeyboardInterrupt).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "errors.hpp"
#include "pylabhub/core/result.hpp"

namespace pylabhub::python {

/// A timeout from Python: None (or a negative number) waits forever.
std::optional<std::chrono::nanoseconds> to_timeout(std::optional<double> seconds);

/// One timeout shared by several waits (a write of many runs): what is
/// left of it at each; forever stays forever.
class WaitBudget {
public:
    explicit WaitBudget(std::optional<std::chrono::nanoseconds> timeout);
    std::optional<std::chrono::nanoseconds> left() const;

private:
    std::optional<std::chrono::steady_clock::time_point> deadline_;
};

/// Calls `attempt(slice)` with the GIL released until it returns true
/// (done) or `timeout` has passed (false). Raises KeyboardInterrupt (or
/// whatever a signal handler raises) between slices.
bool wait_interruptibly(std::optional<std::chrono::nanoseconds> timeout,
                        const std::function<bool(std::chrono::nanoseconds slice)>& attempt);

/// The value `attempt(slice)` gives, tried with the GIL released until it
/// gives one (a timeout error means "not yet") or `timeout` has passed.
/// Raises the fitting exception for another error, pylabhub.TimeoutError
/// ("`context`: `waited_for`") when time runs out.
template <typename T, typename Attempt>
T wait_for(std::optional<std::chrono::nanoseconds> timeout, const Attempt& attempt, const std::string& context,
           const std::string& waited_for) {
    std::optional<T> value;
    std::optional<Error> failed;
    const bool done = wait_interruptibly(timeout, [&](std::chrono::nanoseconds slice) {
        Result<T> tried = attempt(slice);
        if (tried) {
            value.emplace(std::move(tried).value());
            return true;
        }
        if (tried.error().code == ErrorCode::timeout) return false;
        failed = tried.error();
        return true;
    });
    if (failed) raise(*failed, context);
    if (!done) raise({ErrorCode::timeout, context + ": " + waited_for});
    return std::move(*value);
}

}  // namespace pylabhub::python
