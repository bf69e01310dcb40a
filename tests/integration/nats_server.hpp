// Real nats-server processes for the nats transport's tests: one server
// with JetStream, or a three-node cluster, on free loopback ports, with
// their stores in a temporary directory. Killed and removed when the test
// ends, whether it passed or not.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace pylabhub::test {

class NatsServer {
public:
    /// One node; `extra` are more nats-server flags (--user, --pass, ...).
    explicit NatsServer(std::vector<std::string> extra = {});
    ~NatsServer();
    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    std::uint16_t port() const { return port_; }
    /// SIGKILL: no goodbye, the JetStream store as the crash left it.
    void kill();
    /// Starts again on the same ports with the same store; waits until healthy.
    void restart();
    std::string log() const;

private:
    friend class NatsCluster;
    NatsServer(std::filesystem::path dir, std::vector<std::string> extra, std::uint16_t port, std::uint16_t monitor);
    void start();
    bool healthy() const;

    std::filesystem::path dir_;
    std::vector<std::string> extra_;
    std::uint16_t port_ = 0, monitor_ = 0;
    std::unique_ptr<ChildProcess> process_;
    bool owns_dir_ = false;
};

/// Three nodes routed to each other, JetStream clustered ("plh").
class NatsCluster {
public:
    NatsCluster();
    ~NatsCluster();
    NatsServer& node(int i) { return *nodes_.at(static_cast<std::size_t>(i)); }

private:
    std::filesystem::path dir_;
    std::vector<std::unique_ptr<NatsServer>> nodes_;
};

/// The nats-server the tests run (Debian's), or a failure saying how to get it.
bool nats_server_present();

}  // namespace pylabhub::test
