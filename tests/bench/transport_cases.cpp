// The zmq transport between two real hosts over TCP loopback, against raw
// ZeroMQ PUSH/PULL and REQ/REP over TCP loopback in the same run.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.hpp"

namespace pylabhub::bench {
namespace {

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// `pylabhub run FILE`, its stdout captured when `output` is given.
pid_t start_host(const std::string& file, int* output) {
    int out[2];
    if (output != nullptr && ::pipe(out) != 0) return -1;
    const pid_t child = ::fork();
    if (child == 0) {
        if (output != nullptr) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
        } else {
            ::freopen("/dev/null", "w", stdout);
        }
        ::execl(PLH_PYLABHUB_EXE, "pylabhub", "--log-level", "error", "run", file.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    if (output != nullptr) {
        ::close(out[1]);
        *output = out[0];
    }
    return child;
}

struct Streamed {
    double rate = 0;  ///< slots/s into the receiving channel
    double p50_ns = 0, p99_ns = 0;  ///< sender's commit -> receiver's consumer
};

/// A counter streamed by one host to another (a null consumer there).
/// `sync` is the sender's channel policy; `window` the receiver's credit.
Streamed stream(std::uint64_t bytes, std::uint64_t count, double rate_hz, const std::string& sync = "single_reader",
                std::uint64_t window = 1024) {
    const std::string tag = "tx" + std::to_string(::getpid());
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
    const auto dir = std::filesystem::temp_directory_path();
    const std::string sender = (dir / (tag + "-send.yaml")).string();
    const std::string receiver = (dir / (tag + "-recv.yaml")).string();
    std::ofstream(sender) << "pipeline: bench_sender\nchannels:\n  " << tag << "a: {slots: 64, slot_bytes: " << bytes
                          << ", sync: " << sync << "}\nproducers:\n  gen: {plugin: counter, channel: " << tag
                          << "a, config: {rate_hz: " << rate_hz << ", count: " << count << ", payload_bytes: " << bytes
                          << "}}\ntransports:\n  up: {plugin: zmq, channel: " << tag << "a, direction: out, config: {bind: \""
                          << endpoint << "\"}}\n";
    std::ofstream(receiver) << "pipeline: bench_receiver\nchannels:\n  " << tag << "b: {slots: 64}\ntransports:\n  down: {plugin: zmq, channel: "
                            << tag << "b, direction: in, config: {connect: \"" << endpoint << "\", window_slots: " << window
                            << "}}\nconsumers:\n  sink: {plugin: null, inputs: ["
                            << tag << "b]}\n";
    // The receiver first: no slot waits for a connection, so the latency
    // is the steady stream's.
    int output = -1;
    const pid_t receive = start_host(receiver, &output);
    ::usleep(300'000);
    const pid_t send = start_host(sender, nullptr);
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(output, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    ::close(output);
    ::waitpid(receive, nullptr, 0);
    ::waitpid(send, nullptr, 0);
    std::filesystem::remove(sender);
    std::filesystem::remove(receiver);
    Streamed result;
    std::smatch match;
    if (std::regex_search(text, match, std::regex(tag + "b +down \\(transport in\\) +[0-9]+ +([0-9.]+)"))) result.rate = std::stod(match[1]);
    auto ns = [](const std::string& value) { return std::stod(value) * 1000.0; };
    if (std::regex_search(text, match, std::regex("sink +\\S+ +[0-9]+ +[0-9.]+ +[0-9]+ +[0-9]+ +([0-9.]+) us +([0-9.]+) us"))) {
        result.p50_ns = ns(match[1]);
        result.p99_ns = ns(match[2]);
    }
    return result;
}

} // namespace

void run_transport_cases(Results& results) {
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        const std::uint64_t count = bytes == 64 ? 2'000'000 : bytes == 4096 ? 200'000 : 2'000;
        std::vector<double> ours, raw;
        for (int r = 0; r < kRepetitions; ++r) {
            ours.push_back(stream(bytes, count, 0).rate);
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
        const Streamed paced = stream(64, 5000, 1000, "latest_only", 8);
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

} // namespace pylabhub::bench
