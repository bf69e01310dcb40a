// The zmq transport's framing of the shared wire (../common/wire.hpp):
// every message is a ZeroMQ multipart message, one frame per wire frame;
// a slot over kMaxInline travels as chunk frames of at most kMaxChunk,
// sent from the held copy without another.
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "../common/wire.hpp"

namespace plh_zmq {

using namespace plh_transport;

inline constexpr std::size_t kMaxChunk = 1 << 20;    // CurveZMQ is far slower on huge single frames
inline constexpr std::size_t kMaxInline = 64 << 10;  // larger slots travel in frames of their own, uncopied

template <typename T>
zmq::message_t frame_of(const T& value) {
    return zmq::message_t(&value, sizeof(T));
}

template <typename T>
std::optional<T> read_frame(const zmq::message_t& frame) {
    return read_struct<T>(frame.data(), frame.size());
}

inline zmq::message_t header_frame(Type type) { return frame_of(header_of(type)); }

inline std::string header_problem(const zmq::message_t& frame, Header& out) {
    return plh_transport::header_problem(frame.data(), frame.size(), out);
}

}  // namespace plh_zmq
