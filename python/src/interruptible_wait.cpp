#include "interruptible_wait.hpp"

#include <algorithm>

#include <pybind11/pybind11.h>

namespace pylabhub::python {
namespace {
// Short enough that Ctrl-C feels immediate, long enough that the GIL is
// not bounced for nothing.
constexpr std::chrono::nanoseconds kSlice = std::chrono::milliseconds(50);
}  // namespace

std::optional<std::chrono::nanoseconds> to_timeout(std::optional<double> seconds) {
    if (!seconds || *seconds < 0) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(*seconds * 1e9));
}

WaitBudget::WaitBudget(std::optional<std::chrono::nanoseconds> timeout) {
    if (timeout) deadline_ = std::chrono::steady_clock::now() + *timeout;
}

std::optional<std::chrono::nanoseconds> WaitBudget::left() const {
    if (!deadline_) return std::nullopt;
    return std::max(std::chrono::nanoseconds(0), std::chrono::nanoseconds(*deadline_ - std::chrono::steady_clock::now()));
}

bool wait_interruptibly(std::optional<std::chrono::nanoseconds> timeout,
                        const std::function<bool(std::chrono::nanoseconds slice)>& attempt) {
    namespace py = pybind11;
    const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout : std::chrono::steady_clock::time_point::max();
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        const auto left = timeout ? std::max(std::chrono::nanoseconds(0), std::chrono::nanoseconds(deadline - now)) : kSlice;
        bool done = false;
        {
            py::gil_scoped_release unlocked;
            done = attempt(std::min(left, kSlice));
        }
        if (done) return true;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        if (timeout && std::chrono::steady_clock::now() >= deadline) return false;
    }
}

}  // namespace pylabhub::python
