// Writing a transport (ABI 1.1): derive from sdk::Transport and list it in
// PYLABHUB_PLUGIN_LIBRARY like any plugin. One instance runs on one
// transport thread; host().transport_direction() says which half it plays:
//
//   out: send() each committed slot of the channel; return false while the
//        link has no room (the host calls again with the same slot, and a
//        lossless channel waits, as for a slow local consumer);
//   in:  stream() describes what the peer sends, then receive() writes each
//        slot straight into the local channel's next slot.
//
// See docs/transports.md and plugins/transport/zmq for a complete one.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>

#include "pylabhub/plugin_abi.h"
#include "pylabhub/sdk/config.hpp"
#include "pylabhub/sdk/host.hpp"

namespace pylabhub::sdk {

/// A transport plugin's base class (see the comment at the top of this file).
class Transport {
public:
    /// What receive() got: a slot, nothing within the timeout, the peer's end, or a new stream (ask stream() again).
    enum class Received { slot, nothing_yet, end_of_stream, stream_changed };

    /// Made by the SDK from `create`, with the host of this instance.
    explicit Transport(Host host) : host_(host) {}
    virtual ~Transport() = default;

    /// True for the outbound half (send), false for the inbound one (stream, receive).
    bool outbound() const { return host_.transport_direction() == PLH_TRANSPORT_OUT; }

    /// Out. `data` is the committed slot (valid during the call). False:
    /// not taken within `timeout`; the host calls again with the same slot.
    virtual bool send(std::span<const std::byte> data, const plh_slot_info& info, std::chrono::nanoseconds timeout) {
        (void)data, (void)info, (void)timeout;
        throw PluginError(PLH_ERR_UNSUPPORTED, "this transport does not send");
    }
    /// Both, when there is nothing to send or receive: service the link.
    virtual void idle(std::chrono::nanoseconds timeout) { (void)timeout; }
    /// In. The stream's description once a peer has given it (the pointer
    /// stays valid until the next call); nullptr while none has.
    virtual const plh_stream_info* stream(std::chrono::nanoseconds timeout) {
        (void)timeout;
        throw PluginError(PLH_ERR_UNSUPPORTED, "this transport does not receive");
    }
    /// In. Write the next received slot into `slot` and fill `got`.
    virtual Received receive(std::span<std::byte> slot, plh_received_slot& got, std::chrono::nanoseconds timeout) {
        (void)slot, (void)got, (void)timeout;
        throw PluginError(PLH_ERR_UNSUPPORTED, "this transport does not receive");
    }
    /// Both, once at the end: send what is queued, say goodbye.
    virtual void flush() {}

    /// The host this instance runs in.
    const Host& host() const { return host_; }

private:
    Host host_;
};

}  // namespace pylabhub::sdk
