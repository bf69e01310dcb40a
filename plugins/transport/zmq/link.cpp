#include "link.hpp"

#include <fstream>

#include <unistd.h>

#include "pylabhub/sdk/host.hpp"

namespace plh_zmq {

using pylabhub::sdk::ConfigError;

namespace {

std::string key_from_file(const std::string& option, const std::string& file) {
    std::ifstream in(file);
    if (!in) throw ConfigError(option + ": key file " + file + " cannot be read");
    std::string why;
    std::string key = pylabhub::messagehub::parse_curve_key_text(in, why);
    if (key.empty()) throw ConfigError(option + ": key file " + file + ": " + why);
    return key;
}

bool is_endpoint(const std::string& text) {
    return text.rfind("tcp://", 0) == 0 || text.rfind("ipc://", 0) == 0 || text.rfind("inproc://", 0) == 0;
}

}  // namespace

Settings read_settings(const pylabhub::sdk::Host& host, bool outbound) {
    Settings s;
    s.bind = host.config_string("bind");
    s.connect = host.config_string("connect");
    s.remote = host.config_string("remote");
    s.advertise = host.config_string("advertise");
    const int ways = int(!s.bind.empty()) + int(!s.connect.empty()) + int(!s.remote.empty());
    if (ways != 1) {
        throw ConfigError(outbound ? "give exactly one of 'bind' (receivers connect here) or 'connect'"
                                   : "give exactly one of 'connect' (the sender's endpoint), 'remote' (its channel, "
                                     "looked up at the pipeline's broker) or 'bind'");
    }
    if (outbound && !s.remote.empty()) throw ConfigError("'remote' is for inbound transports; an outbound one binds or connects");
    for (const auto* e : {&s.bind, &s.connect, &s.advertise}) {
        if (!e->empty() && !is_endpoint(*e)) throw ConfigError("'" + *e + "' is not an endpoint (tcp://HOST:PORT, ipc://PATH)");
    }
    if (const std::string file = host.config_string("curve_secret"); !file.empty()) s.curve_secret = key_from_file("curve_secret", file);
    if (const std::string file = host.config_string("curve_server"); !file.empty()) s.curve_server = key_from_file("curve_server", file);
    std::vector<std::string> clients;
    try {
        clients = host.config_list("curve_clients");
    } catch (const ConfigError&) {
        // not given: any receiver that knows our public key
    }
    for (const auto& file : clients) s.curve_clients.push_back(key_from_file("curve_clients", file));
    if (outbound && !s.curve_server.empty()) throw ConfigError("'curve_server' is the sender's public key, for inbound transports");
    if (!outbound && !s.curve_clients.empty()) throw ConfigError("'curve_clients' lists receivers an outbound transport lets in");
    if (outbound && !s.curve_clients.empty() && s.curve_secret.empty()) throw ConfigError("'curve_clients' needs 'curve_secret'");
    if (!outbound && !s.curve_server.empty() && s.curve_secret.empty()) {
        throw ConfigError("'curve_server' needs 'curve_secret' (this receiver's own key; make one with 'pylabhub keygen')");
    }
    s.window_slots = static_cast<std::uint64_t>(host.config_int("window_slots"));
    s.window_bytes = host.config_size("window_bytes");
    s.batch_bytes = host.config_size("batch_bytes");
    s.peer_timeout = host.config_duration("peer_timeout");
    s.drain_timeout = host.config_duration("drain_timeout");
    return s;
}

HandshakeWatch::HandshakeWatch(zmq::context_t& context, zmq::socket_t& socket, const std::string& name)
    : monitor_(context, zmq::socket_type::pair) {
    const std::string address = "inproc://plh-monitor-" + name;
    const int events = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED;
    if (zmq_socket_monitor(socket.handle(), address.c_str(), events) != 0) throw zmq::error_t();
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(address);
}

bool HandshakeWatch::poll(const pylabhub::sdk::Host& host, const std::string& who) {
    bool connected = false;
    for (;;) {
        zmq::message_t event;
        zmq::message_t address;
        if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return connected;
        if (!event.more() || !monitor_.recv(address, zmq::recv_flags::dontwait) || event.size() < 6) continue;
        std::uint16_t id = 0;
        std::uint32_t value = 0;
        std::memcpy(&id, event.data(), 2);
        std::memcpy(&value, static_cast<const char*>(event.data()) + 2, 4);
        const std::string peer = address.to_string();
        switch (id) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: connected = true; break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            ++failures_;
            host.warn(who + ": " + peer + " was refused by authentication (status " + std::to_string(value) +
                      "): its CurveZMQ key is not allowed here");
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            ++failures_;
            host.warn(who + ": the handshake with " + peer +
                      " failed: a wrong or missing CurveZMQ key on one side (check curve_secret, curve_server, curve_clients), "
                      "or not a pyLabHub transport there");
            break;
        default: break;
        }
    }
}

void make_curve_server(zmq::socket_t& socket, const Settings& settings) {
    if (settings.curve_secret.empty()) return;
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, settings.curve_secret);
}

void make_curve_client(zmq::socket_t& socket, const Settings& settings, const std::string& server_key) {
    if (server_key.empty()) return;
    if (settings.curve_secret.empty()) {
        throw ConfigError(
            "the sender requires CurveZMQ (it advertises a public key): give 'curve_secret' (this receiver's "
            "key, from 'pylabhub keygen')");
    }
    char public_key[41] = {};
    if (zmq_curve_public(public_key, settings.curve_secret.c_str()) != 0) throw ConfigError("curve_secret is not a valid secret key");
    socket.set(zmq::sockopt::curve_serverkey, server_key);
    socket.set(zmq::sockopt::curve_publickey, std::string(public_key));
    socket.set(zmq::sockopt::curve_secretkey, settings.curve_secret);
}

std::string reachable_endpoint(const std::string& bound) {
    const std::string wildcard = "tcp://0.0.0.0:";
    if (bound.rfind(wildcard, 0) != 0) return bound;
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return bound;
    return "tcp://" + std::string(name) + ":" + bound.substr(wildcard.size());
}

}  // namespace plh_zmq
