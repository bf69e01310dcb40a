// Two real hosts joined by a transport plugin: a counter streamed from one
// to a null consumer on the other, the figures read from the receiving
// host's run summary.
#pragma once

#include <cstdint>
#include <string>

namespace pylabhub::bench {

struct Link {
    std::string plugin;      ///< "zmq", "nats"
    std::string out_config;  ///< the sender's transport config map, inside the braces
    std::string in_config;   ///< the receiver's
};

struct Streamed {
    double rate = 0;                ///< slots/s into the receiving channel
    double sender_rate = 0;         ///< slots/s the sending transport took (JetStream: as fast as they are stored)
    double p50_ns = 0, p99_ns = 0;  ///< sender's commit -> receiver's consumer
};

/// `count` slots of `bytes` at `rate_hz` (0: as fast as the ring allows);
/// `sync` is the sender's channel policy. The receiver starts first.
Streamed stream_between_hosts(const Link& link, std::uint64_t bytes, std::uint64_t count, double rate_hz, const std::string& sync);

/// A TCP port on 127.0.0.1 nobody listens on right now.
std::uint16_t free_port();

}  // namespace pylabhub::bench
