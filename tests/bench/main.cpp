// make bench: every case in one run, each figure the median of 3
// repetitions, printed as a table with the targets as ratios, and written to
// build/bench/results.json (docs/performance.md).
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <sys/utsname.h>

#include "harness.hpp"
#include "pylabhub/log.hpp"

namespace {

using namespace pylabhub::bench;

std::string cpu_model() {
    std::ifstream info("/proc/cpuinfo");
    std::string line;
    while (std::getline(info, line)) {
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    }
    return "unknown";
}

struct Target {
    std::string name;
    double value;
    std::string comparison;  // "<=" or ">="
    double target;
    std::string note;
    bool met() const { return !std::isnan(value) && (comparison == "<=" ? value <= target : value >= target); }
};

std::vector<Target> targets(const Results& r) {
    const std::uint64_t MiB = 1 << 20;
    const double db64 = r.get("latency", "datablock", 64, "p50");
    return {
        {"latency p50 64 B / raw ping-pong, 5 pairs: median", r.get("latency", "datablock / raw ping-pong, paired", 64, "p50 ratio"),
         "<=", 2.5, "x"},
        {"  same, the worst of the 5 pairs", r.get("latency", "datablock / raw ping-pong, paired", 64, "worst ratio"), "<=", 2.5, "x"},
        {"  unpaired: datablock p50 / raw p50 of the baselines", db64 / r.get("latency", "raw shm ping-pong", 8, "p50"), "<=", 2.5, "x"},
        {"zeromq ipc p50 64 B / datablock p50 64 B", r.get("latency", "zeromq ipc req/rep", 64, "p50") / db64, ">=", 100, "x better"},
        {"latency p50 1 MiB / 64 B (zero-copy read)", r.get("latency", "datablock", MiB, "p50") / db64, "<=", 2, "x"},
        {"throughput 64 B / zeromq push-pull",
         r.get("throughput", "datablock none", 64, "slots/s") / r.get("throughput", "zeromq ipc push/pull", 64, "slots/s"), ">=", 10, "x"},
        {"throughput 1 MiB / memcpy 1 MiB",
         r.get("throughput", "datablock none", MiB, "GB/s") / r.get("throughput", "memcpy (1 core)", MiB, "GB/s"), ">=", 0.8, "x"},
        {"  same, vs memcpy into a ring of the same size",
         r.get("throughput", "datablock none", MiB, "GB/s") / r.get("throughput", "memcpy into a 64-slot ring", MiB, "GB/s"), ">=", 0.8,
         "x"},
        {"xxh3 at 1 MiB (raw)", r.get("hash", "xxh3 (raw)", MiB, "GB/s"), ">=", 10, "GB/s"},
        {"raw blake2b / datablock blake2b at 1 MiB",
         r.get("hash", "blake2b (raw libsodium)", MiB, "GB/s") / r.get("throughput", "datablock blake2b", MiB, "GB/s"), "<=", 1.1, "x"},
        {"fan-out 1->10 p99", r.get("fanout", "datablock 1->10 blocking", 64, "p99") / 1000.0, "<=", 100, "us"},
        {"fan-out 1->10 lost slots", r.get("fanout", "datablock 1->10 blocking", 64, "lost"), "<=", 0, "slots"},
        {"1 lossless + 9 latest: lossless p99 / 1->10 all-lossless p99",
         r.get("fanout", "datablock 1 lossless + 9 latest", 64, "p99") / r.get("fanout", "datablock 1->10 blocking", 64, "p99"), "<=", 1,
         "x"},
        {"1 lossless + 9 latest: lossless reader's lost slots", r.get("fanout", "datablock 1 lossless + 9 latest", 64, "lost"), "<=", 0,
         "slots"},
        {"datablock p50 64 B / iceoryx p50 64 B (busy-poll ping-pong)", db64 / r.get("latency", "iceoryx", 64, "p50"), "<=", 1, "x"},
        {"datablock p50 1 MiB / iceoryx p50 1 MiB", r.get("latency", "datablock", MiB, "p50") / r.get("latency", "iceoryx", MiB, "p50"),
         "<=", 1, "x"},
        {"throughput 64 B / iceoryx (slot by slot)",
         r.get("throughput", "datablock none", 64, "slots/s") / r.get("throughput", "iceoryx", 64, "slots/s"), ">=", 1, "x"},
        {"throughput 64 B in runs of 32 / iceoryx",
         r.get("throughput", "datablock none, runs of 32", 64, "slots/s") / r.get("throughput", "iceoryx", 64, "slots/s"), ">=", 1, "x"},
        {"throughput 64 B in runs of 32 / zeromq push-pull, 3 pairs: median",
         r.get("throughput", "runs of 32 / zeromq push-pull, paired", 64, "median ratio"), ">=", 10, "x"},
        {"  same, the worst of the 3 pairs", r.get("throughput", "runs of 32 / zeromq push-pull, paired", 64, "worst ratio"), ">=", 10,
         "x"},
        {"  unpaired: runs of 32 / the baselines' push-pull",
         r.get("throughput", "datablock none, runs of 32", 64, "slots/s") / r.get("throughput", "zeromq ipc push/pull", 64, "slots/s"),
         ">=", 10, "x"},
        {"throughput 4 KiB / iceoryx",
         r.get("throughput", "datablock none", 4096, "slots/s") / r.get("throughput", "iceoryx", 4096, "slots/s"), ">=", 1, "x"},
        {"throughput 1 MiB / iceoryx",
         r.get("throughput", "datablock none", MiB, "slots/s") / r.get("throughput", "iceoryx", MiB, "slots/s"), ">=", 1, "x"},
        {"fan-out 1->10 p99 / iceoryx 1->10 (waitset) p99",
         r.get("fanout", "datablock 1->10 blocking", 64, "p99") / r.get("fanout", "iceoryx 1->10 waitset", 64, "p99"), "<=", 1, "x"},
        {"host path / direct API",
         r.get("host", "pylabhub run counter->null", 64, "slots/s") / r.get("host", "direct API (2 threads)", 64, "slots/s"), ">=", 0.9,
         "x"},
        {"host path scraped every 100 ms / not",
         r.get("host", "same, --http, /metrics every 100 ms", 64, "slots/s") / r.get("host", "pylabhub run counter->null", 64, "slots/s"),
         ">=", 0.95, "x"},
        {"segment overhead at 4 KiB slots", r.get("memory", "segment overhead (64 x 4 KiB, 8 consumers)", 4096, "overhead"), "<=", 2, "%"},
        {"quickstart host peak RSS", r.get("memory", "quickstart host", 0, "peak RSS"), "<=", 32, "MB"},
        {"transport / zeromq tcp push-pull, 64 B",
         r.get("transport", "zmq transport (2 hosts, tcp)", 64, "slots/s") / r.get("transport", "zeromq tcp push/pull", 64, "slots/s"),
         ">=", 1, "x"},
        {"transport / zeromq tcp push-pull, 4 KiB",
         r.get("transport", "zmq transport (2 hosts, tcp)", 4096, "slots/s") / r.get("transport", "zeromq tcp push/pull", 4096, "slots/s"),
         ">=", 0.9, "x"},
        {"transport / zeromq tcp push-pull, 1 MiB",
         r.get("transport", "zmq transport (2 hosts, tcp)", MiB, "slots/s") / r.get("transport", "zeromq tcp push/pull", MiB, "slots/s"),
         ">=", 0.9, "x"},
        {"nats core / nats.c pub-sub, 64 B",
         r.get("nats", "nats transport core (2 hosts)", 64, "slots/s") / r.get("nats", "nats.c core pub/sub", 64, "slots/s"), ">=", 0.8,
         "x"},
        {"nats core / nats.c pub-sub, 4 KiB",
         r.get("nats", "nats transport core (2 hosts)", 4096, "slots/s") / r.get("nats", "nats.c core pub/sub", 4096, "slots/s"), ">=", 0.8,
         "x"},
        {"nats core / nats.c pub-sub, 1 MiB",
         r.get("nats", "nats transport core (2 hosts)", MiB, "slots/s") / r.get("nats", "nats.c core pub/sub", MiB, "slots/s"), ">=", 0.8,
         "x"},
        {"python: latency p50 1 MiB / 64 B (zero-copy view)",
         r.get("python", "python consumer (ping-pong)", MiB, "p50") / r.get("python", "python consumer (ping-pong)", 64, "p50"), "<=", 2,
         "x"},
        {"python p50 64 B / datablock p50 64 B (C++)",
         r.get("python", "python consumer (ping-pong)", 64, "p50") / r.get("latency", "datablock", 64, "p50"), "<=", 50, "x"},
        {"python producer 4 KiB / datablock 4 KiB (C++)",
         r.get("python", "python producer -> host null", 4096, "slots/s") / r.get("throughput", "datablock none", 4096, "slots/s"),
         ">=", 0.03, "x"},
        {"python 64 B: write_many -> read_many / write -> read",
         r.get("python", "python write_many -> read_many", 64, "slots/s") / r.get("python", "python write -> read", 64, "slots/s"),
         ">=", 10, "x"},
    };
}

}  // namespace

int main(int argc, char** argv) {
    pylabhub::log::set_level(pylabhub::log::Level::error);
    // plh_bench [RESULTS.json] [datablock|baselines|iceoryx|host|transport|nats|scaling|python ...]: all groups by default.
    const std::string output = argc > 1 ? argv[1] : "build/bench/results.json";
    auto wanted = [&](const std::string& group) {
        if (argc <= 2) return true;
        for (int i = 2; i < argc; ++i) {
            if (group == argv[i]) return true;
        }
        return false;
    };
    Results results;
    std::cerr << "running benchmarks (a few minutes; keep the machine otherwise idle)...\n";
    if (wanted("datablock")) {
        std::cerr << "  datablock cases\n";
        run_datablock_cases(results);
    }
    if (wanted("baselines")) {
        std::cerr << "  baselines\n";
        run_baseline_cases(results);
    }
    if (wanted("iceoryx")) {
#ifdef PLH_HAVE_ICEORYX
        std::cerr << "  iceoryx (its own iox-roudi)\n";
        run_iceoryx_cases(results);
#else
        std::cerr << "  iceoryx: not built in (apt install libiceoryx-posh-dev iceoryx, then cmake again)\n";
#endif
    }
    if (wanted("host")) {
        std::cerr << "  host path\n";
        run_host_cases(results);
    }
    if (wanted("transport")) {
        std::cerr << "  transport (two hosts over tcp)\n";
        run_transport_cases(results);
    }
    if (wanted("nats")) {
        std::cerr << "  nats (two hosts through a local nats-server)\n";
        run_nats_cases(results);
    }
    if (wanted("scaling")) {
        std::cerr << "  scaling (size, readers, ring length; a few minutes)\n";
        run_scaling_cases(results);
    }
    if (wanted("python")) {
        std::cerr << "  python (the pylabhub module, two Python processes)\n";
        run_python_cases(results);
    }

    std::printf("%-12s %-34s %8s %-10s %14s %s\n", "GROUP", "SYSTEM", "SIZE", "METRIC", "VALUE", "UNIT");
    for (const auto& r : results.all()) {
        std::printf("%-12s %-34s %8s %-10s %14.3f %s\n", r.group.c_str(), r.system.c_str(), r.bytes ? human_bytes(r.bytes).c_str() : "",
                    r.metric.c_str(), r.value, r.unit.c_str());
    }
    std::printf("\n%-44s %12s %4s %8s  %s\n", "TARGET", "MEASURED", "", "TARGET", "");
    const auto checked = targets(results);
    for (const auto& t : checked) {
        std::printf("%-44s %12.3f %4s %8.3g  %-9s %s\n", t.name.c_str(), t.value, t.comparison.c_str(), t.target, t.note.c_str(),
                    t.met() ? "met" : "NOT MET");
    }

    nlohmann::json doc;
    utsname machine{};
    ::uname(&machine);
    doc["machine"] = {{"cpu", cpu_model()},
                      {"cores", std::thread::hardware_concurrency()},
                      {"kernel", std::string(machine.sysname) + " " + machine.release},
                      {"time", std::time(nullptr)}};
    doc["repetitions"] = kRepetitions;
    for (const auto& r : results.all()) {
        doc["results"].push_back({{"group", r.group},
                                  {"system", r.system},
                                  {"bytes", r.bytes},
                                  {"metric", r.metric},
                                  {"value", std::isnan(r.value) ? nlohmann::json(nullptr) : nlohmann::json(r.value)},
                                  {"unit", r.unit}});
    }
    for (const auto& t : checked) {
        doc["targets"].push_back({{"name", t.name},
                                  {"measured", std::isnan(t.value) ? nlohmann::json(nullptr) : nlohmann::json(t.value)},
                                  {"comparison", t.comparison},
                                  {"target", t.target},
                                  {"unit", t.note},
                                  {"met", t.met()}});
    }
    std::filesystem::create_directories(std::filesystem::path(output).parent_path());
    std::ofstream(output) << doc.dump(2) << "\n";
    std::printf("\nwritten: %s\n", output.c_str());
    return 0;
}
