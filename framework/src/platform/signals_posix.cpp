#include "pylabhub/platform/signals.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>

namespace pylabhub::platform {
namespace {

sigset_t shutdown_set() noexcept {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

}  // namespace

void block_shutdown_signals() noexcept {
    const sigset_t set = shutdown_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::optional<int> wait_for_shutdown_signal(std::chrono::milliseconds timeout) noexcept {
    const sigset_t set = shutdown_set();
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    wait.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1'000'000);
    const int signal = sigtimedwait(&set, nullptr, &wait);
    if (signal > 0) return signal;
    return std::nullopt;  // EAGAIN (timeout) or EINTR
}

std::string_view signal_name(int signal) noexcept {
    switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
    }
}

}  // namespace pylabhub::platform
