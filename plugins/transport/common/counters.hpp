// Transport counters, handed to the host in bulk (a metric call per slot
// would cost more than the slot) and shown in the run summary.
#pragma once

#include <cstdint>
#include <map>
#include <random>

#include "pylabhub/sdk/host.hpp"

namespace plh_transport {

class Counters {
public:
    void add(const char* name, std::uint64_t delta = 1) { pending_[name] += delta; }
    void publish(const pylabhub::sdk::Host& host) {
        for (auto& [name, value] : pending_) {
            if (value != 0) host.metric(name, value);
            value = 0;
        }
    }

private:
    std::map<const char*, std::uint64_t> pending_;
};

/// 64 random bits: stream ids and sessions.
inline std::uint64_t random_id() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) | device();
}

}  // namespace plh_transport
