#include "nats_server.hpp"

#include <chrono>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "host_harness.hpp"

namespace pylabhub::test {
namespace {

std::filesystem::path fresh_dir(const std::string& tag) {
    auto dir = std::filesystem::temp_directory_path() /
        ("plh-nats-" + tag + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    return dir;
}

const char* kServer = "/usr/sbin/nats-server";  // Debian installs it there

}  // namespace

bool nats_server_present() {
    if (::access(kServer, X_OK) == 0) return true;
    ADD_FAILURE() << "nats-server is not installed: `make test` installs it (tools/debian-packages-test.txt)";
    return false;
}

NatsServer::NatsServer(std::vector<std::string> extra)
    : NatsServer(fresh_dir("single"), std::move(extra), free_tcp_port(), free_tcp_port()) {
    owns_dir_ = true;
}

NatsServer::NatsServer(std::filesystem::path dir, std::vector<std::string> extra, std::uint16_t port, std::uint16_t monitor)
    : dir_(std::move(dir)), extra_(std::move(extra)), port_(port), monitor_(monitor) {
    start();
}

NatsServer::~NatsServer() {
    kill();
    if (owns_dir_) {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
}

void NatsServer::start() {
    std::vector<std::string> argv = {kServer,
                                     "-c",
                                     std::string(PLH_CONFIGS_DIR) + "/nats/nats-server.conf",
                                     "-a",
                                     "127.0.0.1",
                                     "-p",
                                     std::to_string(port_),
                                     "-m",
                                     std::to_string(monitor_),
                                     "-sd",
                                     (dir_ / "store").string(),
                                     "-l",
                                     (dir_ / "server.log").string()};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    process_ = std::make_unique<ChildProcess>(ChildProcess::spawn(argv));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!healthy()) {
        if (std::chrono::steady_clock::now() > deadline) {
            ADD_FAILURE() << "nats-server on port " << port_ << " did not become healthy in 20 s:\n" << log();
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

bool NatsServer::healthy() const {
    // GET /healthz on the monitoring port: 200 once JetStream is ready (in a
    // cluster: once the node has joined it).
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(monitor_);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const std::string request = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
            char reply[512] = {};
            timeval timeout{1, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            const ssize_t n = ::recv(fd, reply, sizeof reply - 1, 0);
            ok = n > 12 && std::string(reply, static_cast<std::size_t>(n)).find(" 200 ") != std::string::npos;
        }
    }
    ::close(fd);
    return ok;
}

void NatsServer::kill() {
    if (process_) process_->kill_and_reap();
    process_.reset();
}

void NatsServer::restart() {
    kill();
    start();
}

std::string NatsServer::log() const {
    const Outcome tail = run_program({"/usr/bin/tail", "-n", "30", (dir_ / "server.log").string()});
    return tail.output;
}

NatsCluster::NatsCluster() : dir_(fresh_dir("cluster")) {
    std::vector<std::uint16_t> client, route, monitor;
    for (int i = 0; i < 3; ++i) {
        client.push_back(free_tcp_port());
        route.push_back(free_tcp_port());
        monitor.push_back(free_tcp_port());
    }
    // All three start before any is waited for: a node is healthy only once
    // JetStream has a quorum.
    std::vector<std::thread> starting;
    nodes_.resize(3);
    for (int i = 0; i < 3; ++i) {
        std::string routes;
        for (int j = 0; j < 3; ++j) {
            if (j != i)
                routes +=
                    (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(route[static_cast<std::size_t>(j)]);
        }
        const auto at = static_cast<std::size_t>(i);
        std::filesystem::create_directories(dir_ / ("node" + std::to_string(i + 1)));
        std::vector<std::string> extra = {"-n",
                                          "node" + std::to_string(i + 1),
                                          "--cluster_name",
                                          "plh",
                                          "--cluster",
                                          "nats://127.0.0.1:" + std::to_string(route[at]),
                                          "--routes",
                                          routes};
        starting.emplace_back([this, at, extra, c = client[at], m = monitor[at]] {
            nodes_[at].reset(new NatsServer(dir_ / ("node" + std::to_string(at + 1)), extra, c, m));
        });
    }
    for (auto& t : starting) t.join();
}

NatsCluster::~NatsCluster() {
    nodes_.clear();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

}  // namespace pylabhub::test
