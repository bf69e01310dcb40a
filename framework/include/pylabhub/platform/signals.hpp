// Shutdown signals (SIGINT, SIGTERM) handled synchronously: blocked in every
// thread, then waited for by one thread, so no async-signal-safety concerns.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace pylabhub::platform {

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it
/// starts afterwards. Call first thing in main, before starting threads.
void block_shutdown_signals() noexcept;

/// Waits up to `timeout` for a blocked shutdown signal; its number if one came.
std::optional<int> wait_for_shutdown_signal(std::chrono::milliseconds timeout) noexcept;

std::string_view signal_name(int signal) noexcept;

}  // namespace pylabhub::platform
