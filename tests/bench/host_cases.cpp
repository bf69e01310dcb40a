// The host path (plugins through pylabhub run) against the direct API, and
// the quickstart host's memory.
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.hpp"
#include "transport_link.hpp"
#include "pylabhub/datablock.hpp"
#include "pylabhub/datablock/producer.hpp"
#include "pylabhub/platform/clock.hpp"

namespace pylabhub::bench {
namespace {

namespace db = datablock;
using namespace std::chrono_literals;

/// Producer and consumer threads in one process, as the host runs them,
/// writing counter-like 64-byte slots as fast as the ring allows.
double direct_api_rate(double seconds) {
    const std::string name = "/plh.bench." + std::to_string(::getpid()) + ".direct";
    db::DataBlockConfig config;
    config.slot_count = 64;
    config.slot_bytes = 64;
    auto producer = db::Producer::create(name, config, {.wait = db::WaitStrategy::blocking, .replace_existing = true});
    db::ConsumerOptions options;
    options.secret = producer->secret();
    options.wait = db::WaitStrategy::blocking;
    auto consumer = db::Consumer::attach(name, options);
    std::atomic<bool> stop{false};
    std::uint64_t read = 0;
    std::thread reader([&] {
        while (true) {
            auto slot = consumer->acquire_read(100ms);
            if (!slot) {
                if (stop) break;
                continue;
            }
            ++read;
        }
    });
    const std::uint64_t start = platform::monotonic_time_ns();
    std::uint64_t sequence = 0;
    while (platform::monotonic_time_ns() - start < static_cast<std::uint64_t>(seconds * 1e9)) {
        auto slot = producer->acquire_write(100ms);
        if (!slot) continue;
        auto* words = reinterpret_cast<std::uint64_t*>(slot->buffer().data());
        words[0] = sequence;
        words[1] = sequence * 3 + 1;
        for (int i = 16; i < 64; ++i) slot->buffer()[static_cast<std::size_t>(i)] = std::byte(static_cast<std::uint8_t>(sequence + i * 7));
        (void)slot->commit(64);
        ++sequence;
    }
    const double elapsed = double(platform::monotonic_time_ns() - start) * 1e-9;
    stop = true;
    reader.join();
    return double(sequence) / elapsed;
}

struct HostRun {
    double rate = 0;
    double peak_rss_mb = 0;
};

/// GET `path` from 127.0.0.1:`port` (HTTP/1.0): true on a 200.
bool http_get(std::uint16_t port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
            std::string reply;
            char buffer[65536];
            ssize_t n;
            while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, static_cast<std::size_t>(n));
            ok = reply.rfind("HTTP/1.1 200", 0) == 0 || reply.rfind("HTTP/1.0 200", 0) == 0;
        }
    }
    ::close(fd);
    return ok;
}

HostRun run_host(const std::string& yaml_file, const std::string& channel, double seconds, std::uint16_t http_port = 0) {
    int out[2];
    if (::pipe(out) != 0) return {};
    const pid_t child = ::fork();
    if (child == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::close(out[0]);
        const std::string duration = std::to_string(seconds);
        const std::string http = "127.0.0.1:" + std::to_string(http_port);
        if (http_port != 0) {
            ::execl(PLH_PYLABHUB_EXE, "pylabhub", "--log-level", "warn", "run", yaml_file.c_str(), "--duration", duration.c_str(), "--http",
                    http.c_str(), static_cast<char*>(nullptr));
        }
        ::execl(PLH_PYLABHUB_EXE, "pylabhub", "--log-level", "warn", "run", yaml_file.c_str(), "--duration", duration.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(out[1]);
    // A Prometheus-like scraper, ten times as eager: /metrics every 100 ms.
    std::atomic<bool> done{false};
    std::thread scraper([&] {
        while (http_port != 0 && !done) {
            (void)http_get(http_port, "/metrics");
            std::this_thread::sleep_for(100ms);
        }
    });
    std::string output;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(out[0], buffer, sizeof buffer)) > 0) output.append(buffer, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    rusage usage{};
    ::wait4(child, &status, 0, &usage);
    done = true;
    scraper.join();
    HostRun run;
    run.peak_rss_mb = double(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
    std::smatch match;
    if (std::regex_search(output, match, std::regex(channel + " +[a-z]+ +[0-9]+ +([0-9.]+)"))) run.rate = std::stod(match[1]);
    return run;
}

}  // namespace

void run_host_cases(Results& results) {
    const std::string channel = "bench" + std::to_string(::getpid());
    const std::string yaml = (std::filesystem::temp_directory_path() / (channel + ".yaml")).string();
    std::ofstream(yaml) << "pipeline: host_path\nchannels:\n  " << channel
                        << ": {slots: 64, slot_bytes: 64, sync: single_reader}\nproducers:\n  gen: {plugin: counter, channel: " << channel
                        << ", config: {rate_hz: 0, payload_bytes: 64}}\nconsumers:\n  sink: {plugin: null, inputs: [" << channel << "]}\n";
    std::vector<double> direct, host, scraped;
    for (int r = 0; r < kRepetitions; ++r) {
        direct.push_back(direct_api_rate(1.0));
        host.push_back(run_host(yaml, channel, 1.0).rate);
        scraped.push_back(run_host(yaml, channel, 1.0, free_port()).rate);
    }
    std::filesystem::remove(yaml);
    results.add({"host", "direct API (2 threads)", 64, "slots/s", median(direct), "1/s"});
    results.add({"host", "pylabhub run counter->null", 64, "slots/s", median(host), "1/s"});
    results.add({"host", "same, --http, /metrics every 100 ms", 64, "slots/s", median(scraped), "1/s"});

    const HostRun quickstart = run_host(PLH_QUICKSTART_YAML, "sensor", 2.0);
    results.add({"memory", "quickstart host", 0, "peak RSS", quickstart.peak_rss_mb, "MB"});

    db::DataBlockConfig config;
    config.slot_count = 64;
    config.slot_bytes = 4096;
    const double payload = 64.0 * 4096.0;
    results.add({"memory", "segment overhead (64 x 4 KiB, 8 consumers)", 4096, "overhead",
                 100.0 * (double(db::Producer::segment_bytes(config)) - payload) / payload, "%"});
}

}  // namespace pylabhub::bench
