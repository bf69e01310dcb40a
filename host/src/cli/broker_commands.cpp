#include "cli/broker_commands.hpp"

#include <chrono>
#include <iomanip>
#include <filesystem>
#include <ostream>

#include <nlohmann/json.hpp>

#include "http/http_service.hpp"
#include "pipeline/broker_link.hpp"
#include "pylabhub/plugin_abi.h"
#include "version.hpp"
#include "pylabhub/messagehub/client.hpp"
#include "pylabhub/platform/process.hpp"
#include "pylabhub/platform/signals.hpp"

namespace pylabhub::host {

Result<std::optional<messagehub::CurveClientKeys>> client_keys(const CurveFiles& files) {
    if (files.server_public.empty() && files.client_secret.empty()) return std::optional<messagehub::CurveClientKeys>{};
    if (files.server_public.empty() || files.client_secret.empty()) {
        return make_error(ErrorCode::invalid_argument,
                          "CurveZMQ needs both --curve-server (the broker's .pub) and --curve-client (your .key)");
    }
    auto server = messagehub::read_curve_key(files.server_public);
    if (!server) return std::move(server).error();
    auto secret = messagehub::read_curve_key(files.client_secret);
    if (!secret) return std::move(secret).error();
    return std::optional<messagehub::CurveClientKeys>(messagehub::CurveClientKeys{*server, *secret});
}

int keygen_command(const std::string& base, std::ostream& out, std::ostream& err) {
    auto pair = messagehub::generate_curve_keypair();
    if (!pair) {
        err << "error: " << pair.error().message << "\n";
        return 3;
    }
    if (auto written = messagehub::write_curve_keypair(base, *pair); !written) {
        err << "error: " << written.error().message << "\n";
        return 1;
    }
    out << "wrote " << base << ".pub (public: give it to clients, or to the broker's operator) and " << base
        << ".key (secret, 0600: keep it)\n";
    return 0;
}

namespace {

/// tcp://127.x.x.x:PORT, tcp://localhost:PORT or tcp://[::1]:PORT: reachable
/// from this machine only.
bool loopback_only(const std::string& endpoint) {
    if (endpoint.rfind("tcp://", 0) != 0) return true;  // ipc:// and inproc:// never leave the machine
    const std::string host = endpoint.substr(6, endpoint.rfind(':') == std::string::npos ? std::string::npos : endpoint.rfind(':') - 6);
    return host.rfind("127.", 0) == 0 || host == "localhost" || host == "[::1]";
}

}  // namespace

int broker_command(const std::string& endpoint, const CurveFiles& curve, bool insecure, const std::string& http_address,
                   std::ostream& err) {
    // Without CurveZMQ anyone who reaches the port reads every channel's
    // secret: beyond this machine that takes an explicit decision.
    if (curve.broker_secret.empty() && !loopback_only(endpoint)) {
        if (!insecure) {
            err << "error: " << endpoint << " is reachable from other machines, and without --curve-secret every client "
                << "there could read your channels' secrets; use --curve-secret KEY (see 'pylabhub keygen'), bind to "
                   "127.0.0.1, or pass --insecure on a network you trust\n";
            return 2;
        }
        err << "warning: serving " << endpoint << " without CurveZMQ (--insecure): anyone who reaches it can read your "
            << "channels' secrets\n";
    }
    std::optional<std::string> secret;
    if (!curve.broker_secret.empty()) {
        auto key = messagehub::read_curve_key(curve.broker_secret);
        if (!key) {
            err << "error: " << key.error().message << "\n";
            return 1;
        }
        secret = *key;
    }
    std::vector<std::string> allowed;
    if (!curve.allowed_clients_dir.empty()) {
        if (!secret) {
            err << "error: --allow needs --curve-secret: without CurveZMQ no client proves a key\n";
            return 2;
        }
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(curve.allowed_clients_dir, error)) {
            if (entry.path().extension() != ".pub") continue;
            auto key = messagehub::read_curve_key(entry.path());
            if (!key) {
                err << "error: " << key.error().message << "\n";
                return 1;
            }
            allowed.push_back(*key);
        }
        if (error || allowed.empty()) {
            err << "error: --allow " << curve.allowed_clients_dir << ": " << (error ? error.message() : "no NAME.pub files there")
                << " (put the public keys of the clients to serve there; 'pylabhub keygen' makes them)\n";
            return 1;
        }
    }
    // The HTTP endpoints ask this broker as a client; with CurveZMQ, with a
    // key of their own that the broker lets in.
    std::unique_ptr<HttpService> http;
    if (!http_address.empty()) {
        BrokerSource source{endpoint, std::nullopt};
        if (secret) {
            auto pair = messagehub::generate_curve_keypair();
            auto server_public = messagehub::curve_public_of(*secret);
            if (!pair || !server_public) {
                err << "error: --http: cannot make a CurveZMQ key for the status client\n";
                return 3;
            }
            source.keys = messagehub::CurveClientKeys{*server_public, pair->secret_key};
            if (!allowed.empty()) allowed.push_back(pair->public_key);
        }
        auto opened =
            HttpService::open(http_address, {version(), commit(), std::to_string(PLH_ABI_MAJOR) + "." + std::to_string(PLH_ABI_MINOR)});
        if (!opened) {
            err << "error: " << opened.error().message << "\n";
            return 1;
        }
        http = std::move(opened).value();
        http->serve_broker(source);
    }
    const messagehub::RegistryOptions options = local_registry_options();
    bool stop = false;
    auto served = messagehub::run_broker(
        endpoint, options,
        [&] {
            if (platform::wait_for_shutdown_signal(std::chrono::milliseconds(0))) stop = true;
            return stop;
        },
        secret, allowed);
    if (!served) {
        err << "error: " << served.error().message << "\n";
        return 1;
    }
    return 0;
}

int channels_command(const std::string& endpoint, const CurveFiles& curve, bool json, std::ostream& out, std::ostream& err) {
    auto keys = client_keys(curve);
    if (!keys) {
        err << "error: " << keys.error().message << "\n";
        return 1;
    }
    messagehub::Client client(endpoint, std::chrono::milliseconds(2000), *keys);
    auto channels = client.list();
    if (!channels) {
        err << "error: " << channels.error().message << "\n";
        return 1;
    }
    auto endpoints = client.list_endpoints();
    if (!endpoints) {
        err << "error: " << endpoints.error().message << "\n";
        return 1;
    }
    if (json) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& c : *channels) {
            all.push_back({{"channel", c.channel},
                           {"shm_name", c.shm_name},
                           {"schema", c.schema_name},
                           {"schema_version", c.schema_version},
                           {"schema_hash", c.schema_hash},
                           {"producer_pid", c.producer_pid},
                           {"producer_host", c.producer_host},
                           {"consumers", c.consumers.size()}});
        }
        // Where channels can be reached over the network (outbound transports).
        for (const auto& e : *endpoints) {
            nlohmann::json network = {{"endpoint", e.endpoint},
                                      {"curve", !e.curve_public_key.empty()},
                                      {"host", e.host},
                                      {"pid", e.pid},
                                      {"transport", e.transport}};
            auto same = std::find_if(all.begin(), all.end(), [&](const nlohmann::json& c) { return c["channel"] == e.channel; });
            if (same != all.end()) (*same)["network"] = network;
            else all.push_back({{"channel", e.channel}, {"network", network}});
        }
        out << all.dump(2) << "\n";
        return 0;
    }
    out << std::left << std::setw(20) << "CHANNEL" << std::setw(24) << "SEGMENT" << std::setw(24) << "SCHEMA" << std::setw(10) << "PID"
        << std::setw(16) << "HOST"
        << "CONSUMERS\n";
    for (const auto& c : *channels) {
        std::string consumers;
        for (const auto& consumer : c.consumers) {
            consumers += (consumers.empty() ? "" : ", ") + consumer.id + " (pid " + std::to_string(consumer.pid) + ")";
        }
        out << std::left << std::setw(20) << c.channel << std::setw(24) << c.shm_name << std::setw(24)
            << (c.schema_name.empty() ? "-" : c.schema_name + " " + c.schema_version) << std::setw(10) << c.producer_pid << std::setw(16)
            << c.producer_host << (consumers.empty() ? "-" : consumers) << "\n";
    }
    out << channels->size() << " channel" << (channels->size() == 1 ? "" : "s") << " at " << endpoint << "\n";
    if (!endpoints->empty()) {
        out << "\n"
            << std::left << std::setw(20) << "REACHABLE" << std::setw(32) << "ENDPOINT" << std::setw(8) << "CURVE" << std::setw(16)
            << "HOST" << std::setw(10) << "PID"
            << "TRANSPORT\n";
        for (const auto& e : *endpoints) {
            out << std::left << std::setw(20) << e.channel << std::setw(32) << e.endpoint << std::setw(8)
                << (e.curve_public_key.empty() ? "no" : "yes") << std::setw(16) << e.host << std::setw(10) << e.pid << e.transport << "\n";
        }
        out << endpoints->size() << " channel" << (endpoints->size() == 1 ? "" : "s") << " reachable over the network\n";
    }
    return 0;
}

}  // namespace pylabhub::host
