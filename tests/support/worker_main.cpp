// The other side of multi-process tests: one small named function a role,
// chosen by argv[1]. Workers report progress as lines on stdout and arm an
// alarm so that none outlives a test that forgot it.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include <unistd.h>

#include "pylabhub/log.hpp"
#include "pylabhub/platform/futex.hpp"
#include "pylabhub/platform/robust_mutex.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "pylabhub/platform/shm_spin_lock.hpp"
#include "shm_pattern.hpp"

namespace {

using pylabhub::platform::SharedMemory;

constexpr unsigned kWorkerLifetimeSeconds = 60;

void say(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

[[noreturn]] void fail(const std::string& why) {
    say("error: " + why);
    std::exit(1);
}

SharedMemory attach_or_fail(const char* name) {
    auto shm = SharedMemory::attach(name);
    if (!shm) fail(shm.error().message);
    return std::move(shm).value();
}

[[noreturn]] void wait_to_be_killed() {
    for (;;) ::pause();
}

// argv: NAME. Checks the pattern the parent wrote, then marks byte 0 as seen.
int verify_pattern(int argc, char** argv) {
    if (argc < 3) fail("usage: verify-pattern NAME");
    auto shm = attach_or_fail(argv[2]);
    const auto bad = pylabhub::test::first_pattern_mismatch(shm.data(), shm.size());
    if (bad != shm.size()) fail("pattern mismatch at byte " + std::to_string(bad));
    shm.data()[0] = pylabhub::test::kSeenMarker;
    say("verified " + std::to_string(shm.size()));
    return 0;
}

// argv: NAME. Takes the robust mutex at offset 0 and holds it until killed.
int hold_robust_mutex(int argc, char** argv) {
    if (argc < 3) fail("usage: hold-robust-mutex NAME");
    auto shm = attach_or_fail(argv[2]);
    auto* mutex = reinterpret_cast<pylabhub::platform::SharedRobustMutex*>(shm.data());
    if (auto locked = mutex->lock(); !locked) fail(locked.error().message);
    say("locked");
    wait_to_be_killed();
}

// argv: NAME. Takes the spin lock at offset 0 and holds it until killed.
int hold_spin_lock(int argc, char** argv) {
    if (argc < 3) fail("usage: hold-spin-lock NAME");
    auto shm = attach_or_fail(argv[2]);
    auto* lock = reinterpret_cast<pylabhub::platform::SharedSpinLock*>(shm.data());
    if (auto locked = lock->lock_for(std::chrono::seconds(10)); !locked) fail(locked.error().message);
    say("locked");
    wait_to_be_killed();
}

// argv: NAME. Sleeps on the futex word at offset 0 (value 0) for up to 10 s.
int futex_wait(int argc, char** argv) {
    if (argc < 3) fail("usage: futex-wait NAME");
    auto shm = attach_or_fail(argv[2]);
    auto* word = reinterpret_cast<std::atomic<std::uint32_t>*>(shm.data());
    say("waiting");
    const auto result = pylabhub::platform::futex_wait(*word, 0, std::chrono::seconds(10));
    switch (result) {
    case pylabhub::platform::FutexWaitResult::woken: say("woken"); break;
    case pylabhub::platform::FutexWaitResult::value_changed: say("value_changed"); break;
    case pylabhub::platform::FutexWaitResult::timeout: say("timeout"); break;
    }
    return 0;
}

// Stays alive, doing nothing, until killed: a live process to point at.
int idle(int, char**) {
    say("idle");
    wait_to_be_killed();
}

} // namespace

int main(int argc, char** argv) {
    ::alarm(kWorkerLifetimeSeconds);
    pylabhub::log::set_level(pylabhub::log::Level::error);
    const std::map<std::string_view, int (*)(int, char**)> roles = {
        {"verify-pattern", verify_pattern}, {"hold-robust-mutex", hold_robust_mutex},
        {"hold-spin-lock", hold_spin_lock}, {"futex-wait", futex_wait},
        {"idle", idle},
    };
    if (argc < 2 || !roles.contains(argv[1])) {
        std::fprintf(stderr, "usage: plh_test_worker ROLE ARGS...\nroles:");
        for (const auto& [name, _] : roles) std::fprintf(stderr, " %s", std::string(name).c_str());
        std::fprintf(stderr, "\n");
        return 2;
    }
    return roles.at(argv[1])(argc, argv);
}
