// Shared-memory names for tests, unique per process and call, and a guard
// that unlinks them however the test ends.
#pragma once

#include <string>
#include <string_view>

namespace pylabhub::test {

/// Every test segment starts with this; the residue check looks for it.
inline constexpr std::string_view kTestShmPrefix = "/plh.test.";

/// "/plh.test.<pid>.<n>.<tag>"
std::string unique_shm_name(std::string_view tag);

/// Unlinks the segment when it goes out of scope (ignores "not found").
class ShmNameGuard {
public:
    explicit ShmNameGuard(std::string_view tag) : name_(unique_shm_name(tag)) {}
    ShmNameGuard(const ShmNameGuard&) = delete;
    ShmNameGuard& operator=(const ShmNameGuard&) = delete;
    ~ShmNameGuard();
    const std::string& name() const { return name_; }

private:
    std::string name_;
};

} // namespace pylabhub::test
