// The nats transport between two real hosts through a local nats-server,
// against raw nats.c publish/subscribe (nats-bench style), JetStream async
// publishing and request/reply through the same server, in the same run.
#include <atomic>
#include <cmath>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nats/nats.h>

#include "harness.hpp"
#include "transport_link.hpp"

namespace pylabhub::bench {
namespace {

using Clock = std::chrono::steady_clock;

/// nats-server with JetStream on a free loopback port, for this run only.
class Server {
public:
    Server() : port_(free_port()), dir_(std::filesystem::temp_directory_path() / ("plh-bench-nats-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir_);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::freopen("/dev/null", "w", stdout);
            ::freopen("/dev/null", "w", stderr);
            const std::string port = std::to_string(port_), store = (dir_ / "store").string();
            ::execl("/usr/sbin/nats-server", "nats-server", "-a", "127.0.0.1", "-p", port.c_str(), "-js", "-sd", store.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 200 && !accepting(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ~Server() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    bool accepting() const {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port_);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
    }

private:
    std::uint16_t port_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

natsConnection* connect(const std::string& url) {
    natsConnection* nc = nullptr;
    return natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK ? nc : nullptr;
}

void close(natsConnection* nc) {
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
}

std::string unique_subject(const char* kind) {
    static int n = 0;
    return std::string("bench.") + kind + "." + std::to_string(::getpid()) + "." + std::to_string(++n);
}

/// Raw core NATS: one connection publishes `count` messages, another
/// receives them; messages per second from the first publish to the last receipt.
double raw_core(const std::string& url, std::uint64_t bytes, std::uint64_t count) {
    natsConnection* pub = connect(url);
    natsConnection* sub_conn = connect(url);
    if (pub == nullptr || sub_conn == nullptr) return std::nan("");
    const std::string subject = unique_subject("raw");
    natsSubscription* sub = nullptr;
    natsConnection_SubscribeSync(&sub, sub_conn, subject.c_str());
    natsSubscription_SetPendingLimits(sub, -1, -1);
    natsConnection_Flush(sub_conn);
    std::vector<char> payload(bytes, 'x');
    std::atomic<std::uint64_t> received{0};
    Clock::time_point last;
    std::thread reader([&] {
        natsMsg* msg = nullptr;
        while (received < count && natsSubscription_NextMsg(&msg, sub, 2000) == NATS_OK) {
            natsMsg_Destroy(msg);
            ++received;
            last = Clock::now();
        }
    });
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < count; ++i) natsConnection_Publish(pub, subject.c_str(), payload.data(), static_cast<int>(bytes));
    natsConnection_Flush(pub);
    reader.join();
    natsSubscription_Destroy(sub);
    close(pub);
    close(sub_conn);
    return double(received.load()) / std::chrono::duration<double>(last - start).count();
}

/// Raw JetStream: `count` async publishes into a stream, until all are stored.
double raw_jetstream(const std::string& url, std::uint64_t bytes, std::uint64_t count) {
    natsConnection* nc = connect(url);
    if (nc == nullptr) return std::nan("");
    jsOptions options;
    jsOptions_Init(&options);
    options.PublishAsync.MaxPending = 256;
    jsCtx* js = nullptr;
    natsConnection_JetStream(&js, nc, &options);
    const std::string subject = unique_subject("rawjs");
    std::string name = subject;
    for (char& c : name) c = c == '.' ? '_' : c;
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subjects[] = {subject.c_str()};
    config.Name = name.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    jsStreamInfo* info = nullptr;
    js_AddStream(&info, js, &config, nullptr, nullptr);
    jsStreamInfo_Destroy(info);
    std::vector<char> payload(bytes, 'x');
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < count; ++i) js_PublishAsync(js, subject.c_str(), payload.data(), static_cast<int>(bytes), nullptr);
    js_PublishAsyncComplete(js, nullptr);
    const double rate = double(count) / std::chrono::duration<double>(Clock::now() - start).count();
    js_DeleteStream(js, name.c_str(), nullptr, nullptr);
    jsCtx_Destroy(js);
    close(nc);
    return rate;
}

/// Raw request/reply through the server: half a round trip, per request.
std::vector<double> raw_request_reply(const std::string& url, std::uint64_t bytes, int iterations) {
    natsConnection* responder = connect(url);
    natsConnection* requester = connect(url);
    std::vector<double> one_way;
    if (responder == nullptr || requester == nullptr) return one_way;
    const std::string subject = unique_subject("echo");
    natsSubscription* sub = nullptr;
    natsConnection_SubscribeSync(&sub, responder, subject.c_str());
    natsConnection_Flush(responder);
    std::atomic<bool> done{false};
    std::thread echo([&] {
        natsMsg* msg = nullptr;
        while (!done) {
            if (natsSubscription_NextMsg(&msg, sub, 100) != NATS_OK) continue;
            natsConnection_Publish(responder, natsMsg_GetReply(msg), natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
            natsConnection_Flush(responder);
            natsMsg_Destroy(msg);
        }
    });
    std::vector<char> payload(bytes, 'x');
    for (int i = 0; i < iterations; ++i) {
        natsMsg* reply = nullptr;
        const auto t0 = Clock::now();
        if (natsConnection_Request(&reply, requester, subject.c_str(), payload.data(), static_cast<int>(bytes), 1000) != NATS_OK) continue;
        one_way.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / 2);
        natsMsg_Destroy(reply);
    }
    done = true;
    echo.join();
    natsSubscription_Destroy(sub);
    close(responder);
    close(requester);
    return one_way;
}

Link nats_link(const Server& server, const std::string& mode) {
    const std::string common = "url: \"" + server.url() + "\", subject: " + unique_subject("ours") + ", mode: " + mode;
    return {"nats", common, common};
}

}  // namespace

void run_nats_cases(Results& results) {
    if (::access("/usr/sbin/nats-server", X_OK) != 0) {
        std::fprintf(stderr, "  (skipped: nats-server is not installed; `make bench` installs it)\n");
        return;
    }
    Server server;
    for (std::uint64_t bytes : {64ULL, 4096ULL, 1ULL << 20}) {
        const std::uint64_t count = bytes == 64 ? 500000 : bytes == 4096 ? 100'000 : 1'000;
        const std::uint64_t js_count = bytes == 64 ? 100'000 : bytes == 4096 ? 50'000 : 500;
        std::vector<double> core, raw, js, raw_js;
        for (int r = 0; r < kRepetitions; ++r) {
            core.push_back(stream_between_hosts(nats_link(server, "core"), bytes, count, 0, "single_reader").rate);
            raw.push_back(raw_core(server.url(), bytes, count));
            // The sender's rate: a receiver replaying what is stored already reads faster than it was sent.
            js.push_back(stream_between_hosts(nats_link(server, "jetstream"), bytes, js_count, 0, "single_reader").sender_rate);
            raw_js.push_back(raw_jetstream(server.url(), bytes, js_count));
        }
        results.add({"nats", "nats transport core (2 hosts)", bytes, "slots/s", median(core), "1/s"});
        results.add({"nats", "nats transport core (2 hosts)", bytes, "GB/s", median(core) * double(bytes) / 1e9, "GB/s"});
        results.add({"nats", "nats.c core pub/sub", bytes, "slots/s", median(raw), "1/s"});
        results.add({"nats", "nats transport jetstream (stored)", bytes, "slots/s", median(js), "1/s"});
        results.add({"nats", "nats.c jetstream async publish", bytes, "slots/s", median(raw_js), "1/s"});
    }
    std::vector<double> p50, p99, raw50, raw99;
    for (int r = 0; r < kRepetitions; ++r) {
        const Streamed paced = stream_between_hosts(nats_link(server, "core"), 64, 5000, 1000, "latest_only");
        p50.push_back(paced.p50_ns);
        p99.push_back(paced.p99_ns);
        const auto raw = percentiles(raw_request_reply(server.url(), 64, 2000));
        raw50.push_back(raw.p50);
        raw99.push_back(raw.p99);
    }
    results.add({"nats", "nats transport core (2 hosts)", 64, "p50", median(p50), "ns"});
    results.add({"nats", "nats transport core (2 hosts)", 64, "p99", median(p99), "ns"});
    results.add({"nats", "nats.c request/reply (one way)", 64, "p50", median(raw50), "ns"});
    results.add({"nats", "nats.c request/reply (one way)", 64, "p99", median(raw99), "ns"});
}

}  // namespace pylabhub::bench
