// The zmq transport between two real hosts over TCP loopback, against raw
// ZeroMQ PUSH/PULL and REQ/REP over TCP loopback in the same run.
#include <string>

#include "harness.hpp"
#include "transport_link.hpp"

namespace pylabhub::bench {
namespace {

/// A fresh loopback endpoint; `window` is the receiver's credit.
Link zmq_link(std::uint64_t window = 1024) {
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
    return {"zmq", "bind: \"" + endpoint + "\"", "connect: \"" + endpoint + "\", window_slots: " + std::to_string(window)};
}

}  // namespace

void run_transport_cases(Results& results) {
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        const std::uint64_t count = bytes == 64 ? 2'000'000 : bytes == 4096 ? 200'000 : 2'000;
        std::vector<double> ours, raw;
        for (int r = 0; r < kRepetitions; ++r) {
            ours.push_back(stream_between_hosts(zmq_link(), bytes, count, 0, "single_reader").rate);
            raw.push_back(zmq_push_pull("tcp://127.0.0.1:" + std::to_string(free_port()), bytes, count));
        }
        results.add({"transport", "zmq transport (2 hosts, tcp)", bytes, "slots/s", median(ours), "1/s"});
        results.add({"transport", "zmq transport (2 hosts, tcp)", bytes, "GB/s", median(ours) * double(bytes) / 1e9, "GB/s"});
        results.add({"transport", "zeromq tcp push/pull", bytes, "slots/s", median(raw), "1/s"});
        results.add({"transport", "zeromq tcp push/pull", bytes, "GB/s", median(raw) * double(bytes) / 1e9, "GB/s"});
    }
    std::vector<double> p50, p99, raw50, raw99;
    for (int r = 0; r < kRepetitions; ++r) {
        // At a steady 1 kHz, not under a burst. latest_only with a window of
        // 8: the slots made before the receiver connected are dropped, not
        // queued, so the figures are the steady stream's.
        const Streamed paced = stream_between_hosts(zmq_link(8), 64, 5000, 1000, "latest_only");
        p50.push_back(paced.p50_ns);
        p99.push_back(paced.p99_ns);
        const auto raw = percentiles(zmq_req_rep("tcp://127.0.0.1:" + std::to_string(free_port()), 64, 2000));
        raw50.push_back(raw.p50);
        raw99.push_back(raw.p99);
    }
    results.add({"transport", "zmq transport (2 hosts, tcp)", 64, "p50", median(p50), "ns"});
    results.add({"transport", "zmq transport (2 hosts, tcp)", 64, "p99", median(p99), "ns"});
    results.add({"transport", "zeromq tcp req/rep (one way)", 64, "p50", median(raw50), "ns"});
    results.add({"transport", "zeromq tcp req/rep (one way)", 64, "p99", median(raw99), "ns"});
}

}  // namespace pylabhub::bench
