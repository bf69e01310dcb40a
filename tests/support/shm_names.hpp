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

}  // namespace pylabhub::test

#include <cstddef>
#include <stdexcept>

#include "pylabhub/platform/shared_memory.hpp"

namespace pylabhub::test {

/// A zero-filled segment created for one test and unlinked however the test
/// ends. Throws (failing the test) when it cannot be created.
class TestSegment {
public:
    TestSegment(std::string_view tag, std::size_t size) : guard_(tag), shm_(create(guard_.name(), size)) {}

    const std::string& name() const { return guard_.name(); }
    std::byte* data() const { return shm_.data(); }
    platform::SharedMemory& shm() { return shm_; }

private:
    static platform::SharedMemory create(const std::string& name, std::size_t size) {
        auto created = platform::SharedMemory::create(name, size);
        if (!created) throw std::runtime_error(created.error().message);
        return std::move(created).value();
    }

    ShmNameGuard guard_;  // declared first: unlinks after the mapping is closed
    platform::SharedMemory shm_;
};

}  // namespace pylabhub::test
