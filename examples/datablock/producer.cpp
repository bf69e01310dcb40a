// Writes Sample slots (eight sine channels) into a DataBlock.
//
//   plh_example_producer --name /plh.example --count 1000 --rate 1000
//
// Prints the segment name and shared secret a consumer needs, then writes.
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>

#include <pylabhub/datablock.hpp>

#include "sample.hpp"

namespace {
std::atomic<bool> stop_requested{false};
}

int main(int argc, char** argv) {
    namespace db = pylabhub::datablock;
    CLI::App app{"Write Sample slots into a DataBlock"};
    std::string name = "/plh.example";
    std::uint64_t count = 0;
    double rate_hz = 1000;
    std::string sync = "sync_reader";
    std::string checksum = "xxh3";
    double linger_s = 0;
    std::uint32_t wait_consumers = 0;
    app.add_option("--name", name, "shared memory name")->capture_default_str();
    app.add_option("--count", count, "slots to write (0: until Ctrl-C)")->capture_default_str();
    app.add_option("--rate", rate_hz, "slots per second (0: as fast as possible)")->capture_default_str();
    app.add_option("--sync", sync, "latest_only | single_reader | sync_reader")->capture_default_str();
    app.add_option("--checksum", checksum, "none | xxh3 | blake2b")->capture_default_str();
    app.add_option("--wait-consumers", wait_consumers, "wait until this many consumers attached before writing")->capture_default_str();
    app.add_option("--linger", linger_s, "seconds to keep the block open after the last slot")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    db::DataBlockConfig config;
    config.slot_bytes = sizeof(Sample);
    auto policy = db::parse_sync_policy(sync);
    auto kind = db::parse_checksum_kind(checksum);
    if (!policy || !kind) {
        std::fprintf(stderr, "error: %s\n", (!policy ? policy.error() : kind.error()).message.c_str());
        return 2;
    }
    config.sync = *policy;
    config.checksum = *kind;
    auto producer = db::Producer::create_for<Sample>(name, config, {.wait = db::WaitStrategy::blocking});
    if (!producer) {
        std::fprintf(stderr, "error: %s\n", producer.error().message.c_str());
        return 1;
    }
    std::signal(SIGINT, [](int) { stop_requested = true; });
    std::signal(SIGTERM, [](int) { stop_requested = true; });
    std::printf("name=%s secret=%s\n", producer->shm_name().c_str(), pylabhub::crypto::to_hex(producer->secret()).c_str());
    std::fflush(stdout);

    while (producer->metrics().consumers < wait_consumers && !stop_requested) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto start = std::chrono::steady_clock::now();
    const auto period = rate_hz > 0 ? std::chrono::duration<double>(1.0 / rate_hz) : std::chrono::duration<double>(0);
    for (std::uint64_t i = 0; (count == 0 || i < count) && !stop_requested; ++i) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period * double(i)));
        auto written = db::with_typed_write<Sample>(*producer, std::chrono::seconds(5), [&](Sample& s) {
            s.seq = i;
            s.t_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            for (int c = 0; c < 8; ++c) s.channels[c] = static_cast<float>(std::sin(s.t_seconds * 2 * M_PI * (c + 1)));
        });
        if (!written) {
            std::fprintf(stderr, "error: slot %llu: %s\n", static_cast<unsigned long long>(i), written.error().message.c_str());
            return 1;
        }
    }
    // Give the consumers we waited for up to 5 s to catch up, so the summary is final.
    const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (wait_consumers > 0 && std::chrono::steady_clock::now() < drain_deadline &&
           producer->metrics().slots_read < producer->metrics().slots_written * wait_consumers) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(linger_s));
    const auto m = producer->metrics();
    std::printf("wrote %llu slots; consumers read %llu\n", static_cast<unsigned long long>(m.slots_written),
                static_cast<unsigned long long>(m.slots_read));
    return 0;  // the Producer closes the block: consumers drain, then see "closed"
}
