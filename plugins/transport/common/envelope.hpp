// A wire message (a list of frames, wire.hpp) as one byte string, for
// transports that carry one payload per message (NATS):
//   [u32 frames][u32 0][u64 size] x frames [frame bytes]...
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <span>
#include <vector>

namespace plh_transport {

using Frame = std::span<const std::byte>;

inline constexpr std::uint32_t kMaxEnvelopeFrames = 1 << 16;

template <typename T>
Frame frame_bytes(const T& value) {
    return Frame(reinterpret_cast<const std::byte*>(&value), sizeof(T));
}

inline Frame frame_bytes(const std::string& text) { return Frame(reinterpret_cast<const std::byte*>(text.data()), text.size()); }

inline std::vector<std::byte> seal(std::initializer_list<Frame> frames) {
    std::size_t total = 8 + frames.size() * 8;
    for (const Frame& f : frames) total += f.size();
    std::vector<std::byte> out(total);
    const auto count = static_cast<std::uint32_t>(frames.size());
    std::memcpy(out.data(), &count, 4);
    std::size_t index = 8, at = 8 + frames.size() * 8;
    for (const Frame& f : frames) {
        const std::uint64_t size = f.size();
        std::memcpy(out.data() + index, &size, 8);
        index += 8;
        if (!f.empty()) std::memcpy(out.data() + at, f.data(), f.size());
        at += f.size();
    }
    return out;
}

/// Bytes to leave at the front of a buffer whose rest becomes the last
/// frame of a message with the `head` frames (of these sizes) before it:
/// the last frame is then written in place, never copied (seal_in_place).
inline std::size_t head_room(std::initializer_list<std::size_t> head_sizes) {
    std::size_t room = 8 + (head_sizes.size() + 1) * 8;
    for (std::size_t size : head_sizes) room += size;
    return room;
}

/// Seals a buffer laid out by head_room: the counts, sizes and head frames
/// go into the room at its front; what follows is the last frame.
inline void seal_in_place(std::vector<std::byte>& buffer, std::initializer_list<Frame> head) {
    const auto count = static_cast<std::uint32_t>(head.size() + 1);
    std::memcpy(buffer.data(), &count, 4);
    std::memset(buffer.data() + 4, 0, 4);
    std::size_t index = 8, at = 8 + std::size_t{count} * 8;
    for (const Frame& f : head) {
        const std::uint64_t size = f.size();
        std::memcpy(buffer.data() + index, &size, 8);
        index += 8;
        std::memcpy(buffer.data() + at, f.data(), f.size());
        at += f.size();
    }
    const std::uint64_t last = buffer.size() - at;
    std::memcpy(buffer.data() + index, &last, 8);
}

/// The frames of a sealed message (views into `bytes`), or nullopt when
/// the sizes do not add up to exactly `bytes` (never trusted).
inline std::optional<std::vector<Frame>> open_envelope(Frame bytes) {
    if (bytes.size() < 8) return std::nullopt;
    std::uint32_t count = 0;
    std::memcpy(&count, bytes.data(), 4);
    if (count == 0 || count > kMaxEnvelopeFrames || (bytes.size() - 8) / 8 < count) return std::nullopt;
    std::vector<Frame> frames;
    frames.reserve(count);
    std::size_t at = 8 + std::size_t{count} * 8;
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint64_t size = 0;
        std::memcpy(&size, bytes.data() + 8 + std::size_t{i} * 8, 8);
        if (size > bytes.size() - at) return std::nullopt;
        frames.push_back(bytes.subspan(at, static_cast<std::size_t>(size)));
        at += static_cast<std::size_t>(size);
    }
    if (at != bytes.size()) return std::nullopt;
    return frames;
}

}  // namespace plh_transport
