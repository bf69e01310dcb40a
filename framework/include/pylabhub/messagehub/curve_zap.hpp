// ZeroMQ and CurveZMQ helpers that need only libzmq, header-only so that
// transport plugins (which never link the framework) use the same ones as
// the broker: reading one whole message, reading a key file (`pylabhub
// keygen`), and a ZAP allow-list of client keys.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace pylabhub::messagehub {

/// Every frame of the message waiting on `socket` (none if none waits).
inline std::vector<zmq::message_t> receive_frames(zmq::socket_t& socket) {
    std::vector<zmq::message_t> frames;
    zmq::message_t frame;
    do {
        if (!socket.recv(frame, zmq::recv_flags::dontwait)) break;
        frames.emplace_back(std::move(frame));
    } while (frames.back().more());
    return frames;
}

/// The key in a key file's text: the first line that is not empty or a
/// '#' comment, 40 Z85 characters. "" with `why` set when there is none.
inline std::string parse_curve_key_text(std::istream& in, std::string& why) {
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#') continue;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.size() != 40) {
            why = "the key must be 40 Z85 characters, not " + std::to_string(line.size());
            return {};
        }
        return line;
    }
    why = "no key in it";
    return {};
}

/// ZeroMQ's authentication protocol (ZAP, RFC 27) for CurveZMQ: libzmq asks
/// this handler, in-process, whether a client's public key may connect.
/// Create it before the server socket; poll socket() and call answer().
class CurveAllowList {
public:
    /// `on_refused(client_key_z85, peer_address)` is told of each refusal.
    CurveAllowList(zmq::context_t& context, const std::vector<std::string>& z85_keys,
                   std::function<void(const std::string&, const std::string&)> on_refused)
        : socket_(context, zmq::socket_type::rep), on_refused_(std::move(on_refused)) {
        for (const auto& key : z85_keys) {
            std::string binary(32, '\0');
            if (zmq_z85_decode(reinterpret_cast<std::uint8_t*>(binary.data()), key.c_str()) != nullptr) allowed_.push_back(binary);
        }
        socket_.set(zmq::sockopt::linger, 0);
        socket_.bind("inproc://zeromq.zap.01");
    }

    zmq::socket_t& socket() { return socket_; }

    /// Answers one ZAP request: [version, request id, domain, address,
    /// identity, mechanism, client key].
    void answer() {
        std::vector<zmq::message_t> frames = receive_frames(socket_);
        if (frames.size() < 2) return;
        bool allowed = false;
        std::string client = "?";
        if (frames.size() >= 7 && frames[5].to_string() == "CURVE" && frames[6].size() == 32) {
            allowed = std::find(allowed_.begin(), allowed_.end(), frames[6].to_string()) != allowed_.end();
            char z85[41] = {};
            zmq_z85_encode(z85, static_cast<const std::uint8_t*>(frames[6].data()), 32);
            client = z85;
        }
        if (!allowed && on_refused_) on_refused_(client, frames.size() > 3 ? frames[3].to_string() : std::string("?"));
        socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
        socket_.send(frames[1], zmq::send_flags::sndmore);  // the request id
        socket_.send(zmq::buffer(std::string(allowed ? "200" : "400")), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(std::string(allowed ? "OK" : "not on the allow-list")), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(std::string(allowed ? client : "")), zmq::send_flags::sndmore);
        socket_.send(zmq::message_t(), zmq::send_flags::none);  // no metadata
    }

private:
    zmq::socket_t socket_;
    std::vector<std::string> allowed_;  // 32-byte binary keys
    std::function<void(const std::string&, const std::string&)> on_refused_;
};

}  // namespace pylabhub::messagehub
