// The `scaling` group: how cost grows with the work — latency and
// throughput against slot size, fan-out against the number of readers,
// throughput against ring length (4 KiB slot by slot, 64 B in runs). One
// repetition a point (the curves are about shape; the `datablock` group
// has the medians of 3); tools/bench_plots.py draws them.
#include <algorithm>
#include <iostream>
#include <string>

#include "baseline_probes.hpp"
#include "datablock_probes.hpp"
#include "harness.hpp"

namespace pylabhub::bench {

void run_scaling_cases(Results& results) {
    constexpr std::uint64_t KiB = 1024;
    constexpr std::uint64_t MiB = 1024 * KiB;
    for (std::uint64_t bytes : {std::uint64_t{64}, KiB, 16 * KiB, 256 * KiB, MiB, 4 * MiB, 16 * MiB}) {
        std::cerr << "    slot size " << human_bytes(bytes) << "\n";
        const int iterations = bytes <= 16 * KiB ? 20000 : bytes <= MiB ? 3000 : 500;
        for (bool full : {false, true}) {
            const auto p = percentiles(ping_pong(bytes, full, iterations));
            const std::string system = full ? "latency vs size (write+read all)" : "latency vs size";
            results.add({"scaling", system, bytes, "p50", p.p50, "ns"});
            results.add({"scaling", system, bytes, "p99", p.p99, "ns"});
        }
        // A ring of at most 256 MiB: 64 slots up to 4 MiB, 16 of 16 MiB.
        const auto slots = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(256 * MiB / bytes, 4, 64));
        const std::uint64_t count = std::clamp<std::uint64_t>(2'000'000'000ULL / bytes, 200, 1'000'000);
        const double rate = throughput(bytes, datablock::ChecksumKind::none, count, slots);
        results.add({"scaling", "throughput vs size", bytes, "slots/s", rate, "1/s"});
        results.add({"scaling", "throughput vs size", bytes, "GB/s", rate * double(bytes) / 1e9, "GB/s"});
    }
    for (int readers : {1, 2, 4, 8, 16}) {
        std::cerr << "    " << readers << " readers\n";
        const FanOut lossless = fan_out(readers, 10'000, 1.0);
        const std::string n = std::to_string(readers);
        results.add({"scaling", "fan-out lossless, readers=" + n, 64, "p50", lossless.latency.p50, "ns"});
        results.add({"scaling", "fan-out lossless, readers=" + n, 64, "p99", lossless.latency.p99, "ns"});
        results.add({"scaling", "fan-out lossless, readers=" + n, 64, "lost", double(lossless.lost), "slots"});
        // One lossless reader beside `readers` latest-only ones: what they cost it.
        const FanOut mixed = fan_out(readers + 1, 10'000, 1.0, readers);
        results.add({"scaling", "1 lossless + latest, readers=" + n, 64, "p50", mixed.latency.p50, "ns"});
        results.add({"scaling", "1 lossless + latest, readers=" + n, 64, "p99", mixed.latency.p99, "ns"});
        results.add({"scaling", "1 lossless + latest, readers=" + n, 64, "lost", double(mixed.lost), "slots"});
    }
    for (std::uint32_t slots : {2U, 4U, 8U, 16U, 64U, 256U, 1024U}) {
        const double rate = throughput(4 * KiB, datablock::ChecksumKind::none, 500'000, slots);
        results.add({"scaling", "throughput vs ring, slots=" + std::to_string(slots), 4 * KiB, "slots/s", rate, "1/s"});
    }
    // Small slots in runs, where the ring's cache lines are the whole cost:
    // here the rate halves past 128 slots (a state line and a payload line
    // each), for the raw ring as for the DataBlock.
    for (std::uint32_t slots : {64U, 128U, 160U, 256U, 1024U}) {
        const double rate = throughput(64, datablock::ChecksumKind::none, 2'000'000, slots, 32);
        results.add({"scaling", "throughput vs ring (64 B, runs of 32), slots=" + std::to_string(slots), 64, "slots/s", rate, "1/s"});
        // The same hand-over stripped to its cache lines: if it steps where
        // the DataBlock does, the step is the machine's.
        const double raw = raw_locked_ring(slots, 4'000'000);
        results.add({"scaling", "throughput vs ring (raw locked ring), slots=" + std::to_string(slots), 64, "slots/s", raw, "1/s"});
    }
}

}  // namespace pylabhub::bench
