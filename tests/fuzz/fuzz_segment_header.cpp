// Attaching to a segment whose header bytes are arbitrary: what a consumer,
// an observer and `pylabhub admin` do with a header a bug or another
// process wrote. The input replaces the header; a real segment lies behind.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

#include "fuzz_target.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/datablock/diagnostics.hpp"
#include "pylabhub/datablock/observer.hpp"
#include "pylabhub/platform/shared_memory.hpp"

namespace db = pylabhub::datablock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string name = "/plh.fuzz." + std::to_string(::getpid());
    static db::Producer* producer = [] {
        db::DataBlockConfig config;
        config.slot_count = 4;
        config.slot_bytes = 64;
        config.checksum = db::ChecksumKind::xxh3;
        auto created = db::Producer::create(name, config);
        PLH_FUZZ_CHECK(created.has_value());
        auto* kept = new db::Producer(std::move(created).value());
        std::atexit([] { (void)pylabhub::platform::SharedMemory::unlink(name); });
        return kept;
    }();
    static auto raw = pylabhub::platform::SharedMemory::attach(name);
    PLH_FUZZ_CHECK(raw.has_value());
    // The header and the tables after it (the segment is a few KiB).
    static std::string pristine(reinterpret_cast<const char*>(raw->data()), std::min<std::size_t>(raw->size(), 2048));

    std::memcpy(raw->data(), pristine.data(), pristine.size());
    std::memcpy(raw->data(), data, std::min<std::size_t>(size, pristine.size()));
    db::ConsumerOptions options;
    options.secret = producer->secret();
    options.attach_timeout = std::chrono::milliseconds(0);
    if (auto consumer = db::Consumer::attach(name, options)) (void)consumer->acquire_read(std::chrono::milliseconds(0));
    if (auto observer = db::Observer::attach(name, producer->secret())) (void)observer->next(UINT64_MAX, std::chrono::milliseconds(0));
    if (auto inspector = db::Inspector::open(name)) {
        (void)inspector->diagnose();
        (void)inspector->validate(false);
    }
    std::memcpy(raw->data(), pristine.data(), pristine.size());
    return 0;
}
