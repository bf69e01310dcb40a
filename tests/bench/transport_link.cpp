// Two real hosts joined by a transport plugin, for the transport cases.
#include "transport_link.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <csignal>

#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pylabhub::bench {
namespace {

/// `pylabhub run FILE`, its stdout captured when `output` is given.
pid_t start_host(const std::string& file, int* output, const std::string& output_file = "/dev/null") {
    int out[2];
    if (output != nullptr && ::pipe(out) != 0) return -1;
    const pid_t child = ::fork();
    if (child == 0) {
        if (output != nullptr) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
        } else {
            ::freopen(output_file.c_str(), "w", stdout);
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

}  // namespace

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

Streamed stream_between_hosts(const Link& link, std::uint64_t bytes, std::uint64_t count, double rate_hz, const std::string& sync) {
    const std::string tag = "tx" + std::to_string(::getpid());
    const auto dir = std::filesystem::temp_directory_path();
    const std::string sender = (dir / (tag + "-send.yaml")).string();
    const std::string receiver = (dir / (tag + "-recv.yaml")).string();
    std::ofstream(sender) << "pipeline: bench_sender\nchannels:\n  " << tag << "a: {slots: 64, slot_bytes: " << bytes << ", sync: " << sync
                          << "}\nproducers:\n  gen: {plugin: counter, channel: " << tag << "a, config: {rate_hz: " << rate_hz
                          << ", count: " << count << ", payload_bytes: " << bytes << "}}\ntransports:\n  up: {plugin: " << link.plugin
                          << ", channel: " << tag << "a, direction: out, config: {" << link.out_config << "}}\n";
    std::ofstream(receiver) << "pipeline: bench_receiver\nchannels:\n  " << tag
                            << "b: {slots: 64}\ntransports:\n  down: {plugin: " << link.plugin << ", channel: " << tag
                            << "b, direction: in, config: {" << link.in_config << "}}\nconsumers:\n  sink: {plugin: null, inputs: [" << tag
                            << "b]}\n";
    // The receiver first: no slot waits for a connection, so the latency
    // is the steady stream's.
    int output = -1;
    const pid_t receive = start_host(receiver, &output);
    ::usleep(300'000);
    const std::string sender_output = sender + ".out";
    const pid_t send = start_host(sender, nullptr, sender_output);
    std::string text;
    char buffer[4096];
    // An at-most-once link may lose the sender's goodbye: once the sender is
    // done, the receiver gets 15 s, then SIGINT (it still prints its summary).
    bool sender_done = false, interrupted = false;
    auto deadline = std::chrono::steady_clock::now();
    for (;;) {
        pollfd item{output, POLLIN, 0};
        if (::poll(&item, 1, 200) > 0) {
            const ssize_t n = ::read(output, buffer, sizeof buffer);
            if (n <= 0) break;
            text.append(buffer, static_cast<std::size_t>(n));
        }
        if (!sender_done && ::waitpid(send, nullptr, WNOHANG) == send) {
            sender_done = true;
            deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        }
        if (sender_done && !interrupted && std::chrono::steady_clock::now() > deadline) {
            ::kill(receive, SIGINT);
            interrupted = true;
        }
    }
    ::close(output);
    ::waitpid(receive, nullptr, 0);
    if (!sender_done) ::waitpid(send, nullptr, 0);
    std::stringstream sent;
    sent << std::ifstream(sender_output).rdbuf();
    std::filesystem::remove(sender_output);
    std::filesystem::remove(sender);
    std::filesystem::remove(receiver);
    if (std::getenv("PLH_BENCH_DEBUG") != nullptr) std::fprintf(stderr, "%s\n", text.c_str());
    Streamed result;
    std::smatch match;
    if (std::regex_search(text, match, std::regex(tag + "b +down \\(transport in\\) +[0-9]+ +([0-9.]+)")))
        result.rate = std::stod(match[1]);
    const std::string sent_text = sent.str();
    if (std::regex_search(sent_text, match, std::regex("up \\(transport out\\) +\\S+ +[0-9]+ +([0-9.]+)")))
        result.sender_rate = std::stod(match[1]);
    auto ns = [](const std::string& value) { return std::stod(value) * 1000.0; };
    if (std::regex_search(text, match, std::regex("sink +\\S+ +[0-9]+ +[0-9.]+ +[0-9]+ +[0-9]+ +([0-9.]+) us +([0-9.]+) us"))) {
        result.p50_ns = ns(match[1]);
        result.p99_ns = ns(match[2]);
    }
    return result;
}

}  // namespace pylabhub::bench
