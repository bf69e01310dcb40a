// The other side of multi-process tests: one small named function a role,
// chosen by argv[1]. Workers report progress as lines on stdout and arm an
// alarm so that none outlives a test that forgot it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include <unistd.h>

#include "counter_payload.hpp"
#include "pylabhub/crypto/crypto.hpp"
#include "pylabhub/datablock.hpp"
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

namespace db = pylabhub::datablock;
using namespace std::chrono_literals;

db::Consumer attach_consumer(const char* name, const char* secret_hex, db::WaitStrategy wait) {
    auto secret = pylabhub::crypto::from_hex_fixed<32>(secret_hex);
    if (!secret) fail(secret.error().message);
    db::ConsumerOptions options;
    options.secret = *secret;
    options.wait = wait;
    auto consumer = db::Consumer::attach(name, options);
    if (!consumer) fail(consumer.error().message);
    return std::move(consumer).value();
}

// argv: NAME SECRET COUNT WAIT [BATCH]. Reads COUNT counter slots (in runs
// of up to BATCH with acquire_read_batch when given) and checks that they
// come whole, in order, without gaps; prints "ok COUNT".
int consume_counter(int argc, char** argv) {
    if (argc < 6) fail("usage: consume-counter NAME SECRET COUNT WAIT [BATCH]");
    auto wait = db::parse_wait_strategy(argv[5]);
    if (!wait) fail(wait.error().message);
    auto consumer = attach_consumer(argv[2], argv[3], *wait);
    const std::uint64_t count = std::stoull(argv[4]);
    const std::size_t batch = argc > 6 ? std::stoul(argv[6]) : 0;
    say("attached");
    std::uint64_t expected = 0;
    std::uint64_t seen = 0;
    auto check = [&](std::uint64_t sequence, std::span<const std::byte> data) {
        if (seen++ == 0) expected = sequence;
        if (sequence != expected) fail("got sequence " + std::to_string(sequence) + ", expected " + std::to_string(expected));
        if (data.size() != sizeof(pylabhub::test::CounterPayload)) fail("wrong payload size");
        const auto& payload = *reinterpret_cast<const pylabhub::test::CounterPayload*>(data.data());
        if (auto wrong = pylabhub::test::check_counter(payload, expected); !wrong.empty()) fail(wrong);
        ++expected;
    };
    while (seen < count) {
        if (batch == 0) {
            auto slot = consumer.acquire_read(10s);
            if (!slot) fail("after " + std::to_string(seen) + " slots: " + slot.error().message);
            check(slot->sequence(), slot->buffer());
            if (auto released = slot->release(); !released) fail(released.error().message);
            continue;
        }
        auto run = consumer.acquire_read_batch(std::min<std::uint64_t>(batch, count - seen), 10s);
        if (!run) fail("after " + std::to_string(seen) + " slots: " + run.error().message);
        for (std::size_t i = 0; i < run->size(); ++i) check(run->sequence(i), run->buffer(i));
        if (auto released = run->release(); !released) fail(released.error().message);
    }
    say("ok " + std::to_string(count));
    return 0;
}

// argv: NAME SECRET. Takes a run of the committed slots (acquire_read_batch),
// says "holding FIRST+COUNT" and waits to be killed inside it.
int hold_read_batch(int argc, char** argv) {
    if (argc < 4) fail("usage: hold-read-batch NAME SECRET");
    auto consumer = attach_consumer(argv[2], argv[3], db::WaitStrategy::spin_yield);
    say("attached");
    auto run = consumer.acquire_read_batch(db::kMaxBatchSlots, 10s);
    if (!run) fail(run.error().message);
    say("holding " + std::to_string(run->sequence(0)) + "+" + std::to_string(run->size()));
    wait_to_be_killed();
}

// argv: NAME SECRET. Attaches, then never reads: a consumer that stalls.
int consume_nothing(int argc, char** argv) {
    if (argc < 4) fail("usage: consume-nothing NAME SECRET");
    auto consumer = attach_consumer(argv[2], argv[3], db::WaitStrategy::spin_yield);
    say("attached");
    wait_to_be_killed();
}

// argv: NAME SECRET TARGET. latest_only: takes a slot and holds it while the
// writer laps it, until TARGET slots are committed; then checks that the
// overtaken read is refused, and that the next read is the newest slot.
int hold_while_lapped(int argc, char** argv) {
    if (argc < 5) fail("usage: hold-while-lapped NAME SECRET TARGET");
    auto consumer = attach_consumer(argv[2], argv[3], db::WaitStrategy::spin_yield);
    const std::uint64_t target = std::stoull(argv[4]);
    say("attached");
    auto slot = consumer.acquire_read(10s);
    if (!slot) fail(slot.error().message);
    say("holding " + std::to_string(slot->sequence()));
    while (consumer.metrics().commit_count < target) std::this_thread::sleep_for(1ms);

    pylabhub::test::CounterPayload copy{};
    auto copied = slot->copy_to(std::as_writable_bytes(std::span(&copy, 1)));
    if (copied) fail("a copy of an overtaken slot was accepted");
    if (slot->validate()) fail("validate() accepted an overtaken slot");
    if (slot->release()) fail("release() did not report the overtaken read");
    auto newest =
        db::with_typed_read<pylabhub::test::CounterPayload>(consumer, 1s, [](const pylabhub::test::CounterPayload& p) { return p; });
    if (!newest) fail(newest.error().message);
    if (auto wrong = pylabhub::test::check_counter(*newest, newest->sequence); !wrong.empty()) fail(wrong);
    say("torn-detected newest " + std::to_string(newest->sequence) + " torn_reads " + std::to_string(consumer.metrics().torn_reads));
    return 0;
}

db::Producer create_counter_producer(const char* name) {
    db::DataBlockConfig config;
    config.slot_count = 8;
    config.slot_bytes = sizeof(pylabhub::test::CounterPayload);
    config.sync = db::SyncPolicy::sync_reader;
    config.checksum = db::ChecksumKind::xxh3;
    auto producer = db::Producer::create(name, config);
    if (!producer) fail(producer.error().message);
    say("secret " + pylabhub::crypto::to_hex(producer->secret()));
    return std::move(producer).value();
}

// argv: NAME SLOTS. Creates a sync_reader DataBlock of counter slots,
// prints "secret HEX", commits SLOTS slots, then takes the next slot and
// writes half of it, says "mid-write SEQ" and waits to be killed there.
int produce_then_hang_mid_write(int argc, char** argv) {
    if (argc < 4) fail("usage: produce-then-hang NAME SLOTS");
    auto producer = create_counter_producer(argv[2]);
    const std::uint64_t slots = std::stoull(argv[3]);
    for (std::uint64_t i = 0; i < slots; ++i) {
        auto written = db::with_typed_write<pylabhub::test::CounterPayload>(
            producer, 10s, [&](pylabhub::test::CounterPayload& p) { pylabhub::test::fill_counter(p, i); });
        if (!written) fail(written.error().message);
    }
    auto slot = producer.acquire_write(10s);
    if (!slot) fail(slot.error().message);
    std::memset(slot->buffer().data(), 0xEE, slot->buffer().size() / 2);  // a torn, uncommitted write
    say("mid-write " + std::to_string(slot->sequence()));
    wait_to_be_killed();
}

// argv: NAME SLOTS. As produce-then-hang, writing in runs of 3
// (acquire_write_batch), then fills a run of 4 (the last one half) and
// says "mid-batch FIRST" without committing it, and waits to be killed.
int produce_batches_then_hang(int argc, char** argv) {
    if (argc < 4) fail("usage: produce-batches-then-hang NAME SLOTS");
    auto producer = create_counter_producer(argv[2]);
    const std::uint64_t slots = std::stoull(argv[3]);
    while (producer.next_sequence() < slots) {
        auto run = producer.acquire_write_batch(std::min<std::uint64_t>(3, slots - producer.next_sequence()), 10s);
        if (!run) fail(run.error().message);
        for (std::size_t i = 0; i < run->size(); ++i) {
            pylabhub::test::fill_counter(*reinterpret_cast<pylabhub::test::CounterPayload*>(run->buffer(i).data()), run->sequence(i));
        }
        if (auto committed = run->commit_uniform(run->size(), sizeof(pylabhub::test::CounterPayload)); !committed) {
            fail(committed.error().message);
        }
    }
    auto run = producer.acquire_write_batch(4, 10s);
    if (!run || run->size() != 4) fail("no run of 4 slots");
    for (std::size_t i = 0; i < 3; ++i) {
        pylabhub::test::fill_counter(*reinterpret_cast<pylabhub::test::CounterPayload*>(run->buffer(i).data()), run->sequence(i));
    }
    std::memset(run->buffer(3).data(), 0xEE, run->buffer(3).size() / 2);
    say("mid-batch " + std::to_string(run->sequence(0)));
    wait_to_be_killed();
}

// Stays alive, doing nothing, until killed: a live process to point at.
int idle(int, char**) {
    say("idle");
    wait_to_be_killed();
}

}  // namespace

int main(int argc, char** argv) {
    ::alarm(kWorkerLifetimeSeconds);
    pylabhub::log::set_level(pylabhub::log::Level::error);
    const std::map<std::string_view, int (*)(int, char**)> roles = {
        {"verify-pattern", verify_pattern},
        {"hold-robust-mutex", hold_robust_mutex},
        {"hold-spin-lock", hold_spin_lock},
        {"futex-wait", futex_wait},
        {"idle", idle},
        {"consume-counter", consume_counter},
        {"consume-nothing", consume_nothing},
        {"hold-while-lapped", hold_while_lapped},
        {"hold-read-batch", hold_read_batch},
        {"produce-batches-then-hang", produce_batches_then_hang},
        {"produce-then-hang", produce_then_hang_mid_write},
    };
    if (argc < 2 || !roles.contains(argv[1])) {
        std::fprintf(stderr, "usage: plh_test_worker ROLE ARGS...\nroles:");
        for (const auto& [name, _] : roles) std::fprintf(stderr, " %s", std::string(name).c_str());
        std::fprintf(stderr, "\n");
        return 2;
    }
    return roles.at(argv[1])(argc, argv);
}
