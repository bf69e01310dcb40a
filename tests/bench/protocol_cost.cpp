// The instruction cost of one slot hand-over (acquire_write, commit,
// acquire_read, release) in one thread: no second core, so no cache-line
// transfers. Run under callgrind to count instructions per slot:
//   valgrind --tool=callgrind build/bin/plh_protocol_cost 200000
// (docs/performance.md compares it with the measured latency).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "pylabhub/datablock.hpp"

int main(int argc, char** argv) {
    namespace db = pylabhub::datablock;
    const long slots = argc > 1 ? std::atol(argv[1]) : 200000;
    const std::string name = "/plh.bench." + std::to_string(::getpid()) + ".cost";
    db::DataBlockConfig config;
    config.slot_count = 8;
    config.slot_bytes = 64;
    auto producer = db::Producer::create(name, config, {.wait = db::WaitStrategy::busy_poll});
    db::ConsumerOptions options;
    options.secret = producer->secret();
    options.wait = db::WaitStrategy::busy_poll;
    auto consumer = db::Consumer::attach(name, options);
    std::uint64_t sum = 0;
    for (long i = 0; i < slots; ++i) {
        auto slot = producer->acquire_write(std::chrono::seconds(1));
        slot->buffer()[0] = std::byte(i & 0xff);
        (void)slot->commit(64);
        auto read = consumer->acquire_read(std::chrono::seconds(1));
        sum += static_cast<std::uint64_t>(read->buffer()[0]);
        (void)read->release();
    }
    std::printf("%ld slots handed over (checksum %llu)\n", slots, static_cast<unsigned long long>(sum));
    return 0;
}
