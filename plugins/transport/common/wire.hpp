// The pyLabHub transport wire, version 1: the messages every transport
// plugin speaks (docs/transports.md). A message is a list of frames whose
// first is a Header; how the frames travel is the transport's business
// (ZeroMQ multipart; one NATS payload through envelope.hpp). All integers
// are little-endian (the platforms we run on).
//   HELLO   receiver -> sender  [Header][Hello]
//   STREAM  sender -> receiver  [Header][Stream][schema name][schema version][schema BLDS]
//   DATA    sender -> receiver  [Header][Batch][packed][chunk]...
//           `packed` holds, per slot, a SlotMeta and (chunks == 0) its bytes
//           inline; a larger slot's bytes follow as `chunks` frames, in slot order
//   CREDIT  receiver -> sender  [Header][Credit]
//   PING    either way          [Header]
//   END     sender -> receiver  [Header][End]
//   REFUSE  either way          [Header][reason text]
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace plh_transport {

inline constexpr std::uint32_t kMagic = 0x54484C50;  // "PLHT"
inline constexpr std::uint16_t kWireVersion = 1;
inline constexpr std::uint64_t kResumeAnywhere = ~std::uint64_t{0};

enum class Type : std::uint16_t { hello = 1, stream = 2, data = 3, credit = 4, ping = 5, end = 6, refuse = 7 };

struct Header {
    std::uint32_t magic = kMagic;
    std::uint16_t version = kWireVersion;
    std::uint16_t type = 0;
};

struct Hello {
    std::uint64_t resume_from = kResumeAnywhere;  ///< the next sequence the receiver wants, or "anything"
    std::uint64_t window_slots = 0;               ///< how many slots may be in flight
    std::uint64_t window_bytes = 0;               ///< and how many bytes (at least one slot always)
    std::uint64_t session = 0;                    ///< random per HELLO: credits name it
};

struct Stream {
    std::uint64_t stream_id = 0;  ///< random per sender instance: a new one means the sender restarted
    std::uint64_t first_sequence = 0;
    std::uint64_t slot_bytes = 0;
    std::uint32_t sync_policy = 0;
    std::uint32_t reserved = 0;
    /// The sender's monotonic and wall clocks read together: the receiver
    /// turns commit times into its own monotonic clock through the wall
    /// clocks (exact on one machine, NTP-accurate across machines).
    std::uint64_t sender_monotonic_ns = 0;
    std::uint64_t sender_utc_ns = 0;
};

struct Batch {
    std::uint64_t stream_id = 0;
    std::uint32_t slots = 0;
    std::uint32_t reserved = 0;
};

struct SlotMeta {
    std::uint64_t sequence = 0;
    std::uint64_t commit_ns = 0;
    std::uint64_t bytes = 0;
    std::uint32_t chunks = 0;
    std::uint32_t reserved = 0;
};

struct Credit {
    std::uint64_t session = 0;
    std::uint64_t slots = 0;  ///< committed by the receiver since its HELLO (cumulative)
    std::uint64_t bytes = 0;
};

struct End {
    std::uint64_t stream_id = 0;
    std::uint64_t next_sequence = 0;  ///< after the last slot sent
};

/// A fixed-size frame's content, or nullopt if the frame has another size.
template <typename T>
std::optional<T> read_struct(const void* data, std::size_t size) {
    if (size != sizeof(T)) return std::nullopt;
    T value;
    std::memcpy(&value, data, sizeof(T));
    return value;
}

inline Header header_of(Type type) {
    Header h;
    h.type = static_cast<std::uint16_t>(type);
    return h;
}

inline const char* type_name(std::uint16_t type) {
    switch (static_cast<Type>(type)) {
    case Type::hello: return "HELLO";
    case Type::stream: return "STREAM";
    case Type::data: return "DATA";
    case Type::credit: return "CREDIT";
    case Type::ping: return "PING";
    case Type::end: return "END";
    case Type::refuse: return "REFUSE";
    }
    return "unknown";
}

/// Why a first frame is no header we speak ("" when it is one).
inline std::string header_problem(const void* data, std::size_t size, Header& out) {
    auto header = read_struct<Header>(data, size);
    if (!header || header->magic != kMagic) return "not a pyLabHub transport message (" + std::to_string(size) + " bytes)";
    if (header->version != kWireVersion) {
        return "wire version " + std::to_string(header->version) + ", this side speaks " + std::to_string(kWireVersion);
    }
    out = *header;
    return {};
}

/// Where one slot of a DATA message lies: its bytes are inline in the
/// packed frame at `inline_offset` (meta.chunks == 0), or the chunk frames
/// [first_chunk, first_chunk + meta.chunks) after the packed frame.
struct SlotView {
    SlotMeta meta;
    std::size_t inline_offset = 0;
    std::size_t first_chunk = 0;
};

/// Checks a DATA message whole before any of it is used: `slots` entries
/// in the packed frame, each inline part inside it, each slot's chunks
/// present and adding up to its size, nothing left over. The slots in
/// order, or nullopt when anything does not add up (a peer's bytes are
/// never trusted).
inline std::optional<std::vector<SlotView>> parse_batch(const std::byte* packed, std::size_t packed_size,
                                                        const std::vector<std::size_t>& chunk_sizes, std::uint32_t slots) {
    // A slot takes at least its SlotMeta: more slots than that cannot fit.
    if (slots > packed_size / sizeof(SlotMeta)) return std::nullopt;
    std::vector<SlotView> views;
    views.reserve(slots);
    std::size_t offset = 0, chunk = 0;
    for (std::uint32_t i = 0; i < slots; ++i) {
        SlotView view;
        if (packed_size - offset < sizeof view.meta) return std::nullopt;
        std::memcpy(&view.meta, packed + offset, sizeof view.meta);
        offset += sizeof view.meta;
        view.inline_offset = offset;
        view.first_chunk = chunk;
        if (view.meta.chunks == 0) {
            if (view.meta.bytes > packed_size - offset) return std::nullopt;
            offset += static_cast<std::size_t>(view.meta.bytes);
        } else {
            if (view.meta.chunks > chunk_sizes.size() - chunk) return std::nullopt;
            std::uint64_t sum = 0;
            for (std::uint32_t c = 0; c < view.meta.chunks; ++c) sum += chunk_sizes[chunk++];
            if (sum != view.meta.bytes) return std::nullopt;
        }
        views.push_back(view);
    }
    if (offset != packed_size || chunk != chunk_sizes.size()) return std::nullopt;
    return views;
}

/// Appends one slot, bytes inline, to a DATA message's packed frame.
inline void pack_inline(std::vector<std::byte>& packed, std::uint64_t sequence, std::uint64_t commit_ns, const std::byte* data,
                        std::size_t size) {
    SlotMeta meta;
    meta.sequence = sequence;
    meta.commit_ns = commit_ns;
    meta.bytes = size;
    const std::size_t at = packed.size();
    packed.resize(at + sizeof meta + size);
    std::memcpy(packed.data() + at, &meta, sizeof meta);
    if (size > 0) std::memcpy(packed.data() + at + sizeof meta, data, size);
}

/// The monotonic clock (CLOCK_MONOTONIC, as the host's), in nanoseconds.
inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

inline std::uint64_t utc_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

/// A Stream with this sender's clocks read together.
inline Stream stamped(Stream s) {
    s.sender_monotonic_ns = now_ns();
    s.sender_utc_ns = utc_ns();
    return s;
}

/// What to add to the sender's monotonic times to get ours: sender
/// monotonic -> UTC -> our monotonic.
inline std::int64_t clock_shift(const Stream& s) {
    const auto utc = static_cast<std::int64_t>(utc_ns());
    const auto mono = static_cast<std::int64_t>(now_ns());
    return (static_cast<std::int64_t>(s.sender_utc_ns) - static_cast<std::int64_t>(s.sender_monotonic_ns)) - (utc - mono);
}

/// A sender's commit time in our monotonic clock (0 stays 0: "now").
inline std::uint64_t local_commit_ns(std::uint64_t sender_ns, std::int64_t shift) {
    return sender_ns != 0 ? static_cast<std::uint64_t>(static_cast<std::int64_t>(sender_ns) + shift) : 0;
}

}  // namespace plh_transport
